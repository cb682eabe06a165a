import PolicyABI

/// The text segments of a parsed body, in document order (see `pab_segment` in policy_abi.h).
///
/// Shapes understood (anything else contributes no segment; a body that is not an object has none):
/// - chat request: `messages[i].content` string (part 0) or `content[j].text` of parts typed "text" or
///   "input_text" → MESSAGE, role `messages[i].role`.
/// - Responses request: `instructions` → INPUT, role "system", item `TextSegment.instructionsItemIndex`,
///   part 0, always first; `input` string → INPUT role "user" item 0; `input[i].content` string or parts
///   typed "input_text"/"output_text"/"text" → INPUT, role `input[i].role`; `input[i]` of type
///   "function_call_output" → its `output` string (or its "input_text" parts) as INPUT role "tool".
/// - chat response: `choices[i].message.content` string (or "text" parts) → OUTPUT, role
///   `message.role` or "assistant". Responses response: `output[i].content[j]` typed "output_text" → OUTPUT.
/// - embeddings request: `input` string → INPUT role "user" item 0; `input[i]` strings → INPUT role "user"
///   item i (token arrays carry no text). Embeddings answers have no segments.
/// - chat stream event: `choices[i].delta.content` → DELTA. Responses stream event of type
///   "response.output_text.delta": `delta` → DELTA, item `output_index`, part `content_index`.
///
/// For chat responses and chunks the item index is the choice's own `index` field when it is a valid
/// UInt32 (a chunk usually carries one choice, whose position is always 0), else its array position.
package func segments(of doc: JSONDocument, phase: SegmentPhase) -> [TextSegment] {
    let root = doc.root
    guard root.kind == .object else { return [] }
    var collector = SegmentCollector()
    switch phase {
    case .request(.chatCompletions): collector.chatRequest(root)
    case .request(.responses): collector.responsesRequest(root)
    case .response(.chatCompletions): collector.chatChoices(root, field: "message", kind: PAB_SEGMENT_OUTPUT)
    case .response(.responses): collector.responsesResponse(root)
    case .streamEvent(.chatCompletions): collector.chatChoices(root, field: "delta", kind: PAB_SEGMENT_DELTA)
    case .streamEvent(.responses): collector.responsesStreamEvent(root)
    case .request(.embeddings): collector.embeddingsRequest(root)
    case .response(.embeddings), .streamEvent(.embeddings): break
    }
    return collector.segments
}

/// The segments of one SSE event's data; data that is not JSON (like "[DONE]") has none.
package func segments(ofEventData data: [UInt8], api: WireAPI) -> [TextSegment] {
    // Cheap pre-check: only an object can hold segments, and it spares building a parse error message.
    guard let first = data.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
        first == UInt8(ascii: "{"), let doc = try? JSONDocument(parsing: data)
    else { return [] }
    return segments(of: doc, phase: .streamEvent(api))
}

