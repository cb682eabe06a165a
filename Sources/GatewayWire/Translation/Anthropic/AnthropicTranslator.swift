/// OpenAI chat completions ⇄ Anthropic's Messages API (`POST /v1/messages`, `anthropic-version:
/// 2023-06-01`). Pure: the adapter in GatewayCore sends the bytes.
///
/// - Requests: ``AnthropicRequest`` (top-level fields), ``AnthropicConversation`` (messages),
///   ``AnthropicTools`` (tools and tool choice).
/// - Answers: ``AnthropicResponse``; streams: ``AnthropicStreamTranslator``; errors: ``AnthropicErrors``.
///
/// Usage:
/// ```swift
/// let translator = AnthropicTranslator()
/// let body = try translator.request(document, model: "claude-sonnet-4-5", settings: TranslationSettings())
/// let answer = try translator.response(upstreamBytes, model: "claude-sonnet-4-5", id: "chatcmpl-1")
/// ```
package struct AnthropicTranslator: ChatTranslator {
    package init() {}

    package func request(_ document: JSONDocument, model: String, settings: TranslationSettings)
        throws(TranslationError) -> [UInt8]
    {
        try AnthropicRequest.build(document, model: model, settings: settings)
    }

    package func response(_ body: [UInt8], model: String, id: String) throws(TranslationError) -> [UInt8] {
        try AnthropicResponse.translate(body, model: model, id: id)
    }

    package func streamTranslator(model: String, id: String, includeUsage: Bool) -> any StreamTranslator {
        AnthropicStreamTranslator(model: model, id: id, includeUsage: includeUsage)
    }

    package func error(status: Int, body: [UInt8]) -> TranslatedError {
        AnthropicErrors.translate(status: status, body: body)
    }
}
