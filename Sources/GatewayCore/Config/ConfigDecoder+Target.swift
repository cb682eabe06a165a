import GatewayWire

/// One `providers.targets[]` entry.
extension ConfigDecoder {
    /// In the order of the reference's field table, which is also the tie-break order for suggestions.
    package static let targetKeys = [
        "id", "provider", "model", "base_url", "secret_key_ref", "api_key", "api_key_header", "api_key_prefix",
        "api_version", "timeout_seconds", "stream_timeout_seconds", "max_context_tokens", "max_messages", "headers",
        "format", "provider_type", "description", "weight", "data_policy", "pricing", "data_collection", "zdr",
        "region", "health_probe", "forward_client_org_headers", "circuit_breaker", "trigger_ratio", "context_overflow",
        "max_tokens", "limits",
    ]

    package struct DecodedTarget {
        package var config: TargetConfig
        /// The id and its node, for the duplicate-id check.
        package var id: (value: String, node: YAMLNode)
    }

    package func decodeTarget(_ node: YAMLNode, _ path: String, breakerDefaults: BreakerSettings = BreakerSettings())
        -> DecodedTarget?
    {
        guard let reader = mapping(node, path, expected: "a mapping describing a target", keys: Self.targetKeys)
        else { return nil }
        var target = TargetConfig(
            id: "", provider: nil, model: nil, baseURL: nil, secretEnvName: nil, secret: nil, unavailableReason: nil,
            apiKeyHeader: nil, apiKeyPrefix: nil, apiVersion: nil, timeoutSeconds: 60, streamTimeoutSeconds: nil,
            maxContextTokens: nil, maxMessages: nil, headers: [:], format: .openai, providerType: nil,
            description: nil, weight: 1.0, dataPolicy: nil, pricing: nil, dataCollection: nil, zdr: false,
            region: nil, healthProbe: nil, line: node.mark.line, column: node.mark.column)

        func optionalString(_ key: String, nonEmpty: Bool = false) -> String? {
            reader.value(key).flatMap {
                string($0, reader.path(key), expected: nonEmpty ? "a non-empty string" : "a string", nonEmpty: nonEmpty)
            }
        }

        var idNode: YAMLNode?
        if let value = reader.required("id", diagnostics),
            let id = string(value, reader.path("id"), expected: "a non-empty string", nonEmpty: true)
        {
            target.id = id
            idNode = value
        }
        target.provider = optionalString("provider", nonEmpty: true)
        target.model = optionalString("model", nonEmpty: true)
        // `provider: openai:chat:gpt-4o` carries the model; splitting it is the provider registry's job.
        if reader.value("model") == nil, !(target.provider?.contains(":") ?? false) {
            diagnostics.error(
                node, path, "missing required key 'model' (needed unless provider has the form provider:kind:model)")
        }
        if let value = reader.value("base_url") {
            target.baseURL = baseURL(value, reader.path("base_url"))
        }
        decodeTargetSecret(reader, into: &target)
        if let value = reader.value("api_key_header") {
            target.apiKeyHeader = headerName(value, reader.path("api_key_header"))
        }
        if let value = reader.value("api_key_prefix") {
            target.apiKeyPrefix = headerValue(value, reader.path("api_key_prefix"))
        }
        target.apiVersion = optionalString("api_version", nonEmpty: true)
        if let value = reader.value("timeout_seconds") {
            target.timeoutSeconds = number(value, reader.path("timeout_seconds")) ?? 60
        }
        if let value = reader.value("stream_timeout_seconds") {
            target.streamTimeoutSeconds = number(value, reader.path("stream_timeout_seconds"))
        }
        if let value = reader.value("max_context_tokens") {
            target.maxContextTokens = integer(value, reader.path("max_context_tokens"), in: 1...Int.max)
        }
        if let value = reader.value("max_messages") {
            target.maxMessages = integer(value, reader.path("max_messages"), in: 1...Int.max)
        }
        if let value = reader.value("headers") {
            target.headers = headers(value, reader.path("headers"))
        }
        if let value = reader.value("limits") { target.limits = rateLimits(value, reader.path("limits")) }
        if let value = reader.value("max_tokens") {
            target.maxTokens = integer(value, reader.path("max_tokens"), in: 1...1_000_000)
        }
        if let value = reader.value("format") {
            target.format = choice(value, reader.path("format")) ?? .openai
        }
        target.providerType = optionalString("provider_type", nonEmpty: true)
        target.description = optionalString("description")
        if let value = reader.value("weight") {
            target.weight = number(value, reader.path("weight"), allowZero: true) ?? 1.0
        }
        if let value = reader.value("data_policy") {
            target.dataPolicy = dataPolicy(value, reader.path("data_policy"))
        }
        if let value = reader.value("pricing") {
            target.pricing = pricing(value, reader.path("pricing"))
        }
        if let value = reader.value("data_collection") {
            target.dataCollection = choice(value, reader.path("data_collection"))
        }
        if let value = reader.value("zdr") {
            target.zdr = bool(value, reader.path("zdr")) ?? false
        }
        target.region = optionalString("region", nonEmpty: true)
        if let value = reader.value("health_probe") {
            target.healthProbe = healthProbe(value, reader.path("health_probe"))
        }
        if let value = reader.value("trigger_ratio") {
            let ratio = number(value, reader.path("trigger_ratio"))
            if let ratio, ratio > 1 {
                diagnostics.error(
                    value, reader.path("trigger_ratio"),
                    "expected a ratio above 0 and at most 1, got \(describe(value))")
            }
            target.triggerRatio = ratio ?? 0.9
        }
        if let value = reader.value("context_overflow") {
            target.contextOverflow = choice(value, reader.path("context_overflow")) ?? .reject
        }
        if let value = reader.value("circuit_breaker") {
            // What the target leaves unset comes from providers.circuit_breaker.
            target.circuitBreaker = breakerSettings(value, reader.path("circuit_breaker"), defaults: breakerDefaults)
        }
        if let value = reader.value("forward_client_org_headers") {
            target.forwardClientOrgHeaders = bool(value, reader.path("forward_client_org_headers")) ?? false
        }
        guard let idNode else { return nil }
        return DecodedTarget(config: target, id: (target.id, idNode))
    }

