/// A Converse answer (`{"output": {"message": {"role", "content": [...]}}, "stopReason", "usage",
/// "metrics"}`) → an OpenAI `chat.completion` object.
///
/// - `text` blocks → `message.content` (joined as they are); `toolUse` blocks → `message.tool_calls` with
///   `arguments` the compact JSON of `input`. `reasoningContent` is the model's hidden reasoning, which
///   OpenAI's chat completions never return either; other block kinds (citations, images) only come
///   when asked for in ways this translation never does. Both are left out.
/// - `stopReason` → `finish_reason` (``finishReason(_:)``); `usage` → OpenAI usage (``Usage``).
/// - `created` is 0: the translation stays deterministic (the gateway may stamp a time).
///
/// Usage:
/// ```swift
/// let openAI = try BedrockResponse.translate(converseBody, model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
///                                            id: "chatcmpl-1")
/// ```
package enum BedrockResponse {
    package static func translate(_ body: [UInt8], model: String, id: String) throws(TranslationError) -> [UInt8] {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: body)
        } catch {
            throw TranslationError("Bedrock's answer is not JSON: \(error.message)")
        }
        let root = document.root
        guard let content = root["output"]?["message"]?["content"], content.kind == .array else {
            let message = root["message"]?.string ?? root["Message"]?.string
            throw TranslationError(
                message.map { "Bedrock answered with an error: \($0)" }
                    ?? "Bedrock's answer is not a Converse answer (no 'output.message.content' array).")
        }
        var text = ""
        var toolCalls: [WireJSON] = []
        for block in content.items {
            if let piece = block["text"]?.string {
                text += piece
            } else if let toolUse = block["toolUse"] {
                guard let callID = toolUse["toolUseId"]?.string, let name = toolUse["name"]?.string else {
                    throw TranslationError("Bedrock's answer has a toolUse block without a toolUseId or a name.")
                }
                let arguments = toolUse["input"].map(WireJSON.compactText) ?? "{}"
                toolCalls.append(
                    .object([
                        ("id", .string(callID)), ("type", .string("function")),
                        ("function", .object([("name", .string(name)), ("arguments", .string(arguments))])),
                    ]))
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
        let choice: WireJSON = .object([
            ("index", .int(0)), ("message", .object(message)), ("logprobs", .null),
            ("finish_reason", finishReason(root["stopReason"]?.string)),
        ])
        let answer: WireJSON = .object([
            ("id", .string(id)), ("object", .string("chat.completion")), ("created", .int(0)),
            ("model", .string(model)), ("choices", .array([choice])), ("usage", tokens.openAI),
        ])
        return answer.bytes
    }

    /// Converse's `stopReason` → OpenAI's `finish_reason`. `malformed_model_output` / `malformed_tool_use`
    /// (the model's output could not be parsed) and reasons added later end the answer as a plain stop;
    /// nil stays null.
    package static func finishReason(_ stopReason: String?) -> WireJSON {
        switch stopReason {
        case nil: .null
        case "max_tokens", "model_context_window_exceeded": .string("length")
        case "tool_use": .string("tool_calls")
        case "guardrail_intervened", "content_filtered": .string("content_filter")
        default: .string("stop")  // end_turn, stop_sequence, malformed_*
        }
    }

    /// Converse's token counts (`usage` of an answer, or of a stream's `metadata` event).
    package struct Usage: Sendable, Equatable {
        package var input = 0
        package var output = 0
        package var cacheRead = 0
        package var cacheWrite = 0

        package init() {}

        package mutating func read(_ usage: JSONValue?) {
            guard let usage, usage.kind == .object else { return }
            if let value = usage["inputTokens"]?.int { input = value }
            if let value = usage["outputTokens"]?.int { output = value }
            if let value = usage["cacheReadInputTokens"]?.int { cacheRead = value }
            if let value = usage["cacheWriteInputTokens"]?.int { cacheWrite = value }
        }

        /// OpenAI's usage: its prompt tokens count every input token, cached or not, while Converse's
        /// `inputTokens` leaves out the tokens read from or written to the prompt cache.
        package var openAI: WireJSON {
            let prompt = input + cacheRead + cacheWrite
            return .object([
                ("prompt_tokens", .int(prompt)), ("completion_tokens", .int(output)),
                ("total_tokens", .int(prompt + output)),
                ("prompt_tokens_details", .object([("cached_tokens", .int(cacheRead))])),
            ])
        }
    }
}
