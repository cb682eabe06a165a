/// An OpenAI chat completions request → an Anthropic Messages request body (`POST /v1/messages`).
///
/// Top-level fields are handled here, `messages` by ``AnthropicConversation``, `tools` / `tool_choice` by
/// ``AnthropicTools``. Every field OpenAI defines for chat completions is either translated, ignored for a
/// stated reason (it cannot change what the answer says), or refused with a `TranslationError` naming the
/// field: nothing that changes the answer's meaning is dropped silently. A field OpenAI does not define is
/// refused as OpenAI itself refuses it ("Unrecognized request argument").
///
/// Usage:
/// ```swift
/// let doc = try JSONDocument(parsing: #"{"model":"x","messages":[{"role":"user","content":"hi"}]}"#)
/// let body = try AnthropicRequest.build(doc, model: "claude-sonnet-4-5", settings: TranslationSettings())
/// // {"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}],"max_tokens":4096}
/// ```
package enum AnthropicRequest {
    /// What happens to each OpenAI chat completions field.
    private enum Handling {
        /// Read by `build` (translated, or checked and refused when it asks for something Anthropic lacks).
        case translated
        /// No effect on what the answer says; the reason is the comment at the entry.
        case ignored
    }

    private static let fields: [String: Handling] = [
        "model": .translated,  // replaced by the target's model
        "messages": .translated, "max_tokens": .translated, "max_completion_tokens": .translated,
        "temperature": .translated, "top_p": .translated, "stop": .translated, "user": .translated,
        "tools": .translated, "tool_choice": .translated, "parallel_tool_calls": .translated,
        "stream": .translated, "n": .translated, "logprobs": .translated, "top_logprobs": .translated,
        "logit_bias": .translated, "frequency_penalty": .translated, "presence_penalty": .translated,
        "response_format": .translated, "modalities": .translated, "audio": .translated,
        "web_search_options": .translated, "functions": .translated, "function_call": .translated,
        "safety_identifier": .translated,
        // Not OpenAI's, but what clients of OpenAI-compatible gateways send for Claude (`extra_body`).
        "top_k": .translated,
        // The gateway reads `include_usage` itself (the stream translator's `includeUsage`); Anthropic
        // always reports usage.
        "stream_options": .ignored,
        // Best-effort determinism only (OpenAI does not guarantee it either); Anthropic has no seed.
        "seed": .ignored,
        // OpenAI-side storage, dashboards, billing tier and prompt-cache routing: not the answer.
        "store": .ignored, "metadata": .ignored, "service_tier": .ignored, "prompt_cache_key": .ignored,
        // Predicted outputs only make OpenAI faster; the answer is the same.
        "prediction": .ignored,
        // Hints for OpenAI's reasoning models (how long to think, how wordy to be). Claude's extended
        // thinking needs a token budget and changes sampling rules, so it is not switched on from a hint.
        "reasoning_effort": .ignored, "verbosity": .ignored,
    ]

    package static func build(_ document: JSONDocument, model: String, settings: TranslationSettings)
        throws(TranslationError) -> [UInt8]
    {
        let root = document.root
        guard root.kind == .object else { throw TranslationError("The request body must be a JSON object.") }
        for member in root.members {
            let key = member.key.string ?? ""
            guard fields[key] != nil else {
                throw TranslationError(
                    "Unrecognized request argument supplied: \(key) (not translatable to Anthropic).", param: key)
            }
        }
        try refuseUnsupported(root)

        var body: [(String, WireJSON)] = [("model", .string(model))]
        guard let messages = present(root, "messages"), messages.kind == .array else {
            throw TranslationError("'messages' must be an array of messages.", param: "messages")
        }
        let conversation = try AnthropicConversation(messages: messages)
        if !conversation.system.isEmpty {
            body.append(("system", .string(conversation.system.joined(separator: "\n\n"))))
        }
        body.append(("messages", conversation.turnsJSON))
        body.append(("max_tokens", .int(try maxTokens(root, settings: settings))))
        if let stop = try stopSequences(root) { body.append(("stop_sequences", stop)) }
        for key in ["temperature", "top_p"] {
            guard let value = present(root, key) else { continue }
            guard value.kind == .number else { throw TranslationError("'\(key)' must be a number.", param: key) }
            body.append((key, .copy(value)))
        }
        if let topK = present(root, "top_k") {
            guard let value = topK.int else { throw TranslationError("'top_k' must be an integer.", param: "top_k") }
            body.append(("top_k", .int(value)))
        }
        // Anthropic's only per-end-user field; `safety_identifier` is OpenAI's newer name for the same use.
        for key in ["user", "safety_identifier"] {
            guard let user = present(root, key) else { continue }
            guard let text = user.string else { throw TranslationError("'\(key)' must be a string.", param: key) }
            body.append(("metadata", .object([("user_id", .string(text))])))
            break
        }
        body += try AnthropicTools.translate(root)
        if let stream = present(root, "stream") {
            guard let flag = stream.bool else { throw TranslationError("'stream' must be a boolean.", param: "stream") }
            if flag { body.append(("stream", .bool(true))) }
        }
        return WireJSON.object(body).bytes
    }

    /// The value of `key`, or nil when it is absent or null (OpenAI treats null as absent).
    static func present(_ object: JSONValue, _ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    /// Anthropic requires `max_tokens`: the client's (`max_completion_tokens` is OpenAI's current name and
    /// wins over the deprecated `max_tokens`), else the target's default.
    private static func maxTokens(_ root: JSONValue, settings: TranslationSettings) throws(TranslationError) -> Int {
        for key in ["max_completion_tokens", "max_tokens"] {
            guard let value = present(root, key) else { continue }
            guard let limit = value.int, limit >= 1 else {
                throw TranslationError("'\(key)' must be an integer of at least 1.", param: key)
            }
            return limit
        }
        return settings.defaultMaxTokens
    }

    private static func stopSequences(_ root: JSONValue) throws(TranslationError) -> WireJSON? {
        guard let stop = present(root, "stop") else { return nil }
        if let single = stop.string { return single.isEmpty ? nil : .array([.string(single)]) }
        guard stop.kind == .array else {
            throw TranslationError("'stop' must be a string or an array of strings.", param: "stop")
        }
        var sequences: [WireJSON] = []
        for item in stop.items {
            guard let text = item.string else {
                throw TranslationError("'stop' must be a string or an array of strings.", param: "stop")
            }
            // OpenAI ignores an empty stop string; Anthropic refuses it.
            if !text.isEmpty { sequences.append(.string(text)) }
        }
        return sequences.isEmpty ? nil : .array(sequences)
    }

    /// Fields whose non-default values ask for something the Messages API cannot do: refused with a 400
    /// rather than answered differently from what the client asked.
    private static func refuseUnsupported(_ root: JSONValue) throws(TranslationError) {
        if let n = present(root, "n"), n.int != 1 {
            throw TranslationError("Anthropic models return one choice: 'n' must be 1.", param: "n")
        }
        if let logprobs = present(root, "logprobs"), logprobs.bool != false {
            throw TranslationError("Anthropic models do not return log probabilities ('logprobs').", param: "logprobs")
        }
        if let top = present(root, "top_logprobs"), top.int != 0 {
            throw TranslationError(
                "Anthropic models do not return log probabilities ('top_logprobs').", param: "top_logprobs")
        }
        if let bias = present(root, "logit_bias"), bias.kind != .object || bias.count > 0 {
            throw TranslationError("Anthropic models do not support 'logit_bias'.", param: "logit_bias")
        }
        for key in ["frequency_penalty", "presence_penalty"] {
            guard let value = present(root, key), value.double != 0 else { continue }
            throw TranslationError("Anthropic models do not support '\(key)' (only 0 is accepted).", param: key)
        }
        if let format = present(root, "response_format"), !(format["type"]?.stringEquals("text") ?? false) {
            throw TranslationError(
                "Anthropic models have no JSON mode: 'response_format' may only be {\"type\": \"text\"}; "
                    + "describe the JSON in the prompt or use a tool instead.", param: "response_format")
        }
        if let modalities = present(root, "modalities"),
            modalities.kind != .array || !modalities.items.allSatisfy({ $0.stringEquals("text") })
        {
            throw TranslationError("Anthropic models answer with text only ('modalities').", param: "modalities")
        }
        if present(root, "audio") != nil {
            throw TranslationError("Anthropic models do not produce audio ('audio').", param: "audio")
        }
        if present(root, "web_search_options") != nil {
            throw TranslationError(
                "Web search ('web_search_options') is not available through this gateway for Anthropic models.",
                param: "web_search_options")
        }
        for key in ["functions", "function_call"] where present(root, key) != nil {
            throw TranslationError(
                "'\(key)' is deprecated and not translated: use 'tools' and 'tool_choice'.", param: key)
        }
    }
}
