import GatewayWire

/// `providers:`, the upstream targets and how requests are spread over them.
package struct ProvidersConfig: Sendable, Equatable {
    package var strategy: RoutingStrategy
    /// In file order; `fallback` tries them in this order. Never empty.
    package var targets: [TargetConfig]
}

/// `providers.strategy`.
package enum RoutingStrategy: String, Sendable, Equatable, CaseIterable {
    case single
    case fallback
    case latency
    case weightedRoundRobin = "weighted_round_robin"
}
