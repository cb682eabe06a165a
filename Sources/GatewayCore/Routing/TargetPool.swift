import GatewayWire

/// The configured targets and the routing strategy: given a model and an API, which targets may serve
/// the exchange, in the order to try them. This is the seam the routing strategies plug into: `single`
/// picks the first usable match; `fallback`, `latency` and `weighted_round_robin` order the same
/// candidate list differently.
package struct TargetPool: Sendable {
    /// The chosen target and the model name to put in the upstream body when it differs from the client's.
    package struct Choice: Sendable {
        package let target: Target
        package let upstreamModel: String?
    }

    package let strategy: RoutingStrategy
    package let targets: [Target]

    /// The models clients can ask for (a target's model, and its id as an alias), for `/v1/models`.
    package var models: [(id: String, ownedBy: String)] {
        var seen = Set<String>()
        var result: [(String, String)] = []
        for target in targets where target.unavailableReason == nil {
            for name in [target.model, target.id] where seen.insert(name).inserted {
                result.append((name, target.provider))
            }
        }
        return result
    }

    /// Targets serving `model` on `api`, in try order. Throws 404 for a model no target serves, 503 when
    /// every matching target is unavailable.
    package func candidates(model: String, api: WireAPI) throws(GatewayError) -> [Choice] {
        let matching = targets.filter { ($0.model == model || $0.id == model) && $0.serves.includes(api) }
        guard !matching.isEmpty else {
            if targets.contains(where: { $0.model == model || $0.id == model }) {
                throw GatewayError.validation(
                    "The model `\(model)` is not served on \(api == .chatCompletions ? "/v1/chat/completions" : "/v1/responses") by this gateway.",
                    param: "model")
            }
            throw GatewayError.unknownModel(model)
        }
        let usable = matching.filter { $0.unavailableReason == nil }
        guard !usable.isEmpty else {
            let reasons = matching.map { "target '\($0.id)': \($0.unavailableReason ?? "unavailable")" }
            throw GatewayError.noTarget(reasons.joined(separator: "; "))
        }
        let ordered = strategy == .single ? [usable[0]] : usable
        return ordered.map { Choice(target: $0, upstreamModel: $0.model == model ? nil : $0.model) }
    }
}
