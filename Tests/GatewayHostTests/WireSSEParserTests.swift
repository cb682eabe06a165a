import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// Parses `bytes` fed as the given chunks, appending the event left open at the end (if any) marked by
/// a comment "<<unfinished>>" so tests compare it too.
private func parse(_ chunks: [ArraySlice<UInt8>], maxEventBytes: Int = SSEParser.defaultMaxEventBytes) throws
    -> [SSEEvent]
{
    var parser = SSEParser(maxEventBytes: maxEventBytes)
    var events: [SSEEvent] = []
    for chunk in chunks {
        events += try parser.feed(Array(chunk))
    }
    if var unfinished = parser.finish() {
        unfinished.comments.append("<<unfinished>>")
        events.append(unfinished)
    }
    return events
}

private func parse(_ text: String) throws -> [SSEEvent] {
    try parse([ArraySlice(text.utf8)])
}

/// The stream fed whole, split in two at every offset, and one byte at a time: all must agree.
private func expectSplitInvariant(_ bytes: [UInt8]) throws -> [SSEEvent] {
    let whole = try parse([bytes[...]])
    for split in 0...bytes.count {
        let events = try parse([bytes[..<split], bytes[split...]])
        guard events == whole else {
            Issue.record("split at byte \(split) changed the events")
            return whole
        }
    }
    var parser = SSEParser()
    var byteByByte: [SSEEvent] = []
    try bytes.withUnsafeBytes { raw in
        for offset in 0..<raw.count {
            try parser.feed(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 1)]), into: &byteByByte)
        }
    }
    #expect(parser.finish() == nil)
    #expect(byteByByte == whole)
    return whole
}

@Suite struct WireSSEParserTests {
    @Test func chatStreamParsesIdenticallyAtEverySplit() throws {
        let events = try expectSplitInvariant(Array(WireStreamFixtures.chatStream.utf8))
        #expect(events.count == 18)
        #expect(events[0] == SSEEvent(comments: ["keep-alive"]))
        #expect(events.dropFirst().allSatisfy { $0.data != nil && $0.event == nil && $0.comments.isEmpty })
        #expect(events.last?.dataString == "[DONE]")
        let deltas = events.compactMap(\.data).flatMap { segments(ofEventData: $0, api: .chatCompletions) }
        #expect(deltas.allSatisfy { $0.kind == PAB_SEGMENT_DELTA && $0.role == "assistant" && $0.itemIndex == 0 })
        #expect(deltas.map(\.text).joined() == WireStreamFixtures.chatText)
        #expect(deltas.count == 14)
    }

    @Test func responsesStreamParsesIdenticallyAtEverySplit() throws {
        let events = try expectSplitInvariant(Array(WireStreamFixtures.responsesStream.utf8))
        #expect(events.count == 19)
        #expect(events.first?.event == "response.created")
        #expect(events.last?.event == "response.completed")
        #expect(events.filter { $0.event == "response.output_text.delta" }.count == 11)
        let all = events.compactMap(\.data).flatMap { segments(ofEventData: $0, api: .responses) }
        let deltas = all.filter { $0.kind == PAB_SEGMENT_DELTA }
        #expect(deltas.count == 11)
        #expect(deltas.map(\.text).joined() == WireStreamFixtures.responsesText)
        // The summary events repeat the full text as OUTPUT segments (output_text.done, content_part.done,
        // output_item.done, response.completed), so a redacting policy sees every copy.
        let outputs = all.filter { $0.kind == PAB_SEGMENT_OUTPUT }
        #expect(outputs.count == 4)
        #expect(outputs.allSatisfy { $0.text == WireStreamFixtures.responsesText })
    }

    @Test(arguments: ["\r\n", "\r"])
    func otherLineEndingsGiveTheSameEvents(_ lineEnding: String) throws {
        for stream in [WireStreamFixtures.chatStream, WireStreamFixtures.responsesStream] {
            let converted = Array(stream.replacing("\n", with: lineEnding).utf8)
            #expect(try expectSplitInvariant(converted) == (try parse(stream)))
        }
    }

    @Test func carriageReturnEndingAChunkAndLineFeedStartingTheNextAreOneLineEnd() throws {
        var parser = SSEParser()
        #expect(try parser.feed(Array("data: a\r".utf8)) == [])
        #expect(try parser.feed(Array("\ndata: b\r".utf8)) == [])
        // An empty chunk between the halves must not lose the pending \r.
        #expect(try parser.feed([]) == [])
        #expect(try parser.feed(Array("\n\r".utf8)) == [SSEEvent(data: "a\nb")])
        // A lone \r then \r: two line ends, the second one a blank line.
        #expect(try parser.feed(Array("data: c\r".utf8)) == [])
        #expect(try parser.feed(Array("\r".utf8)) == [SSEEvent(data: "c")])
        #expect(parser.finish() == nil)
    }

