/// An Anthropic Messages answer (`{"type": "message", "content": [...], "stop_reason", "usage"}`) → an
/// OpenAI `chat.completion` object.
///
/// - `text` blocks → `message.content` (joined as they are: Anthropic splits one text into several
///   blocks around citations); `tool_use` blocks → `message.tool_calls` with `arguments` the compact JSON
///   of `input`. `thinking` / `redacted_thinking` blocks are the model's hidden reasoning, which OpenAI's
///   chat completions never return either; server-tool blocks only come when such tools were asked for,
///   which this translation never does. Both are left out.
/// - `stop_reason` → `finish_reason` (``finishReason(_:)``); usage → OpenAI usage (``usage(_:)``).
/// - `created` is 0: the translation stays deterministic (the gateway may stamp a time).
///
/// Usage:
/// ```swift
/// let openAI = try AnthropicResponse.translate(anthropicBody, model: "claude-sonnet-4-5", id: "chatcmpl-1")
/// ```
package enum AnthropicResponse {
    package static func translate(_ body: [UInt8], model: String, id: String) throws(TranslationError) -> [UInt8] {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: body)
        } catch {
            throw TranslationError("Anthropic's answer is not JSON: \(error.message)")
        }
        let root = document.root
        if root["type"]?.stringEquals("error") == true {
            let error = root["error"]
            throw TranslationError(
                "Anthropic answered with an error (\(error?["type"]?.string ?? "unknown")): "
                    + (error?["message"]?.string ?? "no message"))
        }
        guard root["type"]?.stringEquals("message") == true, let content = root["content"], content.kind == .array
        else {
            throw TranslationError("Anthropic's answer is not a message (no 'type: message' with a 'content' array).")
        }
        var text = ""
        var toolCalls: [WireJSON] = []
        for block in content.items {
            switch block["type"]?.string {
            case "text":
                text += block["text"]?.string ?? ""
            case "tool_use":
                guard let callID = block["id"]?.string, let name = block["name"]?.string else {
                    throw TranslationError("Anthropic's answer has a tool_use block without an id or a name.")
                }
                let arguments = block["input"].map(WireJSON.compactText) ?? "{}"
                toolCalls.append(
                    .object([
                        ("id", .string(callID)), ("type", .string("function")),
                        ("function", .object([("name", .string(name)), ("arguments", .string(arguments))])),
                    ]))
            default:
                continue
            }
        }
        var message: [(String, WireJSON)] = [
            ("role", .string("assistant")),
            // OpenAI's content is null when the model only calls tools.
            ("content", text.isEmpty && !toolCalls.isEmpty ? .null : .string(text)),
            ("refusal", .null),
        ]
        if !toolCalls.isEmpty { message.append(("tool_calls", .array(toolCalls))) }
        var tokens = Usage()
        tokens.read(root["usage"])
        let answer: WireJSON = .object([
            ("id", .string(id)), ("object", .string("chat.completion")), ("created", .int(0)),
            ("model", .string(model)),
            (
                "choices",
                .array([
                    .object([
                        ("index", .int(0)), ("message", .object(message)), ("logprobs", .null),
                        ("finish_reason", finishReason(root["stop_reason"]?.string)),
                    ])
                ])
            ),
            ("usage", tokens.openAI),
        ])
        return answer.bytes
    }

    /// Anthropic's `stop_reason` → OpenAI's `finish_reason`. `pause_turn` (a server tool paused the turn)
    /// and anything newer end the answer as a plain stop; null stays null (a stream not yet finished).
    package static func finishReason(_ stopReason: String?) -> WireJSON {
        switch stopReason {
        case nil: .null
        case "max_tokens", "model_context_window_exceeded": .string("length")
        case "tool_use": .string("tool_calls")
        case "refusal": .string("content_filter")
        default: .string("stop")  // end_turn, stop_sequence, pause_turn
        }
    }

    /// Anthropic's token counts, accumulated from a message's `usage` (or a stream's `message_start` and
    /// `message_delta` usage, whose counts are running totals: a later figure replaces an earlier one).
    package struct Usage: Sendable, Equatable {
        package var input = 0
        package var output = 0
        package var cacheRead = 0
        package var cacheCreation = 0

        package init() {}

        package mutating func read(_ usage: JSONValue?) {
            guard let usage, usage.kind == .object else { return }
            if let value = usage["input_tokens"]?.int { input = value }
            if let value = usage["output_tokens"]?.int { output = value }
            if let value = usage["cache_read_input_tokens"]?.int { cacheRead = value }
            if let value = usage["cache_creation_input_tokens"]?.int { cacheCreation = value }
        }

        /// OpenAI's usage: its prompt tokens count every input token, cached or not, while Anthropic's
        /// `input_tokens` leaves out the tokens read from or written to the prompt cache.
        package var openAI: WireJSON {
            let prompt = input + cacheRead + cacheCreation
            return .object([
                ("prompt_tokens", .int(prompt)), ("completion_tokens", .int(output)),
                ("total_tokens", .int(prompt + output)),
                ("prompt_tokens_details", .object([("cached_tokens", .int(cacheRead))])),
            ])
        }
    }
}
