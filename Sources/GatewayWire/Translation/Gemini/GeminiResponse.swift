/// A Gemini `GenerateContentResponse` → an OpenAI `chat.completion`, and the pieces the stream translator
/// shares with it (candidate parts, finish reasons, usage).
///
/// - `candidates[i].content.parts`: `text` parts join into `message.content` (parts marked `thought` are
///   the model's thinking summary, not its answer, and are left out); `functionCall` parts become
///   `tool_calls` with the call's own `id` when Gemini gives one, else `call_<n>` (n counting the calls of
///   the choice from 0: stable, so the same answer always yields the same ids) and the arguments as
///   compact JSON;
/// - `finishReason` → `finish_reason` (``finishReason(_:hasToolCalls:)``);
/// - no candidates but `promptFeedback.blockReason`: the prompt was blocked → one empty choice with
///   `content_filter`;
/// - `usageMetadata` → `usage` (``usage(_:)``).
///
/// Usage:
/// ```swift
/// let answer = try GeminiResponse.translate(body, model: "gemini-2.0-flash", id: "chatcmpl-1", created: 1700000000)
/// ```
package enum GeminiResponse {
    package static func translate(_ body: [UInt8], model: String, id: String, created: Int) throws(TranslationError)
        -> [UInt8]
    {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: body)
        } catch {
            throw TranslationError("the Gemini answer is not JSON: \(error.message)")
        }
        let root = document.root
        guard root.kind == .object else { throw TranslationError("the Gemini answer is not a JSON object") }
        if let error = root["error"], error.kind == .object {
            throw TranslationError("Gemini answered an error: \(error["message"]?.string ?? "unknown")")
        }
        var choices: [WireJSON] = []
        var position = 0
        for candidate in (root["candidates"] ?? root).items {  // `items` of a non-array is empty
            let index = candidate["index"]?.int ?? position
            position += 1
            let parts = try GeminiCandidateParts(candidate, callIDPrefix: "call_")
            let hasCalls = !parts.toolCalls.isEmpty
            var message: [(String, WireJSON)] = [
                ("role", .string("assistant")),
                ("content", hasCalls && parts.text.isEmpty ? .null : .string(parts.text)),
                ("refusal", .null),
            ]
            if hasCalls { message.append(("tool_calls", .array(parts.toolCalls.map { $0.json(index: nil) }))) }
            let reason = finishReason(candidate["finishReason"]?.string, hasToolCalls: hasCalls) ?? "stop"
            choices.append(
                .object([
                    ("index", .int(index)), ("message", .object(message)), ("logprobs", .null),
                    ("finish_reason", .string(reason)),
                ]))
        }
        if choices.isEmpty {
            guard root["promptFeedback"]?["blockReason"]?.string != nil else {
                throw TranslationError("the Gemini answer has no candidates")
            }
            choices.append(blockedChoice)
        }
        var answer: [(String, WireJSON)] = [
            ("id", .string(id)), ("object", .string("chat.completion")), ("created", .int(created)),
            ("model", .string(model)), ("choices", .array(choices)),
        ]
        if let metadata = root["usageMetadata"] { answer.append(("usage", usage(metadata))) }
        return WireJSON.object(answer).bytes
    }

    /// The choice of an answer whose prompt Gemini blocked.
    static let blockedChoice = WireJSON.object([
        ("index", .int(0)),
        ("message", .object([("role", .string("assistant")), ("content", .string("")), ("refusal", .null)])),
        ("logprobs", .null), ("finish_reason", .string("content_filter")),
    ])

    /// OpenAI's finish reason for Gemini's (nil while the candidate is not finished). Reasons without an
    /// OpenAI equivalent (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, ...) read as "stop": OpenAI clients
    /// only know stop / length / tool_calls / content_filter.
    package static func finishReason(_ reason: String?, hasToolCalls: Bool) -> String? {
        guard let reason, reason != "FINISH_REASON_UNSPECIFIED" else { return nil }
        switch reason {
        case "STOP": return hasToolCalls ? "tool_calls" : "stop"
        case "MAX_TOKENS": return "length"
        case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY",
            "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
            return "content_filter"
        default: return hasToolCalls ? "tool_calls" : "stop"
        }
    }

    /// `usageMetadata` → OpenAI `usage`. Gemini's `candidatesTokenCount` leaves out thinking tokens, which
    /// OpenAI counts in `completion_tokens` (and details as `reasoning_tokens`); tool-use prompt tokens
    /// count as prompt tokens.
    package static func usage(_ metadata: JSONValue) -> WireJSON {
        let prompt = (metadata["promptTokenCount"]?.int ?? 0) + (metadata["toolUsePromptTokenCount"]?.int ?? 0)
        let thoughts = metadata["thoughtsTokenCount"]?.int ?? 0
        let completion = (metadata["candidatesTokenCount"]?.int ?? 0) + thoughts
        let total = metadata["totalTokenCount"]?.int ?? prompt + completion
        var usage: [(String, WireJSON)] = [
            ("prompt_tokens", .int(prompt)), ("completion_tokens", .int(completion)), ("total_tokens", .int(total)),
        ]
        if let cached = metadata["cachedContentTokenCount"]?.int {
            usage.append(("prompt_tokens_details", .object([("cached_tokens", .int(cached))])))
        }
        if metadata["thoughtsTokenCount"] != nil {
            usage.append(("completion_tokens_details", .object([("reasoning_tokens", .int(thoughts))])))
        }
        return .object(usage)
    }
}

/// The text and function calls of one Gemini candidate (or of one streamed piece of it).
///
/// Usage:
/// ```swift
/// let parts = try GeminiCandidateParts(candidate, callIDPrefix: "call_", firstCall: 0)
/// parts.text       // the answer's text, thinking left out
/// parts.toolCalls  // [GeminiToolCall]
/// ```
package struct GeminiCandidateParts {
    package var text = ""
    package var toolCalls: [GeminiToolCall] = []

    /// `firstCall` numbers the calls after those of earlier stream events (ids `call_<n>` stay unique).
    package init(_ candidate: JSONValue, callIDPrefix: String, firstCall: Int = 0) throws(TranslationError) {
        var callNumber = firstCall
        for part in (candidate["content"]?["parts"] ?? candidate).items {  // (empty when absent)
            if let call = part["functionCall"] {
                guard let name = call["name"]?.string else {
                    throw TranslationError("a Gemini functionCall has no name")
                }
                let arguments = call["args"].map { WireJSON.compactText($0) } ?? "{}"
                let id = call["id"]?.string ?? "\(callIDPrefix)\(callNumber)"
                toolCalls.append(GeminiToolCall(id: id, name: name, arguments: arguments, number: callNumber))
                callNumber += 1
            } else if let text = part["text"]?.string, part["thought"]?.bool != true {
                self.text += text
            }
        }
    }
}

/// One function call of a Gemini answer, in OpenAI's terms.
package struct GeminiToolCall: Sendable, Equatable {
    package var id: String
    package var name: String
    /// The arguments as compact JSON text.
    package var arguments: String
    /// Its position among the choice's calls (the `index` of a stream's tool call delta).
    package var number: Int

    /// `{id, type: function, function: {name, arguments}}`, with `index` first in a stream delta.
    func json(index: Int?) -> WireJSON {
        var members: [(String, WireJSON)] = []
        if let index { members.append(("index", .int(index))) }
        members.append(contentsOf: [
            ("id", .string(id)), ("type", .string("function")),
            ("function", .object([("name", .string(name)), ("arguments", .string(arguments))])),
        ])
        return .object(members)
    }
}
