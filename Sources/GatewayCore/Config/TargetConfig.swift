import GatewayWire

/// One `providers.targets[]` entry. Provider-specific defaults (auth header, base URL) are not filled here:
/// the provider registry decides them, so absent fields stay nil.
package struct TargetConfig: Sendable, Equatable {
    package var id: String
    /// Verbatim, e.g. `openai` or the shorthand `openai:chat:gpt-4o`; nil when absent.
    package var provider: String?
    /// Verbatim; nil only when `provider` is a shorthand that carries the model.
    package var model: String?
    /// Starts with `http://` or `https://`.
    package var baseURL: String?
    /// The environment variable named by `secret_key_ref: {env: NAME}`.
    package var secretEnvName: String?
    /// The API key, from the environment or a literal `api_key`; nil when none is configured or resolvable.
    package var secret: Secret?
    /// Why the target cannot be used (e.g. its key's environment variable is unset); nil when usable.
    package var unavailableReason: String?
    package var apiKeyHeader: String?
    package var apiKeyPrefix: String?
    /// Azure `api-version` (a gatewayhost extension).
    package var apiVersion: String?
    package var timeoutSeconds: Double
    package var streamTimeoutSeconds: Double?
    package var maxContextTokens: Int?
    package var maxMessages: Int?
    /// `max_tokens`: what an Anthropic target asks for when the client sets no limit (Anthropic requires one).
    package var maxTokens: Int?
    /// `limits`: this target's own rate limits (routing skips a target at its limit).
    package var limits = RateLimits()
    package var headers: [String: String]
    package var format: TargetFormat
    package var providerType: String?
    package var description: String?
    package var weight: Double
    package var dataPolicy: DataPolicyConfig?
    package var pricing: PricingConfig?
    package var dataCollection: DataCollectionMode?
    package var zdr: Bool
    package var region: String?
    package var healthProbe: HealthProbeConfig?
    /// Forward the client's `OpenAI-Organization` / `OpenAI-Project` even when the gateway supplies the key
    /// (a gatewayhost extension; off by default: the gateway's key decides the organization it bills).
    package var forwardClientOrgHeaders = false
    /// `trigger_ratio`: trimming starts at `max_context_tokens × trigger_ratio` (0.9).
    package var triggerRatio: Double = 0.9
    /// `context_overflow`: what a prompt still too long after trimming gets.
    package var contextOverflow: ContextOverflow = .reject
    /// This target's own breaker settings (nil: `providers.circuit_breaker`).
    package var circuitBreaker: BreakerSettings?
    /// Position of the target's mapping, for later messages about this target.
    package var line: Int
    package var column: Int

    /// `stream_timeout_seconds`, falling back to `timeout_seconds` as the reference specifies.
    package var effectiveStreamTimeoutSeconds: Double { streamTimeoutSeconds ?? timeoutSeconds }

    /// `zdr: true` is shorthand for `data_policy.zero_data_retention: true`.
    package var zeroDataRetention: Bool { zdr || dataPolicy?.zeroDataRetention == true }
}

/// The wire format a target speaks (`format:`).
package enum TargetFormat: String, Sendable, Equatable, CaseIterable {
    case openai
    case anthropic
}

/// `data_policy:`, what the provider promises about the data it receives.
package struct DataPolicyConfig: Sendable, Equatable {
    package var zeroDataRetention: Bool
    package var trainingOptOut: Bool
    package var retentionDays: Int?
}

/// `pricing:`, USD per one million tokens.
package struct PricingConfig: Sendable, Equatable {
    package var prompt: Double?
    package var completion: Double?
    /// Cached input tokens (`prompt_tokens_details.cached_tokens`); unset: priced as prompt tokens.
    package var cachedInput: Double?
}

/// `data_collection:`, whether the provider may collect analytics.
package enum DataCollectionMode: String, Sendable, Equatable, CaseIterable {
    case allow
    case deny
}

/// `health_probe:`; present only when the target asks to be probed.
package struct HealthProbeConfig: Sendable, Equatable {
    package var path: String
    package var intervalSeconds: Double
    package var timeoutSeconds: Double
    /// Consecutive failed probes that mark the target down, and passed ones that bring it back.
    package var unhealthyThreshold = 3
    package var healthyThreshold = 2
}

/// `context_overflow:` a prompt longer than the target's window after trimming is answered 400
/// `context_length_exceeded` (`reject`), or routed to the next target, which may have a larger window.
package enum ContextOverflow: String, Sendable, Equatable, CaseIterable {
    case reject
    case nextTarget = "next_target"
}
