import GatewayWire

/// `providers:`, the upstream targets and how requests are spread over them.
package struct ProvidersConfig: Sendable, Equatable {
    package var strategy: RoutingStrategy
    /// In file order; `fallback` tries them in this order. Never empty.
    package var targets: [TargetConfig]
    /// Retries on the same target after a retryable failure (so at most 1 + max_retries attempts each).
    package var maxRetries = 1
    /// Which failures are retried (on the same target, then the next one).
    package var retryOn: Set<FailureClass> = Set(FailureClass.allCases)
    /// Targets tried for one exchange before the error goes back to the client (`fallback` and the others).
    package var maxFallbackAttempts = 3
    /// Exponential backoff with full jitter between retries on one target: base and cap, milliseconds.
    package var backoffBaseMs = 250
    package var backoffMaxMs = 8000
    /// Defaults of every target's breaker (a target may override them).
    package var circuitBreaker = BreakerSettings()
    /// What every exchange requires of a target's data policy (a policy can add to it).
    package var requirements = DataRequirements()
}

/// `providers.strategy` (and a model group's `strategy`).
package enum RoutingStrategy: String, Sendable, Equatable, CaseIterable {
    case single
    case fallback
    case latency
    case weightedRoundRobin = "weighted_round_robin"
    /// Beyond the reference: the cheapest usable target by `pricing` for the request's estimated tokens.
    case cost
}

/// The failures a retry or a fallback may follow (`retry_on`).
package enum FailureClass: String, Sendable, Equatable, CaseIterable, Comparable {
    /// The connection could not be made (refused, reset before an answer, DNS, TLS).
    case connectError = "connect_error"
    /// No answer within the target's timeout (the request may have been processed: it may bill twice).
    case timeout
    /// HTTP 429.
    case rateLimit = "rate_limit"
    /// HTTP 408, 500, 502, 503, 504.
    case serverError = "server_error"
    /// HTTP 529 or an answer whose error says the provider is overloaded.
    case overloaded

    package static func < (a: FailureClass, b: FailureClass) -> Bool { a.rawValue < b.rawValue }
}

/// `circuit_breaker:` (providers-wide defaults, or a target's own).
package struct BreakerSettings: Sendable, Equatable {
    /// Consecutive failures that open the breaker.
    package var failureThreshold = 5
    /// How long an open breaker refuses the target before it lets probes through.
    package var cooldownSeconds: Double = 30
    /// Requests let through while half-open; as many successes close it, one failure reopens it.
    package var halfOpenRequests = 1
}

/// `providers.requirements:` what a target's data policy must promise to serve an exchange.
package struct DataRequirements: Sendable, Equatable {
    package var zeroDataRetention = false
    package var noTraining = false
    package var maxRetentionDays: Int?
    /// Empty: any region.
    package var allowedRegions: [String] = []

    package var isEmpty: Bool { self == DataRequirements() }

    /// Both sets of requirements at once (the stricter of each).
    package func merged(with other: DataRequirements) -> DataRequirements {
        var result = self
        result.zeroDataRetention = zeroDataRetention || other.zeroDataRetention
        result.noTraining = noTraining || other.noTraining
        if let days = other.maxRetentionDays { result.maxRetentionDays = min(maxRetentionDays ?? days, days) }
        if !other.allowedRegions.isEmpty {
            result.allowedRegions =
                allowedRegions.isEmpty ? other.allowedRegions : allowedRegions.filter(other.allowedRegions.contains)
            if result.allowedRegions.isEmpty { result.allowedRegions = ["(none: the two region lists do not overlap)"] }
        }
        return result
    }
}

/// `model_groups[]`: a name (and aliases) clients send as `model`, served by the listed targets.
package struct ModelGroupConfig: Sendable, Equatable {
    package var name: String
    package var targets: [String]
    package var aliases: [String] = []
    /// nil: `providers.strategy`.
    package var strategy: RoutingStrategy?
    /// Another group tried when every target of this one failed.
    package var fallbackGroup: String?
}
