/// `providers:`, the upstream targets and how requests are spread over them.
struct ProvidersConfig: Sendable, Equatable {
    var strategy: RoutingStrategy
    /// In file order; `fallback` tries them in this order. Never empty.
    var targets: [TargetConfig]
}

/// `providers.strategy`.
enum RoutingStrategy: String, Sendable, Equatable, CaseIterable {
    case single
    case fallback
    case latency
    case weightedRoundRobin = "weighted_round_robin"
}
