import GatewayWire

/// Token counts of one answer, read from the upstream's `usage` object (chat: `prompt_tokens`,
/// `completion_tokens`, `prompt_tokens_details.cached_tokens`; Responses: `input_tokens`,
/// `output_tokens`, `input_tokens_details.cached_tokens`), or estimated when a stream was cut before it.
///
/// Usage:
/// ```swift
/// let figures = UsageFigures(usageJSON: #"{"prompt_tokens":12,"completion_tokens":3}"#)
/// let usd = figures?.cost(pricing: target.pricing)
/// ```
package struct UsageFigures: Sendable, Equatable {
    package var promptTokens: Int
    package var completionTokens: Int
    package var cachedTokens = 0
    /// A cost the provider reported itself (`usage.cost`, USD), preferred to the price table.
    package var providerCost: Double?
    /// Counted by the gateway, not reported by the upstream (a cut stream).
    package var estimated = false

    package init(promptTokens: Int, completionTokens: Int, cachedTokens: Int = 0, estimated: Bool = false) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.estimated = estimated
    }

    package init?(usageJSON: String) {
        guard let document = try? JSONDocument(parsing: Array(usageJSON.utf8)), document.root.kind == .object else {
            return nil
        }
        let usage = document.root
        guard let prompt = usage["prompt_tokens"]?.int ?? usage["input_tokens"]?.int else { return nil }
        promptTokens = prompt
        completionTokens = usage["completion_tokens"]?.int ?? usage["output_tokens"]?.int ?? 0
        cachedTokens =
            usage["prompt_tokens_details"]?["cached_tokens"]?.int ?? usage["input_tokens_details"]?["cached_tokens"]?
            .int ?? 0
        providerCost = usage["cost"]?.double
    }

    package var totalTokens: Int { promptTokens + completionTokens }

    /// USD: the provider's own figure when it gave one, else the target's prices per 1M tokens (cached
    /// input at `cached_input`, or at the prompt price without one); nil without either.
    package func cost(pricing: (prompt: Double, completion: Double, cachedInput: Double?)?) -> Double? {
        if let providerCost { return providerCost }
        guard let pricing else { return nil }
        let cached = min(cachedTokens, promptTokens)
        let uncached = Double(promptTokens - cached) * pricing.prompt
        let cachedCost = Double(cached) * (pricing.cachedInput ?? pricing.prompt)
        return (uncached + cachedCost + Double(completionTokens) * pricing.completion) / 1_000_000
    }
}
