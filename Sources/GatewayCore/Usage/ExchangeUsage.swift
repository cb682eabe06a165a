import Foundation
import GatewayWire

/// The usage of one finished exchange: what each billed attempt used and cost. The answering attempt
/// has the upstream's `usage` (or, for a stream cut before it, an estimate from the request and the
/// events relayed, marked `estimated`); an attempt that timed out after the request was sent may have been
/// billed too, so it is recorded with the estimated prompt tokens.
///
/// Usage:
/// ```swift
/// let usage = ExchangeUsage(exchange: exchange, state: state, runtime: runtime)
/// for record in usage.records { ledger.append(record) }
/// ```
package struct ExchangeUsage: Sendable {
    package var records: [UsageRecord] = []
    /// The answering attempt's figures and cost (for limits, metrics and the access log).
    package var figures: UsageFigures?
    package var cost: Double?

    package init(exchange: Exchange, state: Exchange.State, usageJSON: String?, runtime: GatewayRuntime) {
        let targets = Dictionary(runtime.pool.targets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let now = Date()
        let status = state.status ?? 499
        for (index, attempt) in state.attempts.enumerated() {
            var attemptFigures: UsageFigures?
            if attempt.outcome == "success" {
                if let usageJSON, let reported = UsageFigures(usageJSON: usageJSON) {
                    attemptFigures = reported
                } else if exchange.stream {
                    // Cut before its usage event: the prompt from the request, an answer token per event.
                    attemptFigures = UsageFigures(
                        promptTokens: state.estimate.promptTokens, completionTokens: max(0, state.streamEvents - 1),
                        estimated: true)
                }
            } else if attempt.outcome == "retryable:timeout" {
                attemptFigures = UsageFigures(
                    promptTokens: state.estimate.promptTokens, completionTokens: 0, estimated: true)
            }
            guard let attemptFigures else { continue }
            let cost = attemptFigures.cost(pricing: targets[attempt.target]?.priceTable)
            if attempt.outcome == "success" {
                figures = attemptFigures
                self.cost = cost
            }
            records.append(
                UsageRecord(
                    time: now, requestID: exchange.requestID, clientID: exchange.clientID, pack: exchange.packName,
                    model: state.model, target: attempt.target, attempt: index + 1,
                    promptTokens: attemptFigures.promptTokens, completionTokens: attemptFigures.completionTokens,
                    cachedTokens: attemptFigures.cachedTokens, costUSD: cost ?? 0, estimated: attemptFigures.estimated,
                    status: attempt.outcome == "success" ? status : 0))
        }
    }

    /// Every record's cost: what the budgets are charged.
    package var totalCost: Double { records.reduce(0) { $0 + $1.costUSD } }
}