    @Test func fieldParsingFollowsTheSpec() throws {
        let text = """
            event:  spaced
            data:no space
            data
            data:\("")
            id: 42
            retry: 3000
            :comment without space
            : comment with space
            x-custom: value: with colon
            flag
            event: last-wins


            """
        let events = try parse(text)
        #expect(
            events == [
                SSEEvent(
                    event: "last-wins", data: "no space\n\n", id: "42", retry: "3000",
                    comments: ["comment without space", "comment with space"],
                    otherFields: [
                        SSEField(name: "x-custom", value: "value: with colon"), SSEField(name: "flag", value: ""),
                    ])
            ])
        #expect(try parse("event: x\n\n") == [SSEEvent(event: "x")])
        #expect(try parse("\n\n\ndata: a\n\n\n") == [SSEEvent(data: "a")])
    }

    @Test func unfinishedEventIsReturnedByFinish() throws {
        var parser = SSEParser()
        #expect(try parser.feed(Array("data: one\n\ndata: tw".utf8)) == [SSEEvent(data: "one")])
        #expect(parser.finish() == SSEEvent(data: "tw"))
        // finish() resets: the parser starts over.
        #expect(try parser.feed(Array("data: x\n".utf8)) == [])
        #expect(parser.finish() == SSEEvent(data: "x"))
        #expect(parser.finish() == nil)
    }

    @Test func byteOrderMarkIsSkippedOnlyAtTheStart() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let body = Array("data: a\n\n".utf8)
        for split in 0...4 {
            let bytes = bom + body
            #expect(try parse([bytes[..<split], bytes[split...]]) == [SSEEvent(data: "a")])
        }
        // A second BOM is data, and a partial BOM is not swallowed.
        #expect(try parse([ArraySlice(bom + bom + body)]).first?.otherFields.first?.name == "\u{FEFF}data")
        #expect(
            try parse([ArraySlice([0xEF, 0xBB] + Array(":x\n\n".utf8))]) == [
                SSEEvent(otherFields: [SSEField(name: "\u{FFFD}", value: "x")])
            ])
    }

    @Test func eventSizeLimit() throws {
        var parser = SSEParser(maxEventBytes: 64)
        let small = try parser.feed(Array("data: \(String(repeating: "a", count: 50))\n\n".utf8))
        #expect(small.count == 1)
        // A long line spread over chunks fails as soon as the limit is crossed, not when the line ends.
        #expect(throws: SSEParseError(limit: 64, message: "SSE event larger than 64 bytes")) {
            for _ in 0..<10 { _ = try parser.feed(Array(String(repeating: "b", count: 20).utf8)) }
        }
        // Once failed, the parser stays failed.
        #expect(throws: SSEParseError.self) { try parser.feed(Array("\n\n".utf8)) }
        // Many small lines add up too.
        var lines = SSEParser(maxEventBytes: 64)
        #expect(throws: SSEParseError.self) {
            _ = try lines.feed(Array(String(repeating: "data: x\n", count: 9).utf8))
        }
        // Exactly at the limit is fine: "data: " + 57 bytes + "\n" = 64.
        var exact = SSEParser(maxEventBytes: 64)
        #expect(try exact.feed(Array("data: \(String(repeating: "c", count: 57))\n\n".utf8)).count == 1)
    }

    @Test func serializeWritesCanonicalForm() {
        let event = SSEEvent(
            event: "response.output_text.delta", data: "line1\nline2\r\nline3\rline4", id: "7", retry: "1000",
            comments: ["hello", ""], otherFields: [SSEField(name: "x", value: "y")])
        let expected =
            ": hello\n:\nevent: response.output_text.delta\nid: 7\nretry: 1000\nx: y\n"
            + "data: line1\ndata: line2\ndata: line3\ndata: line4\n\n"
        #expect(String(decoding: event.serialize(), as: UTF8.self) == expected)
        #expect(String(decoding: SSEEvent(data: "").serialize(), as: UTF8.self) == "data:\n\n")
        #expect(String(decoding: SSEEvent(data: "a\n").serialize(), as: UTF8.self) == "data: a\ndata:\n\n")
        #expect(String(decoding: SSEEvent(comments: ["ping"]).serialize(), as: UTF8.self) == ": ping\n\n")
        // Line breaks cannot leak out of single-line fields or comments.
        let hostile = SSEEvent(event: "a\nb", data: "d", comments: ["c1\nc2"])
        #expect(String(decoding: hostile.serialize(), as: UTF8.self) == ": c1\n: c2\nevent: a b\ndata: d\n\n")
    }

    @Test func serializeRoundTripsEveryFixtureEvent() throws {
        for stream in [WireStreamFixtures.chatStream, WireStreamFixtures.responsesStream] {
            let events = try parse(stream)
            var wire: [UInt8] = []
            for event in events { event.serialize(into: &wire) }
            #expect(try parse([wire[...]]) == events)
            // The fixtures are already canonical, so serialising reproduces them byte for byte.
            #expect(String(decoding: wire, as: UTF8.self) == stream)
        }
        let odd = "data:  two spaces\n:  comment\nevent:\n\n"
        let events = try parse(odd)
        #expect(try parse([events[0].serialize()[...]]) == events)
    }
}

