import Foundation
import GatewayWire

/// What one attempt's result means for the exchange.
package enum AttemptOutcome: Sendable, Equatable {
    case success
    /// A transient failure: retried on the same target and then the next one, if `retry_on` has its class.
    case retryable(FailureClass)
    /// This target cannot serve the exchange (its key was refused, its breaker is open): the next one may.
    case nextTarget(String)
    /// The upstream refused the request itself (a 4xx about the request): answered as it is.
    case final
}

/// Classifies upstream answers and errors, and reads how long an upstream asks the gateway to wait.
package enum FailureClassifier {
    /// An HTTP answer that is not 2xx.
    package static func classify(status: Int, body: [UInt8]) -> AttemptOutcome {
        if mentionsOverload(body) && status >= 400 { return .retryable(.overloaded) }
        switch status {
        case 429: return .retryable(.rateLimit)
        case 408, 500, 502, 503, 504: return .retryable(.serverError)
        case 529: return .retryable(.overloaded)
        case 500...599: return .retryable(.serverError)
        default: return .final
        }
    }

    /// A transfer that failed before a complete answer.
    package static func classify(_ error: UpstreamError) -> AttemptOutcome {
        switch error {
        case .couldNotConnect: .retryable(.connectError)
        case .timedOut: .retryable(.timeout)
        // Cut after connecting (reset, truncated): the request may have been processed; retried as a
        // connection failure, as OpenAI's SDKs do.
        case .transfer: .retryable(.connectError)
        case .tooLarge: .final
        case .cancelled: .final
        }
    }

    /// Provider bodies that say "overloaded" (Anthropic's overloaded_error, OpenAI's "engine is overloaded").
    static func mentionsOverload(_ body: [UInt8]) -> Bool {
        guard body.count < 64 << 10 else { return false }
        return String(decoding: body, as: UTF8.self).lowercased().contains("overloaded")
    }

    /// Seconds the upstream asks to wait before trying again: `retry-after-ms`, else `retry-after` (seconds or
    /// an HTTP date), else the later of OpenAI's `x-ratelimit-reset-requests` / `-tokens` ("1s", "6m0s",
    /// "20ms"). Nil when it says nothing usable.
    package static func retryDelay(_ header: (String) -> String?, now: Date = Date()) -> Double? {
        if let text = header("retry-after-ms"), let ms = Double(text.trimmingCharacters(in: .whitespaces)), ms >= 0 {
            return ms / 1000
        }
        if let text = header("retry-after")?.trimmingCharacters(in: .whitespaces) {
            if let seconds = Double(text), seconds >= 0 { return seconds }
            if let date = httpDate(text) { return max(0, date.timeIntervalSince(now)) }
        }
        let resets = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"].compactMap { header($0) }
            .compactMap(duration)
        return resets.max()
    }

    /// Go-style durations as OpenAI sends them: "1h2m3.5s", "6m0s", "20ms", "0.5s".
    package static func duration(_ text: String) -> Double? {
        var total = 0.0
        var number = ""
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        while let character = rest.first {
            if character.isNumber || character == "." {
                number.append(character)
                rest = rest.dropFirst()
                continue
            }
            guard let value = Double(number) else { return nil }
            number = ""
            if rest.hasPrefix("ms") {
                total += value / 1000
                rest = rest.dropFirst(2)
            } else if rest.hasPrefix("h") {
                total += value * 3600
                rest = rest.dropFirst()
            } else if rest.hasPrefix("m") {
                total += value * 60
                rest = rest.dropFirst()
            } else if rest.hasPrefix("s") {
                total += value
                rest = rest.dropFirst()
            } else {
                return nil
            }
        }
        if !number.isEmpty {
            guard let value = Double(number) else { return nil }
            total += value  // a bare number: seconds
        }
        return total
    }

    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
