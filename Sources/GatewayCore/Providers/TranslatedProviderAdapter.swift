import GatewayWire

/// An adapter for a provider that does not speak OpenAI's format: its `ChatTranslator` turns the chain's
/// OpenAI request into the provider's, and the provider's answers, streams and errors back into OpenAI's
/// shape before any response policy runs. Routing, retries, breakers and limits see an ordinary target.
///
/// Usage:
/// ```swift
/// struct MyAdapter: TranslatedProviderAdapter {
///     let name = "my-provider"
///     let translator: any ChatTranslator = MyTranslator()
///     func defaults(for provider: String) -> ProviderDefaults { ... }
///     func endpoint(for target: Target, stream: Bool) -> String { target.url("/v1/generate") }
/// }
/// ```
package protocol TranslatedProviderAdapter: ProviderAdapter {
    var translator: any ChatTranslator { get }
    /// The URL of a chat request to `target`.
    func endpoint(for target: Target, stream: Bool) -> String
    /// Headers the provider requires besides the key (e.g. `anthropic-version`).
    var fixedHeaders: [(name: String, value: String)] { get }
    /// An OpenAI embeddings request → the provider's URL and body; throws when the provider has none.
    func embeddingsRequest(_ document: JSONDocument, target: Target) throws(TranslationError) -> (
        url: String, body: [UInt8]
    )
    /// The provider's embeddings answer → OpenAI's `{"object": "list", "data": [...]}`.
    func embeddingsAnswer(_ body: [UInt8], document: JSONDocument?, target: Target) throws(TranslationError)
        -> [UInt8]
}

extension TranslatedProviderAdapter {
    package var fixedHeaders: [(name: String, value: String)] { [] }

    package func embeddingsRequest(_ document: JSONDocument, target: Target) throws(TranslationError) -> (
        url: String, body: [UInt8]
    ) {
        throw TranslationError("provider '\(target.provider)' has no embeddings API")
    }

    package func embeddingsAnswer(_ body: [UInt8], document: JSONDocument?, target: Target) throws(TranslationError)
        -> [UInt8]
    {
        throw TranslationError("provider '\(target.provider)' has no embeddings API")
    }

    package func upstreamRequest(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext)
        throws(GatewayError) -> UpstreamRequest
    {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: body)
        } catch {
            throw GatewayError.invalidJSON(error.message)
        }
        switch api {
        case .chatCompletions: break
        case .embeddings:
            do throws(TranslationError) {
                let (url, translated) = try embeddingsRequest(document, target: target)
                return UpstreamRequestBuilder.build(url: url, target: target, body: translated, context: context)
            } catch {
                throw GatewayError.validation(
                    "This request cannot be sent to provider '\(target.provider)': \(error.message)", param: error.param
                )
            }
        case .responses:
            throw GatewayError.validation(
                "Provider '\(target.provider)' (target '\(target.id)') is reached through /v1/chat/completions only.",
                param: nil)
        }
        let translated: [UInt8]
        do throws(TranslationError) {
            translated = try translator.request(
                document, model: target.model,
                settings: TranslationSettings(defaultMaxTokens: target.defaultMaxTokens))
        } catch {
            throw GatewayError.validation(
                "This request cannot be sent to provider '\(target.provider)': \(error.message)", param: error.param)
        }
        var request = UpstreamRequestBuilder.build(
            url: endpoint(for: target, stream: context.stream), target: target, body: translated, context: context)
        for header in fixedHeaders where !request.headers.contains(where: { $0.name == header.name }) {
            request.headers.append(header)
        }
        return request
    }

    package func translateAnswer(_ body: [UInt8], target: Target, context: UpstreamContext) throws(GatewayError)
        -> [UInt8]
    {
        do throws(TranslationError) {
            if context.api == .embeddings {
                return try embeddingsAnswer(body, document: context.requestDocument, target: target)
            }
            return try translator.response(body, model: target.model, id: Self.completionID(context))
        } catch {
            throw GatewayError(
                status: 502, message: "Upstream target '\(target.id)' sent an answer that cannot be read: \(error)",
                type: "upstream_error", code: "invalid_upstream_answer")
        }
    }

    package func translateStream(_ body: UpstreamBody, target: Target, context: UpstreamContext) -> UpstreamBody {
        body.translated(
            by: translator.streamTranslator(
                model: target.model, id: Self.completionID(context), includeUsage: context.includeUsage))
    }

    package func translateError(status: Int, body: [UInt8]) -> (status: Int, body: [UInt8]) {
        let error = translator.error(status: status, body: body)
        let json =
            "{\"error\":{\"message\":\(jsonQuoted(error.message)),\"type\":\(jsonQuoted(error.type)),"
            + "\"param\":null,\"code\":\(error.code.map(jsonQuoted) ?? "null")}}"
        return (error.status, Array(json.utf8))
    }

    /// `chatcmpl-` and the request id's letters and digits: the same id in every chunk of one answer.
    static func completionID(_ context: UpstreamContext) -> String {
        "chatcmpl-"
            + String(
                context.requestID.unicodeScalars.filter {
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
                }.prefix(40))
    }
}
