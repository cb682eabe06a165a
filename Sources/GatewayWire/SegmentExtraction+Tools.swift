import PolicyABI

/// The v1.1 segment kinds (plugins see them only with PAB_CAP_EXTENDED_SEGMENTS): values inside tool-call
/// arguments, refusals, and the text of tool definitions.
extension SegmentCollector {
    /// `tool_calls[j].function.arguments` of a chat message or choice. Whole arguments are parsed and each
    /// string / number value inside is a segment (written back as a JSON string inside the arguments); a
    /// streamed delta carries a fragment, which is one segment with its raw text. Part: the call's `index`
    /// field when it has one (deltas do), else its position.
    package mutating func chatToolCalls(_ message: JSONValue, item: UInt32, fragments: Bool) {
        guard let calls = message["tool_calls"], calls.kind == .array else { return }
        for (position, call) in calls.items.enumerated() {
            guard call.kind == .object, let function = call["function"], function.kind == .object,
                let arguments = function["arguments"],
                let part = call["index"]?.int.flatMap(UInt32.init(exactly:)) ?? UInt32(exactly: position)
            else { continue }
            if fragments {
                add(arguments, kind: PAB_SEGMENT_TOOL_ARGUMENTS, role: "assistant", item: item, part: part)
            } else {
                argumentValues(arguments, item: item, part: part)
            }
        }
    }

    /// A Responses `function_call` item (in a request's input or a response's output).
    package mutating func functionCallArguments(_ entry: JSONValue, item: UInt32) {
        guard let arguments = entry["arguments"] else { return }
        argumentValues(arguments, item: item, part: 0)
    }

    /// The Responses stream events of tool calls and refusals.
    package mutating func responsesToolAndRefusalEvent(_ root: JSONValue, type: JSONValue, item: UInt32, part: UInt32) {
        if type.stringEquals("response.function_call_arguments.delta"), let delta = root["delta"] {
            add(delta, kind: PAB_SEGMENT_TOOL_ARGUMENTS, role: "assistant", item: item, part: 0)
        } else if type.stringEquals("response.function_call_arguments.done"), let arguments = root["arguments"] {
            argumentValues(arguments, item: item, part: 0)
        } else if type.stringEquals("response.refusal.delta"), let delta = root["delta"] {
            add(delta, kind: PAB_SEGMENT_REFUSAL, role: "assistant", item: item, part: part)
        } else if type.stringEquals("response.refusal.done"), let refusal = root["refusal"] {
            add(refusal, kind: PAB_SEGMENT_REFUSAL, role: "assistant", item: item, part: part)
        }
    }

    /// `tools[i]`: the function's description (part 0), then every "description" in its parameters schema.
    package mutating func toolDescriptions(_ root: JSONValue) {
        guard let tools = root["tools"], tools.kind == .array else { return }
        for (position, tool) in tools.items.enumerated() {
            guard tool.kind == .object, let item = UInt32(exactly: position) else { continue }
            // Chat nests the definition in `function`; Responses puts it on the tool itself.
            let definition = tool["function"].flatMap { $0.kind == .object ? $0 : nil } ?? tool
            var part: UInt32 = 0
            if let description = definition["description"], description.kind == .string {
                add(description, kind: PAB_SEGMENT_TOOL_DESCRIPTION, role: "system", item: item, part: 0)
            }
            if let parameters = definition["parameters"] {
                schemaDescriptions(parameters, item: item, part: &part, depth: 0)
            }
        }
    }

    private mutating func schemaDescriptions(_ schema: JSONValue, item: UInt32, part: inout UInt32, depth: Int) {
        guard depth < 64 else { return }
        switch schema.kind {
        case .object:
            for (key, value) in schema.members {
                if key.stringEquals("description"), value.kind == .string {
                    part += 1
                    add(value, kind: PAB_SEGMENT_TOOL_DESCRIPTION, role: "system", item: item, part: part)
                } else {
                    schemaDescriptions(value, item: item, part: &part, depth: depth + 1)
                }
            }
        case .array:
            for value in schema.items { schemaDescriptions(value, item: item, part: &part, depth: depth + 1) }
        default:
            break
        }
    }

    /// Each string / number value inside an arguments string; arguments that are not JSON are one segment.
    private mutating func argumentValues(_ arguments: JSONValue, item: UInt32, part: UInt32) {
        guard let text = arguments.string else { return }
        guard let inner = try? JSONDocument(parsing: Array(text.utf8)) else {
            add(arguments, kind: PAB_SEGMENT_TOOL_ARGUMENTS, role: "assistant", item: item, part: part)
            return
        }
        var values: [JSONValue] = []
        Self.leafValues(inner.root, into: &values, depth: 0)
        for value in values {
            let valueText = value.string ?? String(decoding: value.rawBytes, as: UTF8.self)
            segments.append(
                TextSegment(
                    kind: PAB_SEGMENT_TOOL_ARGUMENTS, role: "assistant", text: valueText, itemIndex: item,
                    partIndex: part, valueRange: arguments.byteRange,
                    inner: .init(range: value.byteRange, container: text)))
        }
    }

    private static func leafValues(_ value: JSONValue, into values: inout [JSONValue], depth: Int) {
        guard depth < 128 else { return }
        switch value.kind {
        case .string, .number: values.append(value)
        case .object: for (_, member) in value.members { leafValues(member, into: &values, depth: depth + 1) }
        case .array: for element in value.items { leafValues(element, into: &values, depth: depth + 1) }
        case .bool, .null: break
        }
    }
}
