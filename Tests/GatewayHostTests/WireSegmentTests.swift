import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// The fields of a segment that a test states (valueRange is checked against the source separately).
private struct Seg: Equatable, CustomStringConvertible {
    let kind: UInt32
    let role: String
    let text: String
    let item: UInt32
    let part: UInt32

    init(_ kind: UInt32, _ role: String, _ text: String, _ item: UInt32, _ part: UInt32) {
        self.kind = kind
        self.role = role
        self.text = text
        self.item = item
        self.part = part
    }

    var description: String { "(\(kind) \(role) \(item).\(part) \(text.debugDescription))" }
}

/// Extracts segments and checks that every valueRange covers exactly the JSON literal of its text.
private func extract(_ json: String, _ phase: SegmentPhase) throws -> [Seg] {
    let doc = try JSONDocument(parsing: json)
    let found = segments(of: doc, phase: phase)
    for segment in found {
        let literal = try JSONDocument(parsing: Array(doc.bytes[segment.valueRange]))
        #expect(literal.root.kind == .string)
        if let inner = segment.inner {
            // A value inside tool-call arguments: the range covers the arguments; the inner range the value.
            #expect(literal.root.string == inner.container)
            let value = try JSONDocument(parsing: Array(Array(inner.container.utf8)[inner.range]))
            #expect((value.root.string ?? String(decoding: value.root.rawBytes, as: UTF8.self)) == segment.text)
        } else {
            #expect(literal.root.string == segment.text)
        }
    }
    // The v1.0 kinds, as a plugin without PAB_CAP_EXTENDED_SEGMENTS sees them (WireToolSegmentTests covers
    // the others).
    return found.filter(\.isV1_0Kind).map { Seg($0.kind, $0.role, $0.text, $0.itemIndex, $0.partIndex) }
}

@Suite struct WireSegmentTests {
    private let message = PAB_SEGMENT_MESSAGE
    private let input = PAB_SEGMENT_INPUT
    private let output = PAB_SEGMENT_OUTPUT
    private let delta = PAB_SEGMENT_DELTA

