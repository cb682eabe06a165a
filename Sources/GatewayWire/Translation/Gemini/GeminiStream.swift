/// Gemini's `streamGenerateContent?alt=sse` → OpenAI `chat.completion.chunk` SSE.
///
/// Gemini sends `data: {GenerateContentResponse}` events, each holding the next piece of every candidate,
/// and nothing after the last one (no `[DONE]`): the piece with a `finishReason` ends its candidate, and
/// the end of the bytes ends the stream. Per candidate this writes a first chunk with
/// `delta: {role: "assistant", content: ""}`, one chunk per text piece, one per function call (its whole
/// arguments at once: Gemini does not split them), and a finish chunk; at ``finish()``, when asked, a
/// usage chunk from the last `usageMetadata` seen, then `data: [DONE]`.
///
/// Throws on an `error` event (Gemini reports errors after the head that way), on an event that is not
/// JSON, and at ``finish()`` when a candidate never finished (the stream was cut).
///
/// Usage:
/// ```swift
/// var stream = GeminiStreamTranslator(model: "gemini-2.0-flash", id: "chatcmpl-1", created: 0, includeUsage: true)
/// let sse = try stream.feed(upstreamBytes) + stream.finish()
/// ```
package struct GeminiStreamTranslator: StreamTranslator {
    let model: String
    let id: String
    let created: Int
    let includeUsage: Bool

    private var parser = SSEParser()
    /// Per candidate index: whether its role chunk went out, how many calls it made, whether it finished.
    private var started: Set<Int> = []
    private var callCounts: [Int: Int] = [:]
    private var finished: Set<Int> = []
    /// The last `usageMetadata`, as compact JSON text (re-parsed at the end: a `JSONValue` is tied to its
    /// event's document, which this keeps alive only through the text).
    private var lastUsage: [UInt8]?

    package init(model: String, id: String, created: Int, includeUsage: Bool) {
        self.model = model
        self.id = id
        self.created = created
        self.includeUsage = includeUsage
    }

    package mutating func feed(_ bytes: [UInt8]) throws(TranslationError) -> [UInt8] {
        let events: [SSEEvent]
        do {
            events = try parser.feed(bytes)
        } catch {
            throw TranslationError("the Gemini stream is malformed: \(error.message)")
        }
        var output: [UInt8] = []
        for event in events { try take(event, into: &output) }
        return output
    }

    package mutating func finish() throws(TranslationError) -> [UInt8] {
        var output: [UInt8] = []
        // An event without its closing blank line: the connection ended right after it. Its JSON is either
        // complete (take it) or not (the stream was cut).
        if let pending = parser.finish() {
            do {
                try take(pending, into: &output)
            } catch {
                throw TranslationError("the Gemini stream was cut in the middle of an event")
            }
        }
        guard !finished.isEmpty, finished.isSuperset(of: started) else {
            throw TranslationError("the Gemini stream ended before its last candidate finished")
        }
        if includeUsage {
            var usage = WireJSON.object([
                ("prompt_tokens", .int(0)), ("completion_tokens", .int(0)), ("total_tokens", .int(0)),
            ])
            if let lastUsage, let document = try? JSONDocument(parsing: lastUsage) {
                usage = GeminiResponse.usage(document.root)
            }
            write(choices: .array([]), usage: usage, into: &output)
        }
        output.append(contentsOf: "data: [DONE]\n\n".utf8)
        return output
    }

    // MARK: - Events

    private mutating func take(_ event: SSEEvent, into output: inout [UInt8]) throws(TranslationError) {
        guard let data = event.data, !data.isEmpty else { return }  // keep-alive comments
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: data)
        } catch {
            throw TranslationError("the Gemini stream sent an event that is not JSON: \(error.message)")
        }
        let root = document.root
        if let error = root["error"], error.kind == .object {
            let status = error["status"]?.string.map { " (\($0))" } ?? ""
            throw TranslationError(
                "Gemini reported an error mid-stream\(status): \(error["message"]?.string ?? "unknown")")
        }
        if let usage = root["usageMetadata"] {
            var bytes: [UInt8] = []
            WireJSON.writeCompact(usage, into: &bytes)
            lastUsage = bytes
        }
        var position = 0
        var sawCandidate = false
        for candidate in (root["candidates"] ?? root).items {  // `items` of a non-array is empty
            sawCandidate = true
            let index = candidate["index"]?.int ?? position
            position += 1
            try take(candidate, index: index, into: &output)
        }
        if !sawCandidate, root["promptFeedback"]?["blockReason"]?.string != nil, !finished.contains(0) {
            // The prompt was blocked: the one answer is an empty, filtered choice.
            startIfNeeded(0, into: &output)
            write(delta: .object([]), index: 0, finishReason: "content_filter", into: &output)
            finished.insert(0)
        }
    }

    private mutating func take(_ candidate: JSONValue, index: Int, into output: inout [UInt8]) throws(TranslationError)
    {
        let parts = try GeminiCandidateParts(candidate, callIDPrefix: "call_", firstCall: callCounts[index] ?? 0)
        let reason = candidate["finishReason"]?.string
        guard !finished.contains(index) else { return }  // nothing may follow a candidate's finish
        startIfNeeded(index, into: &output)
        if !parts.text.isEmpty {
            write(delta: .object([("content", .string(parts.text))]), index: index, finishReason: nil, into: &output)
        }
        for call in parts.toolCalls {
            write(
                delta: .object([("tool_calls", .array([call.json(index: call.number)]))]), index: index,
                finishReason: nil, into: &output)
        }
        callCounts[index, default: 0] += parts.toolCalls.count
        if let finish = GeminiResponse.finishReason(reason, hasToolCalls: (callCounts[index] ?? 0) > 0) {
            write(delta: .object([]), index: index, finishReason: finish, into: &output)
            finished.insert(index)
        }
    }

    private mutating func startIfNeeded(_ index: Int, into output: inout [UInt8]) {
        guard !started.contains(index) else { return }
        started.insert(index)
        write(
            delta: .object([("role", .string("assistant")), ("content", .string(""))]), index: index, finishReason: nil,
            into: &output)
    }

    // MARK: - Chunks

    private func write(delta: WireJSON, index: Int, finishReason: String?, into output: inout [UInt8]) {
        let choice = WireJSON.object([
            ("index", .int(index)), ("delta", delta), ("logprobs", .null),
            ("finish_reason", finishReason.map { .string($0) } ?? .null),
        ])
        write(choices: .array([choice]), usage: nil, into: &output)
    }

    private func write(choices: WireJSON, usage: WireJSON?, into output: inout [UInt8]) {
        var chunk: [(String, WireJSON)] = [
            ("id", .string(id)), ("object", .string("chat.completion.chunk")), ("created", .int(created)),
            ("model", .string(model)), ("choices", choices),
        ]
        if let usage { chunk.append(("usage", usage)) }
        output.append(contentsOf: "data: ".utf8)
        WireJSON.object(chunk).write(into: &output)
        output.append(contentsOf: "\n\n".utf8)
    }
}
