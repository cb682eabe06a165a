/// Anthropic's Messages stream (SSE: `message_start`, `content_block_start` / `_delta` / `_stop`,
/// `message_delta`, `message_stop`, `ping`, `error`) → OpenAI `chat.completion.chunk` events, fed in
/// whatever pieces the bytes arrive (the module's `SSEParser` reassembles events split at any byte, so the
/// output is the same for every split).
///
/// - The first chunk carries `delta.role: "assistant"` (sent at `message_start`, or before the first
///   content if that event was missing).
/// - `text_delta` → `delta.content`; a `tool_use` block start → a `tool_calls` delta with the call's
///   `index` (0, 1, ... in the order of the tool blocks), `id`, `type` and `function.name` with empty
///   `arguments`; its `input_json_delta`s → `function.arguments` pieces under the same index.
/// - `message_delta`'s `stop_reason` → a chunk with an empty delta and the `finish_reason`.
/// - `message_stop` → with `includeUsage`, a chunk with empty `choices` and the usage (every earlier chunk
///   then has `"usage": null`, as OpenAI sends them), then `data: [DONE]` at once, so the client does not
///   wait for the connection to close. `finish()` then adds nothing.
/// - `ping`, thinking deltas, citations and event types added later are skipped (Anthropic's versioning
///   policy: new event types may appear and are to be ignored).
/// - An `error` event, data that is not JSON, or the end of the bytes before `message_stop` throw.
///
/// Usage:
/// ```swift
/// var stream = AnthropicStreamTranslator(model: "claude-sonnet-4-5", id: "chatcmpl-1", includeUsage: true)
/// let sse = try stream.feed(Array("event: ping\ndata: {\"type\":\"ping\"}\n\n".utf8))  // []
/// let tail = try stream.finish()  // throws: no message_stop
/// ```
package struct AnthropicStreamTranslator: StreamTranslator {
    package let model: String
    package let id: String
    package let includeUsage: Bool

    private var parser = SSEParser()
    private var sentRole = false
    private var sentFinish = false
    private var completed = false
    /// Anthropic content block index → OpenAI tool call index.
    private var toolCallIndex: [Int: Int] = [:]
    private var usage = AnthropicResponse.Usage()

    package init(model: String, id: String, includeUsage: Bool) {
        self.model = model
        self.id = id
        self.includeUsage = includeUsage
    }

    package mutating func feed(_ bytes: [UInt8]) throws(TranslationError) -> [UInt8] {
        let events: [SSEEvent]
        do {
            events = try parser.feed(bytes)
        } catch {
            throw TranslationError("Anthropic's stream is malformed: \(error.message)")
        }
        var output: [UInt8] = []
        for event in events { try handle(event, into: &output) }
        return output
    }

    package mutating func finish() throws(TranslationError) -> [UInt8] {
        var output: [UInt8] = []
        // A last event without its closing blank line still counts when it is whole (`message_stop`);
        // a cut one fails to parse and reads as the cut stream it is.
        if let last = parser.finish(), !completed { try handle(last, into: &output) }
        guard completed else {
            throw TranslationError("Anthropic's stream ended before its message_stop event (cut).")
        }
        return output
    }

    // MARK: - Events

    private mutating func handle(_ event: SSEEvent, into output: inout [UInt8]) throws(TranslationError) {
        guard !completed, let data = event.data else { return }
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: data)
        } catch {
            throw TranslationError("Anthropic's stream has an event whose data is not JSON: \(error.message)")
        }
        let root = document.root
        // The data's `type` is authoritative; the `event:` name repeats it.
        switch root["type"]?.string ?? event.event {
        case "message_start":
            usage.read(root["message"]?["usage"])
            startIfNeeded(into: &output)
        case "content_block_start":
            try blockStart(root, into: &output)
        case "content_block_delta":
            blockDelta(root, into: &output)
        case "message_delta":
            usage.read(root["usage"])
            if let reason = root["delta"]?["stop_reason"]?.string { sendFinish(reason, into: &output) }
        case "message_stop":
            sendFinish("end_turn", into: &output)
            if includeUsage {
                let chunk: WireJSON = .object(header + [("choices", .array([])), ("usage", usage.openAI)])
                Self.append(chunk, to: &output)
            }
            output.append(contentsOf: "data: [DONE]\n\n".utf8)
            completed = true
        case "error":
            let error = root["error"]
            throw TranslationError(
                "Anthropic's stream reported an error (\(error?["type"]?.string ?? "unknown")): "
                    + (error?["message"]?.string ?? "no message"))
        default:
            return  // ping, content_block_stop, and event types added later
        }
    }

    private mutating func blockStart(_ root: JSONValue, into output: inout [UInt8]) throws(TranslationError) {
        guard let block = root["content_block"], let index = root["index"]?.int else { return }
        switch block["type"]?.string {
        case "text":
            if let text = block["text"]?.string, !text.isEmpty {
                sendDelta([("content", .string(text))], into: &output)
            }
        case "tool_use":
            guard let callID = block["id"]?.string, let name = block["name"]?.string else {
                throw TranslationError("Anthropic's stream has a tool_use block without an id or a name.")
            }
            let callIndex = toolCallIndex.count
            toolCallIndex[index] = callIndex
            // The input streams as input_json_delta pieces; a start that already carries one sends it whole.
            var arguments = ""
            if let input = block["input"], input.kind == .object, input.count > 0 {
                arguments = WireJSON.compactText(input)
            }
            let call: WireJSON = .object([
                ("index", .int(callIndex)), ("id", .string(callID)), ("type", .string("function")),
                ("function", .object([("name", .string(name)), ("arguments", .string(arguments))])),
            ])
            sendDelta([("tool_calls", .array([call]))], into: &output)
        default:
            return  // thinking, redacted_thinking, server tool blocks: not part of OpenAI's answer
        }
    }

    private mutating func blockDelta(_ root: JSONValue, into output: inout [UInt8]) {
        guard let delta = root["delta"] else { return }
        switch delta["type"]?.string {
        case "text_delta":
            if let text = delta["text"]?.string, !text.isEmpty {
                sendDelta([("content", .string(text))], into: &output)
            }
        case "input_json_delta":
            guard let index = root["index"]?.int, let callIndex = toolCallIndex[index],
                let piece = delta["partial_json"]?.string, !piece.isEmpty
            else { return }
            let call: WireJSON = .object([
                ("index", .int(callIndex)), ("function", .object([("arguments", .string(piece))])),
            ])
            sendDelta([("tool_calls", .array([call]))], into: &output)
        default:
            return  // thinking_delta, signature_delta, citations_delta
        }
    }

    // MARK: - Chunks

    private var header: [(String, WireJSON)] {
        [
            ("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .int(0)),
            ("model", .string(model)),
        ]
    }

    private mutating func startIfNeeded(into output: inout [UInt8]) {
        guard !sentRole else { return }
        sentRole = true
        sendChunk(delta: [("role", .string("assistant")), ("content", .string(""))], finish: .null, into: &output)
    }

    private mutating func sendDelta(_ delta: [(String, WireJSON)], into output: inout [UInt8]) {
        startIfNeeded(into: &output)
        sendChunk(delta: delta, finish: .null, into: &output)
    }

    private mutating func sendFinish(_ stopReason: String, into output: inout [UInt8]) {
        guard !sentFinish else { return }
        startIfNeeded(into: &output)
        sentFinish = true
        sendChunk(delta: [], finish: AnthropicResponse.finishReason(stopReason), into: &output)
    }

    private func sendChunk(delta: [(String, WireJSON)], finish: WireJSON, into output: inout [UInt8]) {
        let choice: WireJSON = .object([
            ("index", .int(0)), ("delta", .object(delta)), ("logprobs", .null), ("finish_reason", finish),
        ])
        var members = header + [("choices", .array([choice]))]
        if includeUsage { members.append(("usage", .null)) }
        Self.append(.object(members), to: &output)
    }

    private static func append(_ chunk: WireJSON, to output: inout [UInt8]) {
        output.append(contentsOf: "data: ".utf8)
        chunk.write(into: &output)
        output.append(contentsOf: "\n\n".utf8)
    }
}
