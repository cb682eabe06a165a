import GatewayWire

/// OpenAI's own API and every server that speaks it (vLLM, ollama, groq, LocalAI, ...): the body goes
/// through unchanged, only the URL and the auth header are the target's.
package struct OpenAIAdapter: ProviderAdapter {
    package let name = "openai"

    /// Base URLs of well-known OpenAI-compatible providers, so a target may omit `base_url`.
    package static let knownBaseURLs: [String: ProviderDefaults] = [
        "openai": ProviderDefaults(baseURL: "https://api.openai.com/v1", defaultKeyEnv: "OPENAI_API_KEY"),
        "groq": ProviderDefaults(baseURL: "https://api.groq.com/openai/v1", defaultKeyEnv: "GROQ_API_KEY"),
        "ollama": ProviderDefaults(baseURL: "http://localhost:11434/v1", keyOptional: true),
        "vllm": ProviderDefaults(baseURL: nil, keyOptional: true),
        "localai": ProviderDefaults(baseURL: "http://localhost:8080/v1", keyOptional: true),
        "xai": ProviderDefaults(baseURL: "https://api.x.ai/v1", defaultKeyEnv: "XAI_API_KEY"),
        "cerebras": ProviderDefaults(baseURL: "https://api.cerebras.ai/v1", defaultKeyEnv: "CEREBRAS_API_KEY"),
        "together": ProviderDefaults(baseURL: "https://api.together.xyz/v1", defaultKeyEnv: "TOGETHER_API_KEY"),
        "litellm": ProviderDefaults(baseURL: nil, keyOptional: true),
        "openai-compatible": ProviderDefaults(baseURL: nil, keyOptional: true),
    ]

    package func defaults(for provider: String) -> ProviderDefaults {
        Self.knownBaseURLs[provider] ?? ProviderDefaults(baseURL: nil, keyOptional: true)
    }

    package func upstreamRequest(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext)
        throws(GatewayError) -> UpstreamRequest
    {
        let path =
            switch api {
            case .chatCompletions: "/chat/completions"
            case .responses: "/responses"
            case .embeddings: "/embeddings"
            }
        return UpstreamRequestBuilder.build(url: target.url(path), target: target, body: body, context: context)
    }
}

/// The parts of an upstream request every OpenAI-style adapter shares.
package enum UpstreamRequestBuilder {
    package static func build(url: String, target: Target, body: [UInt8], context: UpstreamContext) -> UpstreamRequest {
        var headers: [(name: String, value: String)] = [
            ("content-type", "application/json"),
            ("accept", context.stream ? "text/event-stream" : "application/json"),
            ("user-agent", "gatewayhost/\(GatewayVersion.current)"),
            ("x-request-id", context.requestID),
        ]
        // With the gateway's own key, the organization and project are the key's: a client's headers would
        // bill another organization or fail the request.
        let gatewayKey = target.authHeader != nil
        headers += context.forwardedHeaders.filter { header in
            !gatewayKey || target.forwardClientOrgHeaders || !UpstreamContext.organizationHeaders.contains(header.name)
        }
        headers += context.policyHeaders
        for header in context.traceHeaders {
            headers.removeAll { $0.name.lowercased() == header.name }
            headers.append(header)
        }
        for header in target.headers {
            headers.removeAll { $0.name.lowercased() == header.name.lowercased() }
            headers.append(header)
        }
        if let auth = target.authHeader {
            headers.removeAll { $0.name.lowercased() == auth.name.lowercased() }
            headers.append(auth)
        } else if let clientAuthorization = context.clientAuthorization {
            headers.append(("authorization", clientAuthorization))
        }
        var request = UpstreamRequest(url: url, headers: headers, body: body)
        request.totalTimeout = context.stream ? nil : target.timeoutSeconds
        request.idleTimeout = context.stream ? target.streamTimeoutSeconds : nil
        return request
    }
}