/// Walks the known shapes and accumulates segments.
package struct SegmentCollector {
    // Content part types that carry text, per shape (static so no array is built per call).
    package static let chatRequestParts = ["text", "input_text"]
    package static let responsesInputParts = ["input_text", "output_text", "text"]
    package static let toolOutputParts = ["input_text"]
    package static let chatAnswerParts = ["text", "output_text"]
    package static let responsesOutputParts = ["output_text"]

    package var segments: [TextSegment] = []

    package mutating func chatRequest(_ root: JSONValue) {
        guard let messages = root["messages"] else { return }
        for (position, message) in messages.items.enumerated() {
            guard message.kind == .object, let item = UInt32(exactly: position) else { continue }
            if let content = message["content"] {
                let role = message["role"]?.string ?? ""
                addContent(content, kind: PAB_SEGMENT_MESSAGE, role: role, item: item, partTypes: Self.chatRequestParts)
            }
            chatToolCalls(message, item: item, fragments: false)
        }
        toolDescriptions(root)
    }

    package mutating func embeddingsRequest(_ root: JSONValue) {
        guard let input = root["input"] else { return }
        if input.kind == .string {
            add(input, kind: PAB_SEGMENT_INPUT, role: "user", item: 0, part: 0)
            return
        }
        for (position, entry) in input.items.enumerated() where entry.kind == .string {
            guard let item = UInt32(exactly: position) else { continue }
            add(entry, kind: PAB_SEGMENT_INPUT, role: "user", item: item, part: 0)
        }
    }

    package mutating func responsesRequest(_ root: JSONValue) {
        if let instructions = root["instructions"] {
            add(instructions, kind: PAB_SEGMENT_INPUT, role: "system", item: TextSegment.instructionsItemIndex, part: 0)
        }
        guard let input = root["input"] else { return }
        if input.kind == .string {
            add(input, kind: PAB_SEGMENT_INPUT, role: "user", item: 0, part: 0)
            return
        }
        for (position, entry) in input.items.enumerated() {
            guard entry.kind == .object, let item = UInt32(exactly: position) else { continue }
            let type = entry["type"]
            if let type, type.stringEquals("function_call") {
                functionCallArguments(entry, item: item)
            } else if let type, type.stringEquals("function_call_output") {
                if let output = entry["output"] {
                    addContent(
                        output, kind: PAB_SEGMENT_INPUT, role: "tool", item: item, partTypes: Self.toolOutputParts)
                }
            } else if type == nil || type?.stringEquals("message") == true, let content = entry["content"] {
                let role = entry["role"]?.string ?? ""
                addContent(
                    content, kind: PAB_SEGMENT_INPUT, role: role, item: item,
                    partTypes: Self.responsesInputParts)
            }
        }
        toolDescriptions(root)
    }

    /// Chat answers: `choices[i].message` (non-streamed) or `choices[i].delta` (stream chunk).
    package mutating func chatChoices(_ root: JSONValue, field: String, kind: UInt32) {
        guard let choices = root["choices"] else { return }
        for (position, choice) in choices.items.enumerated() {
            guard let message = choice[field], message.kind == .object,
                let item = choice["index"]?.int.flatMap(UInt32.init(exactly:)) ?? UInt32(exactly: position)
            else { continue }
            if let content = message["content"] {
                let role = message["role"]?.string ?? "assistant"
                addContent(content, kind: kind, role: role, item: item, partTypes: Self.chatAnswerParts)
            }
            if let refusal = message["refusal"] {
                add(refusal, kind: PAB_SEGMENT_REFUSAL, role: "assistant", item: item, part: 0)
            }
            chatToolCalls(message, item: item, fragments: kind == PAB_SEGMENT_DELTA)
        }
    }

    package mutating func responsesResponse(_ root: JSONValue) {
        guard let output = root["output"] else { return }
        for (position, entry) in output.items.enumerated() {
            guard entry.kind == .object, let item = UInt32(exactly: position) else { continue }
            outputItem(entry, item: item)
        }
    }

    /// A Responses stream event: the `delta` of response.output_text.delta (DELTA), and the full text the
    /// terminal events repeat (OUTPUT): output_text.done's `text`, content_part.done's `part.text`,
    /// output_item.done's `item.content[j].text` and response.completed's `response.output`. Without the
    /// latter a policy that redacts deltas would leak the original text through the summary events.
    package mutating func responsesStreamEvent(_ root: JSONValue) {
        guard let type = root["type"] else { return }
        let item = root["output_index"]?.int.flatMap(UInt32.init(exactly:)) ?? 0
        let part = root["content_index"]?.int.flatMap(UInt32.init(exactly:)) ?? 0
        if type.stringEquals("response.output_text.delta"), let delta = root["delta"] {
            add(delta, kind: PAB_SEGMENT_DELTA, role: "assistant", item: item, part: part)
        } else if type.stringEquals("response.output_text.done"), let text = root["text"] {
            add(text, kind: PAB_SEGMENT_OUTPUT, role: "assistant", item: item, part: part)
        } else if type.stringEquals("response.content_part.done"), let partObject = root["part"],
            partObject.kind == .object, let text = partObject["text"]
        {
            add(text, kind: PAB_SEGMENT_OUTPUT, role: "assistant", item: item, part: part)
        } else if type.stringEquals("response.output_item.done"), let entry = root["item"], entry.kind == .object {
            outputItem(entry, item: item)
        } else if type.stringEquals("response.completed"), let response = root["response"], response.kind == .object {
            responsesResponse(response)
        } else {
            responsesToolAndRefusalEvent(root, type: type, item: item, part: part)
        }
    }

    /// `content` as a plain string (part 0) or an array of typed parts whose `text` is a string.
    package mutating func addContent(
        _ content: JSONValue, kind: UInt32, role: String, item: UInt32, partTypes: [String]
    ) {
        if content.kind == .string {
            add(content, kind: kind, role: role, item: item, part: 0)
            return
        }
        for (position, part) in content.items.enumerated() {
            guard part.kind == .object, let type = part["type"], partTypes.contains(where: type.stringEquals),
                let text = part["text"], let partIndex = UInt32(exactly: position)
            else { continue }
            add(text, kind: kind, role: role, item: item, part: partIndex)
        }
    }

    package mutating func add(_ value: JSONValue, kind: UInt32, role: String, item: UInt32, part: UInt32) {
        guard let text = value.string else { return }
        segments.append(
            TextSegment(
                kind: kind, role: role, text: text, itemIndex: item, partIndex: part, valueRange: value.byteRange))
    }

    /// A Responses output item: a message's text parts (OUTPUT) and refusal parts (REFUSAL), or a
    /// function call's arguments.
    package mutating func outputItem(_ entry: JSONValue, item: UInt32) {
        if entry["type"]?.stringEquals("function_call") == true {
            functionCallArguments(entry, item: item)
            return
        }
        guard let content = entry["content"], content.kind == .array else { return }
        let role = entry["role"]?.string ?? "assistant"
        addContent(content, kind: PAB_SEGMENT_OUTPUT, role: role, item: item, partTypes: Self.responsesOutputParts)
        for (position, part) in content.items.enumerated() {
            guard part.kind == .object, part["type"]?.stringEquals("refusal") == true, let refusal = part["refusal"],
                let partIndex = UInt32(exactly: position)
            else { continue }
            add(refusal, kind: PAB_SEGMENT_REFUSAL, role: role, item: item, part: partIndex)
        }
    }
}
