/// OpenAI chat completions ⇄ AWS Bedrock's Converse API (`POST /model/{modelId}/converse`, and
/// `/model/{modelId}/converse-stream` for streams, which answer in AWS's binary event-stream framing, not
/// SSE). Pure: the adapter in GatewayCore builds the URL, signs the request (SigV4) and sends the bytes.
///
/// - Requests: ``BedrockRequest`` (top-level fields, `inferenceConfig`), ``BedrockConversation``
///   (messages, `system`), ``BedrockTools`` (`toolConfig`). The body is the same for both endpoints.
/// - Answers: ``BedrockResponse``; streams: ``BedrockStreamTranslator`` over ``EventStreamDecoder``;
///   errors: ``BedrockErrors``.
///
/// The event stream's frames carry CRC32 checksums; this module has no checksum code of its own, so the
/// translator is given zlib's `crc32` (IEEE) at creation.
///
/// Usage:
/// ```swift
/// let translator = BedrockTranslator(crc32: { bytes in UInt32(zlib.crc32(0, bytes, uInt(bytes.count))) })
/// let body = try translator.request(document, model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
///                                   settings: TranslationSettings())
/// var stream = translator.streamTranslator(model: "anthropic.claude-3-5-sonnet-20240620-v1:0", id: "chatcmpl-1",
///                                          includeUsage: true)
/// ```
package struct BedrockTranslator: ChatTranslator {
    private let crc32: @Sendable ([UInt8]) -> UInt32

    package init(crc32: @escaping @Sendable ([UInt8]) -> UInt32) {
        self.crc32 = crc32
    }

    /// `settings.defaultMaxTokens` is not used: Converse does not require `maxTokens` and applies the
    /// model's own default when the client sets none.
    package func request(_ document: JSONDocument, model: String, settings: TranslationSettings)
        throws(TranslationError) -> [UInt8]
    {
        try BedrockRequest.build(document)
    }

    package func response(_ body: [UInt8], model: String, id: String) throws(TranslationError) -> [UInt8] {
        try BedrockResponse.translate(body, model: model, id: id)
    }

    package func streamTranslator(model: String, id: String, includeUsage: Bool) -> any StreamTranslator {
        BedrockStreamTranslator(model: model, id: id, includeUsage: includeUsage, crc32: crc32)
    }

    package func error(status: Int, body: [UInt8]) -> TranslatedError {
        BedrockErrors.translate(status: status, body: body)
    }
}
