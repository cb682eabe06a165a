import GatewayWire

#if canImport(Glibc)
    import Glibc
#endif

/// Maps a target's `provider` / `provider_type` (or the shorthand `openai:chat:MODEL`) to the adapter that
/// speaks to it, and applies that provider's defaults.
package enum ProviderRegistry {
    /// Provider names served by the OpenAI adapter as they are (OpenAI itself and compatible servers).
    package static let openAICompatible: Set<String> = Set(OpenAIAdapter.knownBaseURLs.keys)

    /// One target that cannot be used as configured; the gateway refuses to start on it.
    package struct ResolveError: Error, CustomStringConvertible, Sendable {
        package let description: String
    }

    package static func resolve(
        _ config: TargetConfig, file: String, breakerDefaults: BreakerSettings = BreakerSettings()
    ) throws(ResolveError) -> Target {
        func fail(_ message: String) -> ResolveError {
            ResolveError(
                description:
                    "\(file):\(config.line):\(config.column): providers.targets (id '\(config.id)'): \(message)")
        }
        // `openai:chat:gpt-4o` → provider openai, serves chat only, model gpt-4o.
        var provider = (config.providerType ?? config.provider ?? "openai").lowercased()
        var model = config.model
        var serves = Target.Serves.both
        let parts = (config.provider ?? "").split(separator: ":", maxSplits: 2).map(String.init)
        if parts.count == 3 {
            provider = config.providerType?.lowercased() ?? parts[0].lowercased()
            switch parts[1] {
            case "chat": serves = .only(.chatCompletions)
            case "responses": serves = .only(.responses)
            default:
                throw fail(
                    "the shorthand '\(config.provider!)' names kind '\(parts[1])'; gatewayhost serves 'chat' and 'responses'"
                )
            }
            if model == nil { model = parts[2] }
        } else if parts.count == 2 {
            throw fail(
                "the provider '\(config.provider!)' looks like a shorthand; expected PROVIDER:KIND:MODEL, e.g. openai:chat:gpt-4o"
            )
        }
        if provider == "azure" { provider = "azure-openai" }
        guard let model, !model.isEmpty else {
            throw fail("no model: set `model` or use provider: PROVIDER:KIND:MODEL")
        }

        if config.maxTokens != nil && provider != "anthropic" && config.format != .anthropic {
            throw fail(
                "max_tokens is the answer limit sent to Anthropic when the client sets none (Anthropic requires"
                    + " one); provider '\(provider)' needs none, so it would have no effect: remove it")
        }
        let adapter: any ProviderAdapter
        switch provider {
        case "echo": adapter = EchoAdapter()
        case "azure-openai": adapter = AzureOpenAIAdapter()
        case "anthropic":
            adapter = AnthropicAdapter()
            serves = try translatedServes(serves, provider, fail)
        case "gemini", "google", "google-ai-studio":
            provider = "gemini"
            adapter = GeminiAdapter()
            _ = try translatedServes(serves, provider, fail)
            serves = .chatAndEmbeddings
        case "aws-bedrock", "bedrock":
            return try bedrockTarget(config, model: model, serves: serves, breakerDefaults: breakerDefaults, fail)
        default:
            if config.format == .anthropic {
                // Any server that speaks Anthropic's Messages API (a proxy, a self-hosted compatible server).
                guard config.baseURL != nil else { throw fail("format 'anthropic' needs base_url") }
                adapter = AnthropicAdapter()
                serves = try translatedServes(serves, provider, fail)
                break
            }
            if !openAICompatible.contains(provider) && config.baseURL == nil {
                throw fail("unknown provider '\(provider)': set base_url to use it as an OpenAI-compatible server")
            }
            adapter = OpenAIAdapter()
        }
        let defaults = adapter.defaults(for: provider)
        guard let baseURL = config.baseURL ?? defaults.baseURL else {
            if adapter is EchoAdapter {
                return target(config, provider, adapter, model, serves, "local:echo", defaults, breakerDefaults)
            }
            throw fail("base_url is required for provider '\(provider)'")
        }
        return target(config, provider, adapter, model, serves, baseURL, defaults, breakerDefaults)
    }

    /// A Bedrock target: signed with the environment's AWS credentials (missing ones make the target
    /// unavailable, like a missing key), in the region the target names.
    private static func bedrockTarget(
        _ config: TargetConfig, model: String, serves: Target.Serves, breakerDefaults: BreakerSettings,
        _ fail: (String) -> ResolveError
    ) throws(ResolveError) -> Target {
        guard let region = config.region, !region.isEmpty else {
            throw fail("provider 'bedrock' needs region (the AWS region, e.g. us-east-1)")
        }
        guard config.healthProbe == nil else {
            throw fail(
                "health_probe is not supported for provider 'bedrock': its probe would be an unsigned GET, which AWS"
                    + " refuses (the target would look down); the circuit breaker still watches its answers")
        }
        guard config.secretEnvName == nil else {
            throw fail(
                "provider 'bedrock' signs requests with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and"
                    + " AWS_SESSION_TOKEN) from the environment; remove secret_key_ref")
        }
        let adapter = BedrockAdapter()
        let served = try translatedServes(serves, "bedrock", fail)
        var resolved = config
        var credentials: AWSCredentials?
        switch AWSCredentials.fromEnvironment({ ProcessInfoEnvironment.value($0) }) {
        case .success(let found): credentials = found
        case .failure(let missing): resolved.unavailableReason = resolved.unavailableReason ?? missing.reason
        }
        let baseURL = config.baseURL ?? "https://bedrock-runtime.\(region).amazonaws.com"
        var made = target(
            resolved, "bedrock", adapter, model, served, baseURL, adapter.defaults(for: "bedrock"), breakerDefaults)
        made.awsCredentials = credentials
        return made
    }

    /// Translated providers serve chat completions: a `/v1/responses` request to them gets routing's 400
    /// ("served on /v1/chat/completions only") instead of a half translation.
    private static func translatedServes(
        _ serves: Target.Serves, _ provider: String, _ fail: (String) -> ResolveError
    ) throws(ResolveError) -> Target.Serves {
        if case .only(.responses) = serves {
            throw fail("provider '\(provider)' is translated from chat completions; it cannot serve 'responses'")
        }
        return .only(.chatCompletions)
    }

    private static func target(
        _ config: TargetConfig, _ provider: String, _ adapter: any ProviderAdapter, _ model: String,
        _ serves: Target.Serves, _ baseURL: String, _ defaults: ProviderDefaults, _ breakerDefaults: BreakerSettings
    ) -> Target {
        let unavailable = config.unavailableReason
        var secret = config.secret
        // The reference auto-detects OPENAI_API_KEY & co. when the target names no secret. Without any key
        // the client's own Authorization is passed through (when the gateway has no client keys).
        if secret == nil, config.secretEnvName == nil, let env = defaults.defaultKeyEnv,
            let value = ProcessInfoEnvironment.value(env), !value.isEmpty
        {
            secret = Secret(value)
        }
        let headers = config.headers.sorted { $0.key < $1.key }.map { (name: $0.key.lowercased(), value: $0.value) }
        return Target(
            id: config.id, provider: provider, adapter: adapter, model: model, serves: serves, baseURL: baseURL,
            apiKeyHeader: (config.apiKeyHeader ?? defaults.apiKeyHeader).lowercased(),
            apiKeyPrefix: config.apiKeyPrefix ?? defaults.apiKeyPrefix, secret: secret, apiVersion: config.apiVersion,
            headers: headers, timeoutSeconds: config.timeoutSeconds,
            streamTimeoutSeconds: config.effectiveStreamTimeoutSeconds, weight: config.weight,
            pricing: config.pricing.map { ($0.prompt ?? 0, $0.completion ?? 0) },
            forwardClientOrgHeaders: config.forwardClientOrgHeaders,
            unavailableReason: unavailable,
            health: TargetHealth(breaker: config.circuitBreaker ?? breakerDefaults), healthProbe: config.healthProbe,
            dataPolicy: TargetDataPolicy(
                // `data_collection: deny` is a promise too: the provider does not collect the data (no training).
                declared: config.zdr || config.dataPolicy != nil || config.dataCollection != nil,
                zeroDataRetention: config.zeroDataRetention,
                noTraining: config.dataPolicy?.trainingOptOut == true || config.dataCollection == .deny,
                retentionDays: config.dataPolicy?.retentionDays,
                region: config.region),
            contextLimits: config.maxMessages == nil && config.maxContextTokens == nil
                ? nil
                : ContextLimits(
                    maxMessages: config.maxMessages, maxContextTokens: config.maxContextTokens,
                    triggerRatio: config.triggerRatio, vocabulary: TokenVocabulary.forModel(model)),
            contextOverflow: config.contextOverflow, defaultMaxTokens: config.maxTokens ?? 4096,
            cachedInputPrice: config.pricing?.cachedInput, limits: config.limits)
    }
}

/// Environment lookups, isolated so the registry's behaviour is easy to follow.
package enum ProcessInfoEnvironment {
    package static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }
}
