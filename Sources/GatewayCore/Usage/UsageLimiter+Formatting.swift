import Foundation

/// Keys, messages and headers of `UsageLimiter`, worded like OpenAI's own so SDKs and clients that read
/// them keep working.
extension UsageLimiter {
    /// `spend:<scope>:<name>:day:<yyyy-mm-dd>` and `…:month:<yyyy-mm>` (UTC), with how long each must live.
    static func spendKeys(scope: String, name: String, now: Double) -> [(key: String, ttl: Double)] {
        var seconds = time_t(now)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let year = Int(parts.tm_year) + 1900
        let month = Int(parts.tm_mon) + 1
        let day = String(format: "%04d-%02d-%02d", year, month, Int(parts.tm_mday))
        let monthText = String(format: "%04d-%02d", year, month)
        return [
            ("spend:\(scope):\(name):day:\(day)", 2 * 86_400),
            ("spend:\(scope):\(name):month:\(monthText)", 32 * 86_400),
        ]
    }

    static func describe(_ scope: String, _ name: String) -> String {
        switch scope {
        case "gateway": "this gateway"
        case "pack": "pack \(name)"
        default: "\(scope) \(name)"
        }
    }

    static func rateLimited(
        scope: String, name: String, unit: String, type: String, limit: Int, used: Int, requested: Int, wait: Double
    ) -> GatewayError {
        GatewayError(
            status: 429,
            message: "Rate limit reached for \(describe(scope, name)) on \(unit): Limit \(limit), Used \(used),"
                + " Requested \(requested). Please try again in \(duration(wait)).",
            type: type, code: "rate_limit_exceeded")
    }

    /// `retry-after` in whole seconds, rounded up (never 0: a client retrying at once would be refused).
    static func retryAfter(_ seconds: Double) -> [(name: String, value: String)] {
        [("retry-after", String(max(1, Int(seconds.rounded(.up)))))]
    }

    /// OpenAI's `x-ratelimit-limit-<unit>`, `-remaining-`, `-reset-` trio.
    static func headers(_ unit: String, limit: Int, used: Double, reset: Double) -> [(name: String, value: String)] {
        [
            ("x-ratelimit-limit-\(unit)", String(limit)),
            ("x-ratelimit-remaining-\(unit)", String(max(0, limit - Int(used.rounded(.up))))),
            ("x-ratelimit-reset-\(unit)", duration(reset)),
        ]
    }

    /// "12s", "1m0s", "250ms" as OpenAI writes durations.
    static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded(.up)))ms" }
        let whole = Int(seconds.rounded(.up))
        return whole >= 60 ? "\(whole / 60)m\(whole % 60)s" : "\(whole)s"
    }
}
