import GatewayWire

/// Azure OpenAI: deployment URLs, an `api-version` query parameter and the `api-key` header.
///
/// `base_url` is either the resource (`https://NAME.openai.azure.com`, the deployment then comes from the
/// target's `model`) or a deployment URL (`…/openai/deployments/DEPLOYMENT`).
package struct AzureOpenAIAdapter: ProviderAdapter {
    package let name = "azure-openai"
    package static let defaultAPIVersion = "2024-10-21"
    package static let defaultResponsesAPIVersion = "2025-03-01-preview"

    package func defaults(for provider: String) -> ProviderDefaults {
        ProviderDefaults(baseURL: nil, apiKeyHeader: "api-key", apiKeyPrefix: "", defaultKeyEnv: "AZURE_OPENAI_API_KEY")
    }

    package func upstreamRequest(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext)
        throws(GatewayError) -> UpstreamRequest
    {
        let url: String
        switch api {
        case .chatCompletions:
            let version = target.apiVersion ?? Self.defaultAPIVersion
            let deployment =
                target.baseURL.contains("/openai/deployments/")
                ? target.url("/chat/completions")
                : target.url("/openai/deployments/\(Self.escape(target.model))/chat/completions")
            url = deployment + "?api-version=" + Self.escape(version)
        case .embeddings:
            let version = target.apiVersion ?? Self.defaultAPIVersion
            let deployment =
                target.baseURL.contains("/openai/deployments/")
                ? target.url("/embeddings")
                : target.url("/openai/deployments/\(Self.escape(target.model))/embeddings")
            url = deployment + "?api-version=" + Self.escape(version)
        case .responses:
            let version = target.apiVersion ?? Self.defaultResponsesAPIVersion
            let base = target.baseURL.range(of: "/openai/deployments/").map { String(target.baseURL[..<$0.lowerBound]) }
            let resource = base ?? target.baseURL
            url =
                (resource.hasSuffix("/") ? String(resource.dropLast()) : resource) + "/openai/responses?api-version="
                + Self.escape(version)
        }
        return UpstreamRequestBuilder.build(url: url, target: target, body: body, context: context)
    }

    /// Percent-encodes a path segment or query value (deployment names are plain, but never trust config).
    package static func escape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            let c = Character(UnicodeScalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