/// Recorded-style upstream streams (OpenAI wire format) used by the SSE and segment tests.
enum WireStreamFixtures {
    /// A chat completions stream: a keep-alive comment, a role delta, content deltas with non-ASCII text
    /// and escapes, a finish chunk, a usage chunk (empty choices) and the `[DONE]` sentinel.
    static let chatStream = #"""
        : keep-alive

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" How"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" can"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" I"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" help"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" you"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" today"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"? 😊"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" Ça"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" va —"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":" 日本語もOK"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{"content":"\n\n\"quoted\" \\ end"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

        data: {"id":"chatcmpl-AXq7bGvEw9pZ3kT1sN0mLrYcQd8Hj","object":"chat.completion.chunk","created":1732780800,"model":"gpt-4o-mini-2024-07-18","service_tier":"default","system_fingerprint":"fp_0ba0d124f1","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":14,"total_tokens":33,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

        data: [DONE]


        """#

    /// The text the chat stream's deltas add up to.
    static let chatText = "Hello! How can I help you today? 😊 Ça va — 日本語もOK\n\n\"quoted\" \\ end"

    /// A Responses API stream with `event:` names, 11 output_text deltas and the final response.completed.
    static let responsesStream = #"""
        event: response.created
        data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_67ccd2bed1ec8190b14f964abc054267","object":"response","created_at":1741476542,"status":"in_progress","error":null,"incomplete_details":null,"instructions":"Answer briefly.","max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}}

        event: response.in_progress
        data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_67ccd2bed1ec8190b14f964abc054267","object":"response","created_at":1741476542,"status":"in_progress","error":null,"incomplete_details":null,"instructions":"Answer briefly.","max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}}

        event: response.output_item.added
        data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","type":"message","status":"in_progress","role":"assistant","content":[]}}

        event: response.content_part.added
        data: {"type":"response.content_part.added","sequence_number":3,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"part":{"type":"output_text","text":"","annotations":[]}}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":"Sure"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":"!"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":6,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":" Here"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":7,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":" is"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":8,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":" a"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":9,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":" haiku"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":10,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":":\n"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":11,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":"Cherry 🌸 petals"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":12,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":" fall"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":13,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":"—\n"}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":14,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"delta":"\"silence\" \\ speaks"}

        event: response.output_text.done
        data: {"type":"response.output_text.done","sequence_number":15,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"text":"Sure! Here is a haiku:\nCherry 🌸 petals fall—\n\"silence\" \\ speaks"}

        event: response.content_part.done
        data: {"type":"response.content_part.done","sequence_number":16,"item_id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","output_index":0,"content_index":0,"part":{"type":"output_text","text":"Sure! Here is a haiku:\nCherry 🌸 petals fall—\n\"silence\" \\ speaks","annotations":[]}}

        event: response.output_item.done
        data: {"type":"response.output_item.done","sequence_number":17,"output_index":0,"item":{"id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Sure! Here is a haiku:\nCherry 🌸 petals fall—\n\"silence\" \\ speaks","annotations":[]}]}}

        event: response.completed
        data: {"type":"response.completed","sequence_number":18,"response":{"id":"resp_67ccd2bed1ec8190b14f964abc054267","object":"response","created_at":1741476542,"status":"completed","error":null,"incomplete_details":null,"instructions":"Answer briefly.","max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[{"id":"msg_67ccd2bf17f0819081ff3bb2cf6508e6","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Sure! Here is a haiku:\nCherry 🌸 petals fall—\n\"silence\" \\ speaks","annotations":[]}]}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":{"input_tokens":21,"input_tokens_details":{"cached_tokens":0},"output_tokens":18,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":39},"user":null,"metadata":{}}}


        """#

    /// The text the Responses stream's deltas add up to.
    static let responsesText = "Sure! Here is a haiku:\nCherry 🌸 petals fall—\n\"silence\" \\ speaks"
}
