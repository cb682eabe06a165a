/// One `providers.targets[]` entry. Provider-specific defaults (auth header, base URL) are not filled here:
/// the provider registry decides them, so absent fields stay nil.
struct TargetConfig: Sendable, Equatable {
    var id: String
    /// Verbatim, e.g. `openai` or the shorthand `openai:chat:gpt-4o`; nil when absent.
    var provider: String?
    /// Verbatim; nil only when `provider` is a shorthand that carries the model.
    var model: String?
    /// Starts with `http://` or `https://`.
    var baseURL: String?
    /// The environment variable named by `secret_key_ref: {env: NAME}`.
    var secretEnvName: String?
    /// The API key, from the environment or a literal `api_key`; nil when none is configured or resolvable.
    var secret: Secret?
    /// Why the target cannot be used (e.g. its key's environment variable is unset); nil when usable.
    var unavailableReason: String?
    var apiKeyHeader: String?
    var apiKeyPrefix: String?
    /// Azure `api-version` (a gatewayhost extension).
    var apiVersion: String?
    var timeoutSeconds: Double
    var streamTimeoutSeconds: Double?
    var maxContextTokens: Int?
    var maxMessages: Int?
    var headers: [String: String]
    var format: TargetFormat
    var providerType: String?
    var description: String?
    var weight: Double
    var dataPolicy: DataPolicyConfig?
    var pricing: PricingConfig?
    var dataCollection: DataCollectionMode?
    var zdr: Bool
    var region: String?
    var healthProbe: HealthProbeConfig?
    /// Forward the client's `OpenAI-Organization` / `OpenAI-Project` even when the gateway supplies the key
    /// (a gatewayhost extension; off by default: the gateway's key decides the organization it bills).
    var forwardClientOrgHeaders = false
    /// Position of the target's mapping, for later messages about this target.
    var line: Int
    var column: Int

    /// `stream_timeout_seconds`, falling back to `timeout_seconds` as the reference specifies.
    var effectiveStreamTimeoutSeconds: Double { streamTimeoutSeconds ?? timeoutSeconds }

    /// `zdr: true` is shorthand for `data_policy.zero_data_retention: true`.
    var zeroDataRetention: Bool { zdr || dataPolicy?.zeroDataRetention == true }
}

/// The wire format a target speaks (`format:`).
enum TargetFormat: String, Sendable, Equatable, CaseIterable {
    case openai
    case anthropic
}

/// `data_policy:`, what the provider promises about the data it receives.
struct DataPolicyConfig: Sendable, Equatable {
    var zeroDataRetention: Bool
    var trainingOptOut: Bool
    var retentionDays: Int?
}

/// `pricing:`, USD per one million tokens.
struct PricingConfig: Sendable, Equatable {
    var prompt: Double?
    var completion: Double?
}

/// `data_collection:`, whether the provider may collect analytics.
enum DataCollectionMode: String, Sendable, Equatable, CaseIterable {
    case allow
    case deny
}

/// `health_probe:`; present only when the target asks to be probed.
struct HealthProbeConfig: Sendable, Equatable {
    var path: String
    var intervalSeconds: Double
    var timeoutSeconds: Double
}
