import GatewayWire

/// Google's Gemini API (`POST {base_url}/v1beta/models/{model}:generateContent`, or
/// `:streamGenerateContent?alt=sse` for streams, key in `x-goog-api-key`), translated from and to chat
/// completions by `GeminiTranslator`.
package struct GeminiAdapter: TranslatedProviderAdapter {
    package let name = "gemini"
    package let translator: any ChatTranslator = GeminiTranslator()

    package func defaults(for provider: String) -> ProviderDefaults {
        ProviderDefaults(
            baseURL: "https://generativelanguage.googleapis.com", apiKeyHeader: "x-goog-api-key", apiKeyPrefix: "",
            defaultKeyEnv: "GEMINI_API_KEY")
    }

    package func endpoint(for target: Target, stream: Bool) -> String {
        let model = AzureOpenAIAdapter.escape(target.model)
        let method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent"
        return target.url("/v1beta/models/\(model)\(method)")
    }
}

extension GeminiAdapter {
    /// `POST {base_url}/v1beta/models/{model}:batchEmbedContents`: one request for every input string.
    package func embeddingsRequest(_ document: JSONDocument, target: Target) throws(TranslationError) -> (
        url: String, body: [UInt8]
    ) {
        let body = try GeminiEmbeddings().request(document, model: target.model)
        return (target.url("/v1beta/models/\(AzureOpenAIAdapter.escape(target.model)):batchEmbedContents"), body)
    }

    package func embeddingsAnswer(_ body: [UInt8], document: JSONDocument?, target: Target) throws(TranslationError)
        -> [UInt8]
    {
        try GeminiEmbeddings().response(body, model: target.model, request: document)
    }
}