    @Test func chatRequestStringAndPartContent() throws {
        let json = #"""
            {"model":"gpt-4o","messages":[
              {"role":"system","content":"You are \"terse\".\n"},
              {"role":"user","content":[
                {"type":"text","text":"What is in this image?"},
                {"type":"image_url","image_url":{"url":"https://example.com/a.png"}},
                {"type":"input_text","text":"caf\u00e9 😀"}
              ]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                "function":{"name":"f","arguments":"{}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"42"},
              "not an object",
              {"content":"no role"}
            ],"temperature":0.2}
            """#
        #expect(
            try extract(json, .request(.chatCompletions)) == [
                Seg(message, "system", "You are \"terse\".\n", 0, 0),
                Seg(message, "user", "What is in this image?", 1, 0),
                Seg(message, "user", "café 😀", 1, 2),
                Seg(message, "tool", "42", 3, 0),
                Seg(message, "", "no role", 5, 0),
            ])
    }

    @Test func chatRequestUsesTheLastMessagesMember() throws {
        let json = #"{"messages":[{"role":"user","content":"decoy"}],"messages":[{"role":"user","content":"real"}]}"#
        #expect(try extract(json, .request(.chatCompletions)) == [Seg(message, "user", "real", 0, 0)])
    }

    @Test func responsesRequestWithInstructionsAndStringInput() throws {
        let json = #"{"model":"gpt-4.1","input":"Tell me a joke","instructions":"Be brief."}"#
        #expect(
            try extract(json, .request(.responses)) == [
                Seg(input, "system", "Be brief.", TextSegment.instructionsItemIndex, 0),
                Seg(input, "user", "Tell me a joke", 0, 0),
            ])
    }

    @Test func responsesRequestWithItems() throws {
        let json = #"""
            {"model":"gpt-4.1","input":[
              {"role":"developer","content":"Answer in French."},
              {"type":"message","role":"user","content":[
                {"type":"input_text","text":"Describe"},
                {"type":"input_image","image_url":"data:image/png;base64,AAAA"},
                {"type":"text","text":"briefly"}
              ]},
              {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Sure","annotations":[]}]},
              {"type":"function_call","call_id":"c1","name":"lookup","arguments":"{\"q\":\"x\"}"},
              {"type":"function_call_output","call_id":"c1","output":"{\"temp\":21}"},
              {"type":"reasoning","summary":[{"type":"summary_text","text":"hidden"}]},
              {"type":"function_call_output","call_id":"c2","output":[{"type":"input_text","text":"part out"}]}
            ]}
            """#
        #expect(
            try extract(json, .request(.responses)) == [
                Seg(input, "developer", "Answer in French.", 0, 0),
                Seg(input, "user", "Describe", 1, 0),
                Seg(input, "user", "briefly", 1, 2),
                Seg(input, "assistant", "Sure", 2, 0),
                Seg(input, "tool", "{\"temp\":21}", 4, 0),
                Seg(input, "tool", "part out", 6, 0),
            ])
    }

    @Test func chatResponse() throws {
        let json = #"""
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[
              {"index":0,"message":{"role":"assistant","content":"Hello there","refusal":null},"finish_reason":"stop"},
              {"index":1,"message":{"role":"assistant","content":null,"tool_calls":[]},"finish_reason":"tool_calls"},
              {"index":2,"message":{"content":"Second\u2028line"},"finish_reason":"stop"}
            ],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}
            """#
        #expect(
            try extract(json, .response(.chatCompletions)) == [
                Seg(output, "assistant", "Hello there", 0, 0),
                Seg(output, "assistant", "Second\u{2028}line", 2, 0),
            ])
    }

    @Test func responsesResponse() throws {
        let json = #"""
            {"id":"resp_1","object":"response","status":"completed","output":[
              {"type":"reasoning","id":"rs_1","summary":[]},
              {"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[
                {"type":"output_text","text":"First part","annotations":[]},
                {"type":"refusal","refusal":"no"},
                {"type":"output_text","text":"Second part","annotations":[]}
              ]},
              {"type":"function_call","name":"f","arguments":"{}"}
            ],"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}
            """#
        #expect(
            try extract(json, .response(.responses)) == [
                Seg(output, "assistant", "First part", 1, 0),
                Seg(output, "assistant", "Second part", 1, 2),
            ])
    }

    @Test func chatStreamChunks() throws {
        let roleOnly =
            #"{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#
        #expect(try extract(roleOnly, .streamEvent(.chatCompletions)) == [Seg(delta, "assistant", "", 0, 0)])
        let content = #"{"id":"c","choices":[{"index":1,"delta":{"content":" world 🌍"},"finish_reason":null}]}"#
        #expect(try extract(content, .streamEvent(.chatCompletions)) == [Seg(delta, "assistant", " world 🌍", 1, 0)])
        let toolCall =
            #"{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]}"#
        #expect(try extract(toolCall, .streamEvent(.chatCompletions)) == [])
        let finish = #"{"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
        #expect(try extract(finish, .streamEvent(.chatCompletions)) == [])
        let usage = #"{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#
        #expect(try extract(usage, .streamEvent(.chatCompletions)) == [])
    }

    @Test func responsesStreamEvents() throws {
        let deltaEvent =
            #"{"type":"response.output_text.delta","sequence_number":7,"item_id":"msg_1","output_index":2,"content_index":1,"delta":"Hi \"you\""}"#
        #expect(try extract(deltaEvent, .streamEvent(.responses)) == [Seg(delta, "assistant", "Hi \"you\"", 2, 1)])
        let created = #"{"type":"response.created","response":{"id":"resp_1","output":[]}}"#
        #expect(try extract(created, .streamEvent(.responses)) == [])
        let otherDelta = #"{"type":"response.function_call_arguments.delta","output_index":0,"delta":"{\"a\""}"#
        #expect(try extract(otherDelta, .streamEvent(.responses)) == [])
    }

    @Test func eventDataThatIsNotJSONHasNoSegments() {
        #expect(segments(ofEventData: Array("[DONE]".utf8), api: .chatCompletions) == [])
        #expect(segments(ofEventData: Array("not json {".utf8), api: .chatCompletions) == [])
        #expect(
            segments(ofEventData: Array(#"{"choices":[{"delta":{"content":"x"}}],}"#.utf8), api: .chatCompletions) == []
        )
        #expect(segments(ofEventData: [], api: .responses) == [])
        let valid = Array(#" {"choices":[{"index":0,"delta":{"content":"x"}}]}"#.utf8)
        #expect(segments(ofEventData: valid, api: .chatCompletions).map(\.text) == ["x"])
    }

    @Test func bodiesThatAreNotObjectsHaveNoSegments() throws {
        #expect(try extract(#"[{"role":"user","content":"x"}]"#, .request(.chatCompletions)) == [])
        #expect(try extract(#""text""#, .request(.responses)) == [])
        #expect(try extract(#"{"messages":"x","input":5}"#, .request(.chatCompletions)) == [])
        #expect(try extract(#"{"input":{"content":"x"}}"#, .request(.responses)) == [])
    }

    @Test func wireAPIMapsToABIConstants() {
        #expect(WireAPI.chatCompletions.abiValue == PAB_API_CHAT_COMPLETIONS)
        #expect(WireAPI.responses.abiValue == PAB_API_RESPONSES)
    }
}
