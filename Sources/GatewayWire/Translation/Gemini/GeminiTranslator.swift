/// Google Gemini's `generateContent` / `streamGenerateContent?alt=sse` behind OpenAI's chat completions.
///
/// The pieces: ``GeminiRequest`` (with ``GeminiContents``, ``GeminiTools``, ``GeminiSchema``) builds the
/// request body, ``GeminiResponse`` reads the answer, ``GeminiStreamTranslator`` the stream,
/// ``GeminiErrors`` the error answers. Embeddings are ``GeminiEmbeddings``.
///
/// Usage:
/// ```swift
/// let translator = GeminiTranslator()
/// let body = try translator.request(document, model: "gemini-2.0-flash", settings: TranslationSettings())
/// // POST {base}/v1beta/models/gemini-2.0-flash:generateContent with x-goog-api-key, then:
/// let answer = try translator.response(upstreamBody, model: "gemini-2.0-flash", id: "chatcmpl-1")
/// ```
package struct GeminiTranslator: ChatTranslator {
    /// Seconds since 1970 for `created` (fixed in tests).
    let now: @Sendable () -> Int

    package init(now: @escaping @Sendable () -> Int = { GeminiClock.now() }) {
        self.now = now
    }

    /// The model is in the URL, not the body; `settings` is unused: Gemini has its own default
    /// `maxOutputTokens`.
    package func request(_ document: JSONDocument, model: String, settings: TranslationSettings)
        throws(TranslationError) -> [UInt8]
    {
        try GeminiRequest.translate(document)
    }

    package func response(_ body: [UInt8], model: String, id: String) throws(TranslationError) -> [UInt8] {
        try GeminiResponse.translate(body, model: model, id: id, created: now())
    }

    package func streamTranslator(model: String, id: String, includeUsage: Bool) -> any StreamTranslator {
        GeminiStreamTranslator(model: model, id: id, created: now(), includeUsage: includeUsage)
    }

    package func error(status: Int, body: [UInt8]) -> TranslatedError {
        GeminiErrors.translate(status: status, body: body)
    }
}
