import GatewayWire

/// A provider target ready for routing: the config's target with its provider resolved, its defaults
/// applied and its secret read. Immutable.
package struct Target: Sendable {
    package enum Serves: Sendable, Equatable {
        /// Every API the gateway serves (OpenAI-format providers).
        case both
        case only(WireAPI)
        /// Chat completions and embeddings (a translated provider with an embeddings API, like Gemini).
        case chatAndEmbeddings

        package func includes(_ api: WireAPI) -> Bool {
            switch self {
            case .both: true
            case .only(let one): one == api
            case .chatAndEmbeddings: api != .responses
            }
        }
    }

    package let id: String
    /// The provider as configured (`openai`, `azure-openai`, `ollama`, ...), after shorthand parsing.
    package let provider: String
    package let adapter: any ProviderAdapter
    /// The upstream model (Azure: the deployment name).
    package let model: String
    package let serves: Serves
    package let baseURL: String
    package let apiKeyHeader: String
    package let apiKeyPrefix: String
    package let secret: Secret?
    package let apiVersion: String?
    package let headers: [(name: String, value: String)]
    package let timeoutSeconds: Double
    package let streamTimeoutSeconds: Double
    package let weight: Double
    package let pricing: (prompt: Double, completion: Double)?
    /// See `TargetConfig.forwardClientOrgHeaders`.
    package let forwardClientOrgHeaders: Bool
    /// Why the target cannot be used (a missing key); nil when usable.
    package let unavailableReason: String?
    /// Its breaker, recent latency and probe verdict (shared by every exchange).
    package let health: TargetHealth
    package let healthProbe: HealthProbeConfig?
    /// What the provider promises about the data (`zdr`, `data_policy`, `region`).
    package let dataPolicy: TargetDataPolicy
    /// `max_messages`, `max_context_tokens`, `trigger_ratio`; nil when the target sets neither limit.
    package let contextLimits: ContextLimits?
    package let contextOverflow: ContextOverflow
    /// `max_tokens` for providers that require a limit (Anthropic) when the client sets none.
    package var defaultMaxTokens = 4096
    /// AWS credentials for SigV4-signed providers (Bedrock), read from the environment at load.
    package var awsCredentials: AWSCredentials? = nil
    /// USD per 1M cached input tokens (`pricing.cached_input`); nil: priced as prompt tokens.
    package var cachedInputPrice: Double? = nil
    /// This target's own rate limits: routing skips it while it is at one.
    package var limits = RateLimits()

    /// The price table for `UsageFigures.cost`.
    package var priceTable: (prompt: Double, completion: Double, cachedInput: Double?)? {
        pricing.map { ($0.prompt, $0.completion, cachedInputPrice) }
    }

    /// The gateway authenticates to this target with credentials of its own (a key or AWS credentials):
    /// a 401/403 from it is the operator's problem, never the client's.
    package var usesGatewayCredentials: Bool { authHeader != nil || awsCredentials != nil }

    /// The `Authorization`-style header for this target, when it has a key.
    package var authHeader: (name: String, value: String)? {
        guard let secret else { return nil }
        return (apiKeyHeader, apiKeyPrefix + secret.reveal)
    }

    /// `base/path`, with exactly one slash between them.
    package func url(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + (path.hasPrefix("/") ? path : "/" + path)
    }
}

/// A target's data promises, as routing requirements check them.
package struct TargetDataPolicy: Sendable, Equatable {
    /// The target declared a data policy at all (`zdr` or `data_policy`): undeclared targets never meet a
    /// requirement.
    package var declared = false
    package var zeroDataRetention = false
    package var noTraining = false
    package var retentionDays: Int?
    package var region: String?

    /// Why this target does not meet `requirements`; nil when it does.
    package func unmet(_ requirements: DataRequirements) -> String? {
        if requirements.isEmpty { return nil }
        if !requirements.allowedRegions.isEmpty {
            guard let region, requirements.allowedRegions.contains(region) else {
                return
                    "region \(region ?? "(undeclared)") is not one of \(requirements.allowedRegions.joined(separator: ", "))"
            }
        }
        let needsPolicy =
            requirements.zeroDataRetention || requirements.noTraining || requirements.maxRetentionDays != nil
        if needsPolicy && !declared { return "it declares no data policy" }
        if requirements.zeroDataRetention && !zeroDataRetention { return "it does not promise zero data retention" }
        if requirements.noTraining && !noTraining && !zeroDataRetention { return "it does not opt out of training" }
        if let limit = requirements.maxRetentionDays, !zeroDataRetention {
            guard let days = retentionDays, days <= limit else {
                return "its retention (\(retentionDays.map { "\($0) days" } ?? "undeclared")) exceeds \(limit) days"
            }
        }
        return nil
    }
}
