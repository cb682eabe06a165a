import GatewayWire

/// Anthropic's Messages API (`POST {base_url}/v1/messages`, `x-api-key`, `anthropic-version`), translated
/// from and to chat completions by `AnthropicTranslator`.
package struct AnthropicAdapter: TranslatedProviderAdapter {
    package let name = "anthropic"
    package let translator: any ChatTranslator = AnthropicTranslator()
    package static let apiVersion = "2023-06-01"

    package func defaults(for provider: String) -> ProviderDefaults {
        ProviderDefaults(
            baseURL: "https://api.anthropic.com", apiKeyHeader: "x-api-key", apiKeyPrefix: "",
            defaultKeyEnv: "ANTHROPIC_API_KEY")
    }

    package func endpoint(for target: Target, stream: Bool) -> String {
        target.baseURL.hasSuffix("/v1/messages") ? target.baseURL : target.url("/v1/messages")
    }

    package var fixedHeaders: [(name: String, value: String)] { [("anthropic-version", Self.apiVersion)] }
}
