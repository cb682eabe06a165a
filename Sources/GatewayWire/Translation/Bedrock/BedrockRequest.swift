/// An OpenAI chat completions request → a Converse request body (`POST /model/{modelId}/converse`, or
/// `/converse-stream` for a stream: the same body; the model is in the path, not the body).
///
/// Top-level fields are handled here, `messages` by ``BedrockConversation``, `tools` / `tool_choice` by
/// ``BedrockTools``. Every field OpenAI defines for chat completions is translated, ignored for a stated
/// reason, or refused with a `TranslationError` naming it. A field OpenAI does not define is refused as
/// OpenAI itself refuses it ("Unrecognized request argument").
///
/// `inferenceConfig`: `max_completion_tokens` (else `max_tokens`) → `maxTokens`, `temperature`, `top_p` →
/// `topP`, `stop` → `stopSequences`. Left out when the client set none of them: Converse then uses the
/// model's defaults (it does not require `maxTokens`, so the target's default is not imposed).
///
/// Usage:
/// ```swift
/// let doc = try JSONDocument(parsing: #"{"model":"x","messages":[{"role":"user","content":"hi"}]}"#)
/// let body = try BedrockRequest.build(doc)
/// // {"messages":[{"role":"user","content":[{"text":"hi"}]}]}
/// ```
package enum BedrockRequest {
    /// What happens to each OpenAI chat completions field.
    private enum Handling {
        /// Read by `build` (translated, or checked and refused when it asks for something Converse lacks).
        case translated
        /// No effect on what the answer says; the reason is the comment at the entry.
        case ignored
    }

    private static let fields: [String: Handling] = [
        "model": .translated,  // replaced by the target's model, which goes in the URL path
        "messages": .translated, "max_tokens": .translated, "max_completion_tokens": .translated,
        "temperature": .translated, "top_p": .translated, "stop": .translated,
        "tools": .translated, "tool_choice": .translated, "parallel_tool_calls": .translated,
        "stream": .translated, "n": .translated, "logprobs": .translated, "top_logprobs": .translated,
        "logit_bias": .translated, "frequency_penalty": .translated, "presence_penalty": .translated,
        "response_format": .translated, "modalities": .translated, "audio": .translated,
        "web_search_options": .translated, "functions": .translated, "function_call": .translated,
        // Converse has no per-end-user field. `requestMetadata` only tags invocation logs and refuses
        // characters an OpenAI `user` may hold, so the id is not forwarded: it never changes the answer.
        "user": .ignored, "safety_identifier": .ignored,
        // The gateway reads `include_usage` itself (the stream translator's `includeUsage`); Converse
        // always reports usage.
        "stream_options": .ignored,
        // Best-effort determinism only (OpenAI does not guarantee it either); Converse has no seed.
        "seed": .ignored,
        // OpenAI-side storage, dashboards, billing tier and prompt-cache routing: not the answer.
        "store": .ignored, "metadata": .ignored, "service_tier": .ignored, "prompt_cache_key": .ignored,
        // Predicted outputs only make OpenAI faster; the answer is the same.
        "prediction": .ignored,
        // Hints for OpenAI's reasoning models; Bedrock's reasoning settings are per model family
        // (`additionalModelRequestFields`), so a hint does not switch them on.
        "reasoning_effort": .ignored, "verbosity": .ignored,
    ]

    package static func build(_ document: JSONDocument) throws(TranslationError) -> [UInt8] {
        let root = document.root
        guard root.kind == .object else { throw TranslationError("The request body must be a JSON object.") }
        for member in root.members {
            let key = member.key.string ?? ""
            guard fields[key] != nil else {
                throw TranslationError(
                    "Unrecognized request argument supplied: \(key) (not translatable to Bedrock).", param: key)
            }
        }
        try refuseUnsupported(root)
        if let stream = WireJSON.present(root, "stream"), stream.bool == nil {
            throw TranslationError("'stream' must be a boolean.", param: "stream")
        }

        guard let messages = WireJSON.present(root, "messages"), messages.kind == .array else {
            throw TranslationError("'messages' must be an array of messages.", param: "messages")
        }
        let conversation = try BedrockConversation(messages: messages)
        var body: [(String, WireJSON)] = [("messages", conversation.turnsJSON)]
        if !conversation.system.isEmpty { body.append(("system", conversation.systemJSON)) }
        if let config = try inferenceConfig(root) { body.append(("inferenceConfig", config)) }
        if let tools = try BedrockTools.toolConfig(root, conversationUsesTools: conversation.usesTools) {
            body.append(("toolConfig", tools))
        }
        return WireJSON.object(body).bytes
    }

    private static func inferenceConfig(_ root: JSONValue) throws(TranslationError) -> WireJSON? {
        var members: [(String, WireJSON)] = []
        // `max_completion_tokens` is OpenAI's current name and wins over the deprecated `max_tokens`.
        for key in ["max_completion_tokens", "max_tokens"] {
            guard let value = WireJSON.present(root, key) else { continue }
            guard let limit = value.int, limit >= 1 else {
                throw TranslationError("'\(key)' must be an integer of at least 1.", param: key)
            }
            members.append(("maxTokens", .int(limit)))
            break
        }
        for (key, name) in [("temperature", "temperature"), ("top_p", "topP")] {
            guard let value = WireJSON.present(root, key) else { continue }
            guard value.kind == .number else { throw TranslationError("'\(key)' must be a number.", param: key) }
            members.append((name, .copy(value)))
        }
        if let stop = try stopSequences(root) { members.append(("stopSequences", stop)) }
        return members.isEmpty ? nil : .object(members)
    }

    private static func stopSequences(_ root: JSONValue) throws(TranslationError) -> WireJSON? {
        guard let stop = WireJSON.present(root, "stop") else { return nil }
        if let single = stop.string { return single.isEmpty ? nil : .array([.string(single)]) }
        guard stop.kind == .array else {
            throw TranslationError("'stop' must be a string or an array of strings.", param: "stop")
        }
        var sequences: [WireJSON] = []
        for item in stop.items {
            guard let text = item.string else {
                throw TranslationError("'stop' must be a string or an array of strings.", param: "stop")
            }
            // OpenAI ignores an empty stop string; Converse refuses it.
            if !text.isEmpty { sequences.append(.string(text)) }
        }
        return sequences.isEmpty ? nil : .array(sequences)
    }

    /// Fields whose non-default values ask for something Converse cannot do: refused with a 400 rather
    /// than answered differently from what the client asked.
    private static func refuseUnsupported(_ root: JSONValue) throws(TranslationError) {
        if let n = WireJSON.present(root, "n"), n.int != 1 {
            throw TranslationError("Bedrock models return one choice: 'n' must be 1.", param: "n")
        }
        if let logprobs = WireJSON.present(root, "logprobs"), logprobs.bool != false {
            throw TranslationError("Bedrock models do not return log probabilities ('logprobs').", param: "logprobs")
        }
        if let top = WireJSON.present(root, "top_logprobs"), top.int != 0 {
            throw TranslationError(
                "Bedrock models do not return log probabilities ('top_logprobs').", param: "top_logprobs")
        }
        if let bias = WireJSON.present(root, "logit_bias"), bias.kind != .object || bias.count > 0 {
            throw TranslationError("Bedrock models do not support 'logit_bias'.", param: "logit_bias")
        }
        for key in ["frequency_penalty", "presence_penalty"] {
            guard let value = WireJSON.present(root, key), value.double != 0 else { continue }
            throw TranslationError("Bedrock's Converse API has no '\(key)' (only 0 is accepted).", param: key)
        }
        if let format = WireJSON.present(root, "response_format"),
            !(format["type"]?.stringEquals("text") ?? false)
        {
            throw TranslationError(
                "Bedrock's Converse API has no JSON mode: 'response_format' may only be {\"type\": \"text\"}; "
                    + "describe the JSON in the prompt or use a tool instead.", param: "response_format")
        }
        if let modalities = WireJSON.present(root, "modalities"),
            modalities.kind != .array || !modalities.items.allSatisfy({ $0.stringEquals("text") })
        {
            throw TranslationError("Bedrock models answer with text only ('modalities').", param: "modalities")
        }
        if WireJSON.present(root, "audio") != nil {
            throw TranslationError("Bedrock models do not produce audio ('audio').", param: "audio")
        }
        if WireJSON.present(root, "web_search_options") != nil {
            throw TranslationError(
                "Web search ('web_search_options') is not available through this gateway for Bedrock models.",
                param: "web_search_options")
        }
        for key in ["functions", "function_call"] where WireJSON.present(root, key) != nil {
            throw TranslationError(
                "'\(key)' is deprecated and not translated: use 'tools' and 'tool_choice'.", param: key)
        }
    }
}
