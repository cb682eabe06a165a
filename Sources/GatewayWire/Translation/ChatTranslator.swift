/// Translation between OpenAI's chat completions (what clients and the policy chain see) and another
/// provider's wire format. The request chain runs on the OpenAI request; `request` translates what the
/// chain left. The provider's answer is translated back (`response`, or a `StreamTranslator` for streams)
/// before the response and stream policies run, so every policy works unchanged on every provider.
///
/// Pure: no I/O. One translator per provider dialect (Anthropic Messages, Gemini generateContent).
///
/// Usage:
/// ```swift
/// let translator: any ChatTranslator = AnthropicTranslator()
/// let upstreamBody = try translator.request(document, model: "claude-sonnet-4-5", settings: settings)
/// let answer = try translator.response(providerJSON, model: "claude-sonnet-4-5", id: "chatcmpl-1")
/// var stream = translator.streamTranslator(model: "claude-sonnet-4-5", id: "chatcmpl-1", includeUsage: true)
/// let openAISSE = try stream.feed(providerBytes) + stream.finish()
/// ```
package protocol ChatTranslator: Sendable {
    /// An OpenAI chat completions request (as the policy chain left it) → the provider's request body.
    /// `model` is the target's model (the provider's name for it). Throws for what the provider cannot
    /// express (the gateway answers 400 with the error's message and param).
    func request(_ document: JSONDocument, model: String, settings: TranslationSettings) throws(TranslationError)
        -> [UInt8]

    /// The provider's non-streamed answer → an OpenAI `chat.completion` JSON object. `id` is the id the
    /// gateway gives the completion (`chatcmpl-…`); `model` the model name to report.
    func response(_ body: [UInt8], model: String, id: String) throws(TranslationError) -> [UInt8]

    /// A translator for one streamed answer.
    func streamTranslator(model: String, id: String, includeUsage: Bool) -> any StreamTranslator

    /// The provider's error answer → the OpenAI-shaped error the client gets (status, type, code, message).
    func error(status: Int, body: [UInt8]) -> TranslatedError
}

/// Turns the provider's stream bytes, in whatever pieces they arrive, into OpenAI `chat.completion.chunk`
/// SSE bytes (`data: {...}\n\n`), ending with `data: [DONE]\n\n` once the provider's stream completed.
///
/// Usage:
/// ```swift
/// var translator = AnthropicTranslator().streamTranslator(model: "m", id: "chatcmpl-1", includeUsage: false)
/// for chunk in upstreamChunks { client.write(try translator.feed(chunk)) }
/// client.write(try translator.finish())
/// ```
package protocol StreamTranslator: Sendable {
    /// The OpenAI SSE bytes the given provider bytes complete (possibly none: an event may span chunks).
    /// Throws when the provider's stream is malformed or reports an error event (the gateway ends the
    /// client's stream with its SSE error event).
    mutating func feed(_ bytes: [UInt8]) throws(TranslationError) -> [UInt8]
    /// The provider's stream ended: the last bytes (the `[DONE]` marker). Throws when it ended before its
    /// terminal event (a cut stream).
    mutating func finish() throws(TranslationError) -> [UInt8]
}

/// What a translation needs besides the request: per-target settings.
package struct TranslationSettings: Sendable, Equatable {
    /// Anthropic requires `max_tokens`; used when the client sent neither `max_tokens` nor
    /// `max_completion_tokens`.
    package var defaultMaxTokens: Int

    package init(defaultMaxTokens: Int = 4096) {
        self.defaultMaxTokens = defaultMaxTokens
    }
}

/// A request or answer that cannot be translated.
package struct TranslationError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    /// The request field at fault (`messages[2].content[0]`), for the client's 400.
    package var param: String?

    package init(_ message: String, param: String? = nil) {
        self.message = message
        self.param = param
    }

    package var description: String { message }
}

/// A provider error in OpenAI's shape.
package struct TranslatedError: Sendable, Equatable {
    package var status: Int
    /// OpenAI's `type`: `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `not_found_error`, `rate_limit_error`, `server_error`...
    package var type: String
    package var code: String?
    package var message: String

    package init(status: Int, type: String, code: String?, message: String) {
        self.status = status
        self.type = type
        self.code = code
        self.message = message
    }
}
