/// Bedrock ConverseStream's event-stream messages → OpenAI `chat.completion.chunk` SSE events.
///
/// The bytes are AWS event-stream frames (``EventStreamDecoder``), not SSE. Each frame has a
/// `:message-type` header: `event` (its `:event-type` names the event, the payload is its JSON),
/// `exception` (`:exception-type`, payload `{"message"}`), or `error` (`:error-code`, `:error-message`).
///
/// - `messageStart` → the first chunk, `delta: {role: assistant, content: ""}` as OpenAI sends it.
/// - `contentBlockDelta` with `delta.text` → `delta.content`.
/// - `contentBlockStart` with `start.toolUse {toolUseId, name}` → a `delta.tool_calls` entry (index,
///   id, type, name, empty arguments); its `contentBlockDelta`s with `delta.toolUse.input` (pieces of the
///   arguments' JSON text) → `function.arguments` pieces under the same index.
/// - `messageStop`'s `stopReason` → a chunk with an empty delta and the `finish_reason`.
/// - `metadata` (Bedrock sends it after `messageStop`) → with `includeUsage`, a chunk with empty `choices`
///   and the usage (every earlier chunk then has `"usage": null`, as OpenAI sends them), then
///   `data: [DONE]` at once. A stream that ends after `messageStop` without `metadata` still completes
///   (the answer is whole; the usage chunk then carries what is known, zeros).
/// - `contentBlockStop`, reasoning deltas, and event types added later are skipped.
/// - An `exception` or `error` message, a payload that is not JSON, a corrupted frame (CRC mismatch), or
///   the end of the bytes before `messageStop` (or inside a frame) throw.
///
/// Usage:
/// ```swift
/// var stream = BedrockStreamTranslator(model: "m", id: "chatcmpl-1", includeUsage: true, crc32: zlibCRC32)
/// let sse = try stream.feed(frameBytes) + stream.finish()
/// ```
package struct BedrockStreamTranslator: StreamTranslator {
    package let model: String
    package let id: String
    package let includeUsage: Bool

    private var decoder: EventStreamDecoder
    private var sentRole = false
    private var sentFinish = false
    private var stopped = false
    private var completed = false
    /// Converse content block index → OpenAI tool call index.
    private var toolCallIndex: [Int: Int] = [:]
    private var usage = BedrockResponse.Usage()

    package init(model: String, id: String, includeUsage: Bool, crc32: @escaping @Sendable ([UInt8]) -> UInt32) {
        self.model = model
        self.id = id
        self.includeUsage = includeUsage
        decoder = EventStreamDecoder(crc32: crc32)
    }

    package mutating func feed(_ bytes: [UInt8]) throws(TranslationError) -> [UInt8] {
        let messages: [EventStreamMessage]
        do {
            messages = try decoder.feed(bytes)
        } catch {
            throw TranslationError("Bedrock's event stream is malformed: \(error.message)")
        }
        var output: [UInt8] = []
        for message in messages { try handle(message, into: &output) }
        return output
    }

    package mutating func finish() throws(TranslationError) -> [UInt8] {
        if completed { return [] }
        guard decoder.bufferedByteCount == 0 else {
            throw TranslationError(
                "Bedrock's event stream ended inside a message (\(decoder.bufferedByteCount) bytes left over; cut).")
        }
        guard stopped else {
            throw TranslationError("Bedrock's event stream ended before its messageStop event (cut).")
        }
        var output: [UInt8] = []
        complete(into: &output)
        return output
    }

    // MARK: - Messages

    private mutating func handle(_ message: EventStreamMessage, into output: inout [UInt8]) throws(TranslationError) {
        guard !completed else { return }
        switch message.stringHeader(":message-type") {
        case "event":
            break
        case "exception":
            let type = message.stringHeader(":exception-type") ?? "unknown"
            let text =
                (try? JSONDocument(parsing: message.payload))?.root["message"]?.string
                ?? String(decoding: message.payload.prefix(200), as: UTF8.self)
            throw TranslationError("Bedrock's stream reported an error (\(type)): \(text)")
        case "error":
            throw TranslationError(
                "Bedrock's stream reported an error (\(message.stringHeader(":error-code") ?? "unknown")): "
                    + (message.stringHeader(":error-message") ?? "no message"))
        default:
            return  // message types added later
        }
        let eventType = message.stringHeader(":event-type") ?? ""
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: message.payload)
        } catch {
            throw TranslationError(
                "Bedrock's stream has a '\(eventType)' event whose payload is not JSON: \(error.message)")
        }
        let root = document.root
        switch eventType {
        case "messageStart":
            startIfNeeded(into: &output)
        case "contentBlockStart":
            try blockStart(root, into: &output)
        case "contentBlockDelta":
            blockDelta(root, into: &output)
        case "messageStop":
            sendFinish(root["stopReason"]?.string ?? "end_turn", into: &output)
            stopped = true
        case "metadata":
            usage.read(root["usage"])
            if stopped { complete(into: &output) }
        default:
            return  // contentBlockStop, and event types added later
        }
    }

    private mutating func blockStart(_ root: JSONValue, into output: inout [UInt8]) throws(TranslationError) {
        guard let toolUse = root["start"]?["toolUse"] else { return }
        guard let index = root["contentBlockIndex"]?.int, let callID = toolUse["toolUseId"]?.string,
            let name = toolUse["name"]?.string
        else {
            throw TranslationError(
                "Bedrock's stream has a toolUse start without a contentBlockIndex, toolUseId or name.")
        }
        let callIndex = toolCallIndex.count
        toolCallIndex[index] = callIndex
        let call: WireJSON = .object([
            ("index", .int(callIndex)), ("id", .string(callID)), ("type", .string("function")),
            ("function", .object([("name", .string(name)), ("arguments", .string(""))])),
        ])
        sendDelta([("tool_calls", .array([call]))], into: &output)
    }

    private mutating func blockDelta(_ root: JSONValue, into output: inout [UInt8]) {
        guard let delta = root["delta"] else { return }
        if let text = delta["text"]?.string {
            if !text.isEmpty { sendDelta([("content", .string(text))], into: &output) }
        } else if let piece = delta["toolUse"]?["input"]?.string {
            guard let index = root["contentBlockIndex"]?.int, let callIndex = toolCallIndex[index], !piece.isEmpty
            else { return }
            let call: WireJSON = .object([
                ("index", .int(callIndex)), ("function", .object([("arguments", .string(piece))])),
            ])
            sendDelta([("tool_calls", .array([call]))], into: &output)
        }
        // reasoningContent, citation deltas: not part of OpenAI's answer.
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
        sendChunk(delta: [], finish: BedrockResponse.finishReason(stopReason), into: &output)
    }

    /// The usage chunk (when asked for) and `[DONE]`.
    private mutating func complete(into output: inout [UInt8]) {
        if includeUsage {
            Self.append(.object(header + [("choices", .array([])), ("usage", usage.openAI)]), to: &output)
        }
        output.append(contentsOf: "data: [DONE]\n\n".utf8)
        completed = true
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
