import Foundation

/// One billed attempt: what the upstream reported (or what was estimated when the stream was cut) and
/// what it cost. The gateway writes one record per attempt the upstream may bill, retries and failovers
/// included, to the `UsageLedger`.
///
/// Usage:
/// ```swift
/// let record = UsageRecord(
///     time: Date(), requestID: "req-1", clientID: "team-a", pack: "demo", model: "gpt-4o-mini",
///     target: "openai-main", attempt: 1, promptTokens: 30, completionTokens: 12, cachedTokens: 0,
///     costUSD: 0.000195, estimated: false, status: 200)
/// ledger.append(record)
/// ```
package struct UsageRecord: Sendable, Equatable {
    /// When the attempt ended.
    package var time: Date
    package var requestID: String
    /// The client key's id (the contract's `client_id`).
    package var clientID: String
    /// The policy pack's name.
    package var pack: String
    package var model: String
    /// The routing target's id.
    package var target: String
    /// 1-based attempt number within the request.
    package var attempt: Int
    package var promptTokens: Int
    package var completionTokens: Int
    /// Prompt tokens served from the provider's cache (a part of `promptTokens`).
    package var cachedTokens: Int
    package var costUSD: Double
    /// The usage was estimated from the text seen because the stream was cut before its usage.
    package var estimated: Bool
    /// The upstream's HTTP status (or the gateway's, when the attempt failed before an answer).
    package var status: Int

    package init(
        time: Date, requestID: String, clientID: String, pack: String, model: String, target: String,
        attempt: Int, promptTokens: Int, completionTokens: Int, cachedTokens: Int, costUSD: Double,
        estimated: Bool, status: Int
    ) {
        self.time = time
        self.requestID = requestID
        self.clientID = clientID
        self.pack = pack
        self.model = model
        self.target = target
        self.attempt = attempt
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.costUSD = costUSD
        self.estimated = estimated
        self.status = status
    }
}
