import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// The v1.1 segment kinds: values inside tool-call arguments, refusals, tool descriptions; and edits of
/// argument values, which must leave the arguments valid JSON whatever the new text is.
@Suite struct WireToolSegmentTests {
    func found(_ json: String, _ phase: SegmentPhase) throws -> [TextSegment] {
        segments(of: try JSONDocument(parsing: json), phase: phase)
    }

    func summary(_ segments: [TextSegment]) -> [String] {
        segments.map { "\($0.kind) \($0.role) \($0.itemIndex).\($0.partIndex) \($0.text)" }
    }

    static let chatRequest = #"""
        {"model":"m","messages":[{"role":"user","content":"book it"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"book","arguments":"{\"email\":\"alice@example.com\",\"seats\":2,\"tags\":[\"vip\",true]}"}}]},{"role":"tool","tool_call_id":"c1","content":"booked"}],"tools":[{"type":"function","function":{"name":"book","description":"Books seats.","parameters":{"type":"object","properties":{"email":{"type":"string","description":"Who pays."}}}}}]}
        """#

    @Test func chatRequestGivesArgumentValuesAndToolDescriptions() throws {
        let all = try found(Self.chatRequest, .request(.chatCompletions))
        #expect(
            summary(all) == [
                "1 user 0.0 book it", "5 assistant 1.0 alice@example.com", "5 assistant 1.0 2",
                "5 assistant 1.0 vip", "1 tool 2.0 booked", "7 system 0.0 Books seats.", "7 system 0.1 Who pays.",
            ])
    }

    @Test func editedArgumentValuesKeepTheArgumentsValidJSON() throws {
        let doc = try JSONDocument(parsing: Self.chatRequest)
        let all = segments(of: doc, phase: .request(.chatCompletions))
        // The email becomes text with quotes and a backslash; the number becomes text.
        let edits = [1: #"[EMAIL "x" \]"#, 2: "[NUMBER]"]
        let changed = spliceSegmentEdits(edits, segments: all, into: doc.bytes)
        let after = try JSONDocument(parsing: changed)
        let arguments = try #require(
            after.root["messages"]?[1]?["tool_calls"]?[0]?["function"]?["arguments"]?.string)
        let parsed = try JSONDocument(parsing: arguments)
        #expect(parsed.root["email"]?.string == #"[EMAIL "x" \]"#)
        #expect(parsed.root["seats"]?.string == "[NUMBER]")
        #expect(parsed.root["tags"]?[0]?.string == "vip")
        #expect(parsed.root["tags"]?[1]?.bool == true)
        // Everything outside the arguments is byte for byte the same.
        let prefix = Array(doc.bytes[..<all[1].valueRange.lowerBound])
        #expect(Array(changed.prefix(prefix.count)) == prefix)
    }

    @Test func argumentsThatAreNotJSONAreOneSegment() throws {
        let json =
            #"{"messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":"not {json"}}]}]}"#
        #expect(summary(try found(json, .request(.chatCompletions))) == ["5 assistant 0.0 not {json"])
    }

    @Test func chatAnswerRefusalAndToolCalls() throws {
        let json = #"""
            {"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't share 4111 1111 1111 1111.","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"q\":\"x\"}"}}]}}]}
            """#
        #expect(
            summary(try found(json, .response(.chatCompletions))) == [
                "6 assistant 0.0 I can't share 4111 1111 1111 1111.", "5 assistant 0.0 x",
            ])
    }

    @Test func chatStreamToolFragmentsAndRefusalDeltas() throws {
        let json = #"""
            {"choices":[{"index":0,"delta":{"refusal":"no","tool_calls":[{"index":2,"function":{"arguments":"{\"ema"}}]}}]}
            """#
        #expect(
            summary(try found(json, .streamEvent(.chatCompletions))) == [
                "6 assistant 0.0 no", "5 assistant 0.2 {\"ema",
            ])
    }

    @Test func responsesFunctionCallsRefusalsAndTools() throws {
        let request = #"""
            {"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{\"to\":\"bob@example.com\"}"},{"type":"function_call_output","call_id":"c","output":"sent"}],"tools":[{"type":"function","name":"f","description":"Sends mail.","parameters":{}}]}
            """#
        #expect(
            summary(try found(request, .request(.responses))) == [
                "5 assistant 0.0 bob@example.com", "2 tool 1.0 sent", "7 system 0.0 Sends mail.",
            ])
        let response = #"""
            {"output":[{"type":"message","role":"assistant","content":[{"type":"refusal","refusal":"No."}]},{"type":"function_call","arguments":"{\"n\":1}"}]}
            """#
        #expect(summary(try found(response, .response(.responses))) == ["6 assistant 0.0 No.", "5 assistant 1.0 1"])
        let events = [
            (
                #"{"type":"response.function_call_arguments.delta","output_index":1,"delta":"{\"n\""}"#,
                "5 assistant 1.0 {\"n\""
            ),
            (
                #"{"type":"response.refusal.delta","output_index":0,"content_index":0,"delta":"No"}"#,
                "6 assistant 0.0 No"
            ),
        ]
        for (event, expected) in events {
            #expect(summary(try found(event, .streamEvent(.responses))) == [expected])
        }
    }

    @Test func v1_0PluginsSeeOnlyTheV1_0Kinds() throws {
        let body = PhaseBody(bytes: Array(Self.chatRequest.utf8), segmentPhase: .request(.chatCompletions))
        #expect(body.segments.count == 7)
        #expect(body.v1_0Segments.map(\.text) == ["book it", "booked"])
    }
}