    /// `secret_key_ref` or the discouraged literal `api_key`, never both.
    private func decodeTargetSecret(_ reader: MappingReader, into target: inout TargetConfig) {
        if let literal = reader.value("api_key") {
            let path = reader.path("api_key")
            if reader.value("secret_key_ref") != nil {
                diagnostics.error(literal, path, "set either api_key or secret_key_ref, not both")
            } else if let key = string(literal, path, expected: "a non-empty string", nonEmpty: true) {
                target.secret = Secret(key)
                diagnostics.warning(
                    literal, path, "api_key keeps the secret in the config file; prefer secret_key_ref: {env: NAME}")
            }
        }
        guard let ref = reader.value("secret_key_ref") else { return }
        switch decodeSecretRef(ref, reader.path("secret_key_ref")) {
        case .resolved(let name, let secret):
            target.secretEnvName = name
            target.secret = secret
        case .unavailable(let name, let reason, let node, let path):
            // Not an error: the reference says a missing key marks the target unavailable, the gateway still starts.
            target.secretEnvName = name
            target.unavailableReason = reason
            diagnostics.warning(node, path, "\(reason); target '\(target.id)' is unavailable")
        case .invalid:
            break
        }
    }

    private func baseURL(_ node: YAMLNode, _ path: String) -> String? {
        if let text = node.scalarText, !node.isNull {
            let lowered = text.lowercased()
            for scheme in ["http://", "https://"] where lowered.hasPrefix(scheme) && lowered.count > scheme.count {
                return text
            }
        }
        diagnostics.error(node, path, "expected a URL starting with http:// or https://, got \(describe(node))")
        return nil
    }

    private func headers(_ node: YAMLNode, _ path: String) -> [String: String] {
        guard let reader = mapping(node, path, expected: "a mapping of header names to values", keys: nil) else {
            return [:]
        }
        var headers: [String: String] = [:]
        for entry in reader.entries {
            let keyPath = reader.path(entry.key.scalarText ?? "")
            guard let name = headerName(entry.key, keyPath) else { continue }
            if let value = headerValue(entry.value, keyPath) { headers[name] = value }
        }
        return headers
    }

