import Foundation
import GatewayWire

/// What the status page shows about traffic since start: totals, per target and per policy, and the last
/// blocked or failed exchanges (metadata only: time, client, model, target, policy, code, status).
///
/// Usage:
/// ```swift
/// activity.record(summary)
/// let json = activity.json()   // the "traffic", "recent" and per-target / per-policy counts
/// ```
package final class ActivityLog: Sendable {
    package static let recentCapacity = 50

    package struct Recent: Sendable {
        var time: Date
        var requestID: String
        var client: String
        var model: String
        var target: String?
        var status: Int
        var policy: String?
        var code: String?
    }

    struct Counts: Sendable {
        var requests = 0
        var errors = 0
        var byStatus: [String: Int] = [:]
        var targetRequests: [String: Int] = [:]
        var targetFailures: [String: Int] = [:]
        var verdicts: [String: [String: Int]] = [:]
        var recent: [Recent] = []
    }

    private let counts = Locked(Counts())

    package init() {}

    package func record(_ summary: ExchangeSummary) {
        counts.withLock { c in
            c.requests += 1
            if summary.status >= 400 { c.errors += 1 }
            c.byStatus[GatewayMetrics.statusClass(summary.status), default: 0] += 1
            for attempt in summary.attempts where attempt.reachedUpstream {
                c.targetRequests[attempt.target, default: 0] += 1
                if attempt.outcome != "success" && attempt.outcome != "final" {
                    c.targetFailures[attempt.target, default: 0] += 1
                }
            }
            for verdict in summary.verdicts {
                let kind = verdict.verdict.hasPrefix("error") ? "error" : verdict.verdict
                c.verdicts[verdict.policy, default: [:]][kind, default: 0] += 1
            }
            if summary.status >= 400 || summary.policy != nil {
                c.recent.append(
                    Recent(
                        time: Date(), requestID: summary.requestID, client: summary.clientID, model: summary.model,
                        target: summary.target, status: summary.status, policy: summary.policy, code: summary.code))
                if c.recent.count > Self.recentCapacity { c.recent.removeFirst(c.recent.count - Self.recentCapacity) }
            }
        }
    }

    /// The `traffic` object of `/admin/api/status`.
    package func trafficJSON(inflight: Int, openStreams: Int) -> String {
        counts.withLock { c in
            let classes = ["2xx", "4xx", "5xx"].map { "\(jsonQuoted($0)):\(c.byStatus[$0] ?? 0)" }
            return "{\"requests_total\":\(c.requests),\"errors_total\":\(c.errors),\"inflight\":\(inflight),"
                + "\"open_streams\":\(openStreams),\"by_status\":{\(classes.joined(separator: ","))}}"
        }
    }

    package func targetCounts(_ id: String) -> (requests: Int, failures: Int) {
        counts.withLock { ($0.targetRequests[id] ?? 0, $0.targetFailures[id] ?? 0) }
    }

    /// `[{"name", "verdicts": {...}}]` for the given chain (policies of the current generation first).
    package func policiesJSON(chain: [String]) -> String {
        counts.withLock { c in
            let items = chain.map { name -> String in
                let verdicts = (c.verdicts[name] ?? [:]).sorted { $0.key < $1.key }
                    .map { "\(jsonQuoted($0.key)):\($0.value)" }
                return "{\"name\":\(jsonQuoted(name)),\"verdicts\":{\(verdicts.joined(separator: ","))}}"
            }
            return "[" + items.joined(separator: ",") + "]"
        }
    }

    /// The last blocked or failed exchanges, newest first.
    package func recentJSON() -> String {
        let recent = counts.withLock { $0.recent }
        let items = recent.reversed().map { r -> String in
            func optional(_ text: String?) -> String { text.map(jsonQuoted) ?? "null" }
            return "{\"time\":\(jsonQuoted(Timestamps.iso8601(r.time))),\"request_id\":\(jsonQuoted(r.requestID)),"
                + "\"client\":\(jsonQuoted(r.client)),\"model\":\(jsonQuoted(r.model)),\"target\":\(optional(r.target)),"
                + "\"status\":\(r.status),\"policy\":\(optional(r.policy)),\"code\":\(optional(r.code))}"
        }
        return "[" + items.joined(separator: ",") + "]"
    }
}

/// UTC timestamps as ISO 8601 with milliseconds, for logs and admin answers.
package enum Timestamps {
    package static func iso8601(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), max(0, min(999, millis)))
    }
}