    /// An RFC 9110 token: anything else would produce a malformed request upstream.
    private func headerName(_ node: YAMLNode, _ path: String) -> String? {
        let allowed = Set("!#$%&'*+-.^_`|~".utf8)
        if let text = node.scalarText, !text.isEmpty, !node.isNull,
            text.utf8.allSatisfy({ ConfigText.isLetterOrDigit($0) || allowed.contains($0) })
        {
            return text
        }
        diagnostics.error(
            node, path, "expected an HTTP header name (letters, digits and !#$%&'*+-.^_`|~), got \(describe(node))")
        return nil
    }

    /// Any scalar, but never with a line break: that would let the config inject extra header lines.
    private func headerValue(_ node: YAMLNode, _ path: String) -> String? {
        guard let text = node.scalarText, !node.isNull else {
            diagnostics.error(node, path, "expected a string header value, got \(describe(node))")
            return nil
        }
        guard !text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else {
            diagnostics.error(node, path, "expected a header value without line breaks, got \(describe(node))")
            return nil
        }
        return text
    }

    private func dataPolicy(_ node: YAMLNode, _ path: String) -> DataPolicyConfig? {
        guard
            let reader = mapping(
                node, path, expected: "a mapping of data policy settings",
                keys: ["zero_data_retention", "training_opt_out", "retention_days"])
        else { return nil }
        var policy = DataPolicyConfig(zeroDataRetention: false, trainingOptOut: false, retentionDays: nil)
        if let value = reader.value("zero_data_retention") {
            policy.zeroDataRetention = bool(value, reader.path("zero_data_retention")) ?? false
        }
        if let value = reader.value("training_opt_out") {
            policy.trainingOptOut = bool(value, reader.path("training_opt_out")) ?? false
        }
        if let value = reader.value("retention_days") {
            policy.retentionDays = integer(value, reader.path("retention_days"), in: 0...Int.max)
        }
        return policy
    }

    private func pricing(_ node: YAMLNode, _ path: String) -> PricingConfig? {
        guard
            let reader = mapping(
                node, path, expected: "a mapping with prompt, completion and cached_input prices (USD per 1M tokens)",
                keys: ["prompt", "completion", "cached_input"])
        else { return nil }
        return PricingConfig(
            prompt: reader.value("prompt").flatMap { number($0, reader.path("prompt"), allowZero: true) },
            completion: reader.value("completion").flatMap { number($0, reader.path("completion"), allowZero: true) },
            cachedInput: reader.value("cached_input").flatMap {
                number($0, reader.path("cached_input"), allowZero: true)
            })
    }

    private func healthProbe(_ node: YAMLNode, _ path: String) -> HealthProbeConfig? {
        guard
            let reader = mapping(
                node, path, expected: "a mapping of health probe settings",
                keys: ["path", "interval_seconds", "timeout_seconds", "unhealthy_threshold", "healthy_threshold"])
        else { return nil }
        var probe = HealthProbeConfig(path: "/models", intervalSeconds: 30, timeoutSeconds: 5)
        if let value = reader.value("path") {
            if let text = value.scalarText, text.hasPrefix("/") {
                probe.path = text
            } else {
                diagnostics.error(
                    value, reader.path("path"), "expected a path starting with '/', got \(describe(value))")
            }
        }
        if let value = reader.value("interval_seconds") {
            probe.intervalSeconds = number(value, reader.path("interval_seconds")) ?? 30
        }
        if let value = reader.value("timeout_seconds") {
            probe.timeoutSeconds = number(value, reader.path("timeout_seconds")) ?? 5
        }
        if let value = reader.value("unhealthy_threshold") {
            probe.unhealthyThreshold = integer(value, reader.path("unhealthy_threshold"), in: 1...100) ?? 3
        }
        if let value = reader.value("healthy_threshold") {
            probe.healthyThreshold = integer(value, reader.path("healthy_threshold"), in: 1...100) ?? 2
        }
        return probe
    }
}
