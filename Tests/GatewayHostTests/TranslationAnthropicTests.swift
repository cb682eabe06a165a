import Testing

@testable import GatewayWire

// MARK: - Helpers

private func anthropicRequest(_ json: String, settings: TranslationSettings = TranslationSettings()) throws
    -> String
{
    let document = try JSONDocument(parsing: json)
    return String(
        decoding: try AnthropicTranslator().request(document, model: "claude-test", settings: settings), as: UTF8.self)
}

/// The error the request translation throws (nil when it succeeds).
private func requestError(_ json: String) throws -> TranslationError? {
    let document = try JSONDocument(parsing: json)
    do throws(TranslationError) {
        _ = try AnthropicTranslator().request(document, model: "claude-test", settings: TranslationSettings())
        return nil
    } catch {
        return error
    }
}

private func openAIAnswer(_ anthropic: String) throws -> String {
    String(
        decoding: try AnthropicTranslator().response(Array(anthropic.utf8), model: "claude-test", id: "chatcmpl-1"),
        as: UTF8.self)
}

/// One `event:` + `data:` block of Anthropic's stream.
private func sse(_ event: String, _ data: String) -> String { "event: \(event)\ndata: \(data)\n\n" }

/// Feeds `chunks` and finishes; the translated bytes as text.
private func translateStream(_ chunks: [[UInt8]], includeUsage: Bool = false) throws(TranslationError) -> String {
    var translator = AnthropicTranslator().streamTranslator(
        model: "claude-test", id: "chatcmpl-1", includeUsage: includeUsage)
    var output: [UInt8] = []
    for chunk in chunks { output += try translator.feed(chunk) }
    output += try translator.finish()
    return String(decoding: output, as: UTF8.self)
}

private func streamError(_ chunks: [[UInt8]]) -> TranslationError? {
    do throws(TranslationError) {
        _ = try translateStream(chunks)
        return nil
    } catch {
        return error
    }
}

/// What an OpenAI SDK reassembles from the chunks: text, tool calls (index → id, name, arguments), the
/// finish reason, the usage chunk's figures, and whether `[DONE]` ended it.
private struct Reassembled: Equatable {
    var role: String?
    var text = ""
    var tools: [Int: [String]] = [:]
    var finishReason: String?
    var usage: [Int] = []
    var done = false
    var chunks = 0
}

private func reassemble(_ sse: String) throws -> Reassembled {
    var result = Reassembled()
    var parser = SSEParser()
    for event in try parser.feed(Array(sse.utf8)) {
        guard let data = event.data else { continue }
        #expect(!result.done, "an event after [DONE]")
        if data == Array("[DONE]".utf8) {
            result.done = true
            continue
        }
        result.chunks += 1
        let root = try JSONDocument(parsing: data).root
        #expect(root["object"]?.string == "chat.completion.chunk")
        #expect(root["id"]?.string == "chatcmpl-1")
        if let usage = root["usage"], usage.kind == .object {
            result.usage = ["prompt_tokens", "completion_tokens", "total_tokens"].map { usage[$0]?.int ?? -1 }
            result.usage.append(usage["prompt_tokens_details"]?["cached_tokens"]?.int ?? -1)
        }
        for choice in root["choices"]?.items ?? JSONValue.emptyItems(root) {
            let delta = choice["delta"]
            if let role = delta?["role"]?.string { result.role = role }
            result.text += delta?["content"]?.string ?? ""
            for call in delta?["tool_calls"]?.items ?? JSONValue.emptyItems(root) {
                let index = call["index"]?.int ?? -1
                var entry = result.tools[index] ?? ["", "", ""]
                if let id = call["id"]?.string { entry[0] = id }
                if let name = call["function"]?["name"]?.string { entry[1] = name }
                entry[2] += call["function"]?["arguments"]?.string ?? ""
                result.tools[index] = entry
            }
            if let reason = choice["finish_reason"]?.string { result.finishReason = reason }
        }
    }
    return result
}

extension JSONValue {
    /// An empty item sequence (the items of a non-array).
    fileprivate static func emptyItems(_ any: JSONValue) -> JSONChildren { JSONChildren(parent: any, stride: 1) }
}

private func occurrences(of needle: String, in text: String) -> Int {
    let bytes = Array(text.utf8)
    let pattern = Array(needle.utf8)
    guard bytes.count >= pattern.count else { return 0 }
    return (0...(bytes.count - pattern.count)).filter { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }.count
}

/// SplitMix64: a seeded generator so the random splits are the same on every run.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `bytes` cut at `count` random offsets.
private func randomSplit(_ bytes: [UInt8], pieces count: Int, using generator: inout SeededGenerator) -> [[UInt8]] {
    let cuts = (0..<count).map { _ in Int.random(in: 0...bytes.count, using: &generator) }.sorted()
    var chunks: [[UInt8]] = []
    var start = 0
    for cut in cuts + [bytes.count] {
        chunks.append(Array(bytes[start..<cut]))
        start = cut
    }
    return chunks
}

private enum Fixtures {
    static let textStream =
        sse(
            "message_start",
            #"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-test","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_read_input_tokens":10,"cache_creation_input_tokens":5,"output_tokens":1}}}"#
        )
        + sse(
            "content_block_start",
            #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)
        + sse("ping", #"{"type": "ping"}"#)
        + sse(
            "content_block_delta",
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Héllo"}}"#)
        + sse(
            "content_block_delta",
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", \"wörld\"\n"}}"#)
        + sse("content_block_stop", #"{"type":"content_block_stop","index":0}"#)
        + sse(
            "message_delta",
            #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#
        )
        + sse("message_stop", #"{"type":"message_stop"}"#)

    static let toolStream =
        sse(
            "message_start",
            #"{"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","content":[],"model":"claude-test","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":40,"output_tokens":1}}}"#
        )
        + sse(
            "content_block_start",
            #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)
        + sse(
            "content_block_delta",
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking."}}"#)
        + sse("content_block_stop", #"{"type":"content_block_stop","index":0}"#)
        + sse(
            "content_block_start",
            #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}"#
        )
        + sse(
            "content_block_delta",
            #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#)
        + sse(
            "content_block_delta",
            #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}}"#
        )
        + sse(
            "content_block_delta",
            #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}}"#)
        + sse("content_block_stop", #"{"type":"content_block_stop","index":1}"#)
        + sse(
            "content_block_start",
            #"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}}"#
        )
        + sse(
            "content_block_delta",
            #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#)
        + sse("content_block_stop", #"{"type":"content_block_stop","index":2}"#)
        + sse(
            "message_delta",
            #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":30}}"#
        )
        + sse("message_stop", #"{"type":"message_stop"}"#)
}

// MARK: - Requests

@Suite struct TranslationAnthropicRequestTests {
    @Test func minimalRequestUsesTargetModelAndDefaultMaxTokens() throws {
        let body = try anthropicRequest(
            #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#,
            settings: TranslationSettings(defaultMaxTokens: 1024))
        #expect(body == #"{"model":"claude-test","messages":[{"role":"user","content":"hi"}],"max_tokens":1024}"#)
    }

    @Test func systemAndDeveloperMessagesBecomeTheSystemField() throws {
        let body = try anthropicRequest(
            #"{"model":"m","messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"a"},"#
                + #"{"role":"developer","content":[{"type":"text","text":"Answer in French."}]},"#
                + #"{"role":"assistant","content":"b"},{"role":"user","content":"c"}]}"#)
        #expect(
            body
                == #"{"model":"claude-test","system":"Be terse.\n\nAnswer in French.","messages":[{"role":"user","content":"a"},"#
                + #"{"role":"assistant","content":"b"},{"role":"user","content":"c"}],"max_tokens":4096}"#)
    }

    @Test func samplingFieldsStopUserAndStreamAreMapped() throws {
        let body = try anthropicRequest(
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.25,"top_p":0.9,"#
                + #""stop":["END","\n\n"],"user":"user-42","stream":true,"stream_options":{"include_usage":true},"#
                + #""max_tokens":50,"max_completion_tokens":77,"seed":7,"n":1,"store":false}"#)
        #expect(
            body
                == #"{"model":"claude-test","messages":[{"role":"user","content":"x"}],"max_tokens":77,"#
                + #""stop_sequences":["END","\n\n"],"temperature":0.25,"top_p":0.9,"metadata":{"user_id":"user-42"},"stream":true}"#
        )
        let single = try anthropicRequest(
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"stop":"STOP","max_tokens":5,"stream":false}"#)
        #expect(
            single
                == #"{"model":"claude-test","messages":[{"role":"user","content":"x"}],"max_tokens":5,"stop_sequences":["STOP"]}"#
        )
    }

    @Test func imagesBecomeBase64OrURLSources() throws {
        let body = try anthropicRequest(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},"#
                + #"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},"#
                + #"{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}}]}]}"#)
        #expect(
            body
                == #"{"model":"claude-test","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},"#
                + #"{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},"#
                + #"{"type":"image","source":{"type":"url","url":"https://example.com/cat.jpg"}}]}],"max_tokens":4096}"#
        )
    }

    @Test func badImagesAndUnsupportedPartsAreRefusedWithTheirParam() throws {
        let notBase64 = try requestError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}"#
        )
        #expect(notBase64?.param == "messages[0].content[0].image_url.url")
        let notImage = try requestError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:application/pdf;base64,JVBER"}}]}]}"#
        )
        #expect(notImage?.param == "messages[0].content[0].image_url.url")
        let ftp = try requestError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}"#
        )
        #expect(ftp?.param == "messages[0].content[0].image_url.url")
        let audio = try requestError(
            #"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}"#
        )
        #expect(audio?.param == "messages[1].content[0]")
        #expect(audio?.message.contains("audio") == true)
        let file = try requestError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"f"}}]}]}"#)
        #expect(file?.param == "messages[0].content[0]")
    }

    @Test func toolCallsAndResultsAlternateAsAnthropicRequires() throws {
        let body = try anthropicRequest(
            #"{"model":"m","messages":[{"role":"user","content":"Weather in Paris and Rome?"},"#
                + #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\", \"n\": 1.50}"}},"#
                + #"{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},"#
                + #"{"role":"tool","tool_call_id":"call_1","content":"18C"},"#
                + #"{"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"21C"}]},"#
                + #"{"role":"user","content":"Thanks"}]}"#)
        #expect(
            body
                == #"{"model":"claude-test","messages":[{"role":"user","content":"Weather in Paris and Rome?"},"#
                + #"{"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris","n":1.50}},"#
                + #"{"type":"tool_use","id":"call_2","name":"get_weather","input":{"city":"Rome"}}]},"#
                + #"{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"18C"},"#
                + #"{"type":"tool_result","tool_use_id":"call_2","content":"21C"},{"type":"text","text":"Thanks"}]}],"max_tokens":4096}"#
        )
    }

    @Test func consecutiveSameRoleMessagesMergeAndEmptyTextIsDropped() throws {
        let body = try anthropicRequest(
            #"{"model":"m","messages":[{"role":"user","content":"one"},{"role":"user","content":[{"type":"text","text":"two"},{"type":"text","text":""}]},"#
                + #"{"role":"assistant","content":"","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":""}}]}]}"#
        )
        #expect(
            body
                == #"{"model":"claude-test","messages":[{"role":"user","content":[{"type":"text","text":"one"},{"type":"text","text":"two"}]},"#
                + #"{"role":"assistant","content":[{"type":"tool_use","id":"c","name":"f","input":{}}]}],"max_tokens":4096}"#
        )
    }

    @Test func invalidToolArgumentsAreRefused() throws {
        let broken = try requestError(
            #"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]}]}"#
        )
        #expect(broken?.param == "messages[0].tool_calls[0].function.arguments")
        let array = try requestError(
            #"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}"#
        )
        #expect(array?.param == "messages[0].tool_calls[0].function.arguments")
    }

    @Test func toolsAndToolChoiceAreMapped() throws {
        let tools =
            #""tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}},"#
            + #"{"type":"function","function":{"name":"now"}}]"#
        let prefix = #"{"model":"m","messages":[{"role":"user","content":"x"}],"# + tools
        let expectedTools =
            #""tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},"#
            + #"{"name":"now","input_schema":{"type":"object","properties":{}}}]"#
        let expectedPrefix =
            #"{"model":"claude-test","messages":[{"role":"user","content":"x"}],"max_tokens":4096,"# + expectedTools
        #expect(try anthropicRequest(prefix + "}") == expectedPrefix + "}")
        let choices: [(String, String)] = [
            (#""auto""#, #"{"type":"auto"}"#), (#""required""#, #"{"type":"any"}"#), (#""none""#, #"{"type":"none"}"#),
            (#"{"type":"function","function":{"name":"now"}}"#, #"{"type":"tool","name":"now"}"#),
        ]
        for (choice, expected) in choices {
            #expect(
                try anthropicRequest(prefix + #","tool_choice":"# + choice + "}") == expectedPrefix
                    + #","tool_choice":"# + expected + "}")
        }
        #expect(
            try anthropicRequest(prefix + #","parallel_tool_calls":false}"#)
                == expectedPrefix + #","tool_choice":{"type":"auto","disable_parallel_tool_use":true}}"#)
        #expect(
            try anthropicRequest(prefix + #","tool_choice":"required","parallel_tool_calls":false}"#)
                == expectedPrefix + #","tool_choice":{"type":"any","disable_parallel_tool_use":true}}"#)
        #expect(try anthropicRequest(prefix + #","parallel_tool_calls":true}"#) == expectedPrefix + "}")
        // Without tools there is nothing to choose from.
        #expect(
            try anthropicRequest(
                #"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[],"tool_choice":"auto"}"#)
                == #"{"model":"claude-test","messages":[{"role":"user","content":"x"}],"max_tokens":4096}"#)
        let custom = try requestError(
            #"{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","custom":{"name":"x"}}]}"#
        )
        #expect(custom?.param == "tools[0].type")
    }

    @Test func fieldsAnthropicCannotHonourAreRefused() throws {
        let base = #"{"model":"m","messages":[{"role":"user","content":"x"}],"#
        let refused: [(String, String)] = [
            (#""n":2"#, "n"), (#""logprobs":true"#, "logprobs"), (#""top_logprobs":3"#, "top_logprobs"),
            (#""logit_bias":{"50256":-100}"#, "logit_bias"), (#""frequency_penalty":0.5"#, "frequency_penalty"),
            (#""presence_penalty":-1"#, "presence_penalty"),
            (#""response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}}"#, "response_format"),
            (#""response_format":{"type":"json_object"}"#, "response_format"),
            (#""modalities":["text","audio"]"#, "modalities"), (#""audio":{"voice":"alloy","format":"wav"}"#, "audio"),
            (#""web_search_options":{}"#, "web_search_options"), (#""functions":[]"#, "functions"),
            (#""max_tokens":0"#, "max_tokens"), (#""made_up_field":1"#, "made_up_field"),
        ]
        for (field, param) in refused {
            let error = try requestError(base + field + "}")
            #expect(error?.param == param, "\(field)")
            #expect(error.map { !$0.message.isEmpty } == true)
        }
        let accepted = [
            #""n":1"#, #""logprobs":false"#, #""frequency_penalty":0"#, #""presence_penalty":null"#,
            #""response_format":{"type":"text"}"#, #""logit_bias":{}"#, #""seed":1"#, #""metadata":{"a":"b"}"#,
            #""modalities":["text"]"#, #""reasoning_effort":"low""#, #""service_tier":"auto""#,
        ]
        for field in accepted { #expect(try requestError(base + field + "}") == nil, "\(field)") }
    }

    @Test func malformedMessagesAreRefused() throws {
        #expect(try requestError(#"{"model":"m"}"#)?.param == "messages")
        #expect(
            try requestError(#"{"model":"m","messages":[{"role":"wizard","content":"x"}]}"#)?.param
                == "messages[0].role")
        #expect(try requestError(#"{"model":"m","messages":[{"role":"user"}]}"#)?.param == "messages[0].content")
        #expect(
            try requestError(#"{"model":"m","messages":[{"role":"tool","content":"x"}]}"#)?.param
                == "messages[0].tool_call_id")
        #expect(
            try requestError(#"{"model":"m","messages":[{"role":"function","name":"f","content":"x"}]}"#)?.param
                == "messages[0].role")
    }
}

// MARK: - Answers

@Suite struct TranslationAnthropicResponseTests {
    @Test func textAnswerWithCacheUsage() throws {
        let answer = try openAIAnswer(
            #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","content":[{"type":"text","text":"Hello"},{"type":"text","text":" there"}],"#
                + #""stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":3,"cache_read_input_tokens":20,"output_tokens":5}}"#
        )
        #expect(
            answer
                == #"{"id":"chatcmpl-1","object":"chat.completion","created":0,"model":"claude-test","choices":[{"index":0,"#
                + #""message":{"role":"assistant","content":"Hello there","refusal":null},"logprobs":null,"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":33,"completion_tokens":5,"total_tokens":38,"prompt_tokens_details":{"cached_tokens":20}}}"#
        )
    }

    @Test func toolUseAnswer() throws {
        let answer = try openAIAnswer(
            #"{"id":"msg_1","type":"message","role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"},"#
                + #"{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{ "city" : "Paris", "days": [1, 2] }}],"#
                + #""stop_reason":"tool_use","usage":{"input_tokens":7,"output_tokens":9}}"#)
        #expect(
            answer
                == #"{"id":"chatcmpl-1","object":"chat.completion","created":0,"model":"claude-test","choices":[{"index":0,"#
                + #""message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"toolu_1","type":"function","#
                + #""function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"days\":[1,2]}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"#
                + #""usage":{"prompt_tokens":7,"completion_tokens":9,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":0}}}"#
        )
    }

    @Test func stopReasonsMapToFinishReasons() throws {
        let cases = [
            ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("tool_use", "tool_calls"),
            ("refusal", "content_filter"), ("pause_turn", "stop"), ("model_context_window_exceeded", "length"),
        ]
        for (stop, finish) in cases {
            let answer = try openAIAnswer(
                #"{"type":"message","content":[{"type":"text","text":"x"}],"stop_reason":""# + stop
                    + #"","usage":{"input_tokens":1,"output_tokens":1}}"#)
            #expect(answer.contains(#""finish_reason":""# + finish + #"""#), "\(stop)")
        }
    }

    @Test func unreadableAnswersThrow() {
        for body in [
            "not json", #"{"type":"error","error":{"type":"api_error","message":"boom"}}"#, #"{"type":"message"}"#,
        ] {
            #expect(throws: TranslationError.self) { try openAIAnswer(body) }
        }
    }
}

// MARK: - Streams

@Suite struct TranslationAnthropicStreamTests {
    @Test func textStreamTranslatesToChunks() throws {
        let output = try translateStream([Array(Fixtures.textStream.utf8)])
        let head =
            #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":0,"model":"claude-test","choices":[{"index":0,"delta":"#
        #expect(
            output
                == "data: " + head + #"{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#
                + "\n\n"
                + "data: " + head + #"{"content":"Héllo"},"logprobs":null,"finish_reason":null}]}"# + "\n\n"
                + "data: " + head + #"{"content":", \"wörld\"\n"},"logprobs":null,"finish_reason":null}]}"# + "\n\n"
                + "data: " + head + #"{},"logprobs":null,"finish_reason":"stop"}]}"# + "\n\n"
                + "data: [DONE]\n\n")
    }

    @Test func usageChunkComesLastWhenAskedFor() throws {
        let result = try reassemble(translateStream([Array(Fixtures.textStream.utf8)], includeUsage: true))
        #expect(result.role == "assistant")
        #expect(result.text == "Héllo, \"wörld\"\n")
        #expect(result.finishReason == "stop")
        #expect(result.usage == [40, 15, 55, 10])
        #expect(result.done)
        let output = try translateStream([Array(Fixtures.textStream.utf8)], includeUsage: true)
        #expect(output.contains(#""choices":[],"usage":{"prompt_tokens":40"#))
        #expect(occurrences(of: #""usage":null"#, in: output) == 4)  // every chunk before the usage one
    }

    @Test func toolStreamReassemblesCalls() throws {
        let result = try reassemble(translateStream([Array(Fixtures.toolStream.utf8)]))
        #expect(result.text == "Checking.")
        #expect(result.tools[0] == ["toolu_01", "get_weather", #"{"city": "Paris"}"#])
        #expect(result.tools[1] == ["toolu_02", "get_time", "{}"])
        #expect(result.finishReason == "tool_calls")
        #expect(result.done)
        let output = try translateStream([Array(Fixtures.toolStream.utf8)])
        #expect(
            output.contains(
                #""delta":{"tool_calls":[{"index":0,"id":"toolu_01","type":"function","function":{"name":"get_weather","arguments":""}}]}"#
            ))
    }

    @Test func everySplitOfTheProviderBytesGivesTheSameOutput() throws {
        for fixture in [
            Fixtures.textStream, Fixtures.toolStream,
            Fixtures.textStream.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n"),
        ] {
            let bytes = Array(fixture.utf8)
            let whole = try translateStream([bytes], includeUsage: true)
            // Every two-piece split (UTF-8 sequences and \r\n pairs cut included), then one byte at a time.
            for cut in 0...bytes.count {
                #expect(try translateStream([Array(bytes[..<cut]), Array(bytes[cut...])], includeUsage: true) == whole)
            }
            #expect(try translateStream(bytes.map { [$0] }, includeUsage: true) == whole)
            var generator = SeededGenerator(state: 0x5EED)
            for round in 0..<200 {
                let chunks = randomSplit(bytes, pieces: 1 + round % 40, using: &generator)
                #expect(try translateStream(chunks, includeUsage: true) == whole, "round \(round)")
            }
        }
    }

    @Test func errorEventThrowsWithItsMessage() {
        let stream =
            sse(
                "message_start",
                #"{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"usage":{"input_tokens":1,"output_tokens":0}}}"#
            )
            + sse("error", #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#)
        let error = streamError([Array(stream.utf8)])
        #expect(error?.message.contains("Overloaded") == true)
        #expect(error?.message.contains("overloaded_error") == true)
    }

    @Test func cutStreamThrowsAtFinish() throws {
        let full = Array(Fixtures.textStream.utf8)
        let stopEvent = Array(sse("message_stop", #"{"type":"message_stop"}"#).utf8)
        let withoutStop = Array(full.dropLast(stopEvent.count))
        var translator = AnthropicStreamTranslator(model: "claude-test", id: "chatcmpl-1", includeUsage: false)
        let partial = String(decoding: try translator.feed(withoutStop), as: UTF8.self)
        #expect(partial.contains("Héllo"))
        #expect(!partial.contains("[DONE]"))
        #expect(throws: TranslationError.self) { try translator.finish() }
        // Cut in the middle of an event's data line.
        #expect(streamError([Array(full.prefix(full.count / 2))]) != nil)
        // The last event without its closing blank line is still whole.
        let output = try translateStream([Array(full.dropLast(1))])
        #expect(output.hasSuffix("data: [DONE]\n\n"))
        // Nothing at all.
        #expect(streamError([]) != nil)
    }

    @Test func malformedDataThrowsAndUnknownEventsAreSkipped() throws {
        #expect(streamError([Array("event: message_start\ndata: {nope\n\n".utf8)]) != nil)
        let stream =
            ": keep-alive\n\n" + sse("brand_new_event", #"{"type":"brand_new_event","x":1}"#)
            + sse(
                "content_block_start",
                #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#)
            + sse(
                "content_block_delta",
                #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#)
            + sse(
                "content_block_delta",
                #"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"ok"}}"#)
            + sse(
                "message_delta",
                #"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":3}}"#)
            + sse("message_stop", #"{"type":"message_stop"}"#)
            + sse("ping", #"{"type":"ping"}"#)
        let result = try reassemble(translateStream([Array(stream.utf8)]))
        #expect(result.role == "assistant")  // sent before the first content even without message_start
        #expect(result.text == "ok")
        #expect(result.finishReason == "length")
        #expect(result.chunks == 3)
    }
}

// MARK: - Errors

@Suite struct TranslationAnthropicErrorTests {
    private func translated(_ status: Int, _ type: String, _ message: String = "msg") -> TranslatedError {
        AnthropicTranslator().error(
            status: status,
            body: Array(
                #"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"},"request_id":"req_1"}"#.utf8))
    }

    @Test func anthropicErrorTypesMapToOpenAIShapes() {
        let cases: [(Int, String, TranslatedError)] = [
            (
                400, "invalid_request_error",
                TranslatedError(status: 400, type: "invalid_request_error", code: nil, message: "msg")
            ),
            (
                401, "authentication_error",
                TranslatedError(status: 401, type: "authentication_error", code: "invalid_api_key", message: "msg")
            ),
            (
                403, "permission_error",
                TranslatedError(status: 403, type: "permission_error", code: nil, message: "msg")
            ),
            (
                404, "not_found_error",
                TranslatedError(status: 404, type: "not_found_error", code: "model_not_found", message: "msg")
            ),
            (
                413, "request_too_large",
                TranslatedError(status: 413, type: "invalid_request_error", code: "request_too_large", message: "msg")
            ),
            (
                429, "rate_limit_error",
                TranslatedError(status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", message: "msg")
            ),
            (500, "api_error", TranslatedError(status: 500, type: "server_error", code: nil, message: "msg")),
            (
                529, "overloaded_error",
                TranslatedError(status: 503, type: "server_error", code: "overloaded", message: "msg")
            ),
            (
                402, "billing_error",
                TranslatedError(status: 402, type: "insufficient_quota", code: "billing_error", message: "msg")
            ),
            (504, "timeout_error", TranslatedError(status: 504, type: "server_error", code: "timeout", message: "msg")),
            (
                409, "conflict_error",
                TranslatedError(status: 409, type: "invalid_request_error", code: "conflict_error", message: "msg")
            ),
            // A 200 carrying an error body gets the type's own status.
            (
                200, "rate_limit_error",
                TranslatedError(status: 429, type: "rate_limit_error", code: "rate_limit_exceeded", message: "msg")
            ),
        ]
        for (status, type, expected) in cases { #expect(translated(status, type) == expected, "\(type)") }
    }

    @Test func unreadableErrorBodiesKeepTheStatusClass() {
        let translator = AnthropicTranslator()
        let gateway = translator.error(status: 502, body: Array("<html>Bad Gateway</html>\n".utf8))
        #expect(
            gateway
                == TranslatedError(
                    status: 502, type: "server_error", code: nil,
                    message: "Anthropic answered HTTP 502: <html>Bad Gateway</html>"))
        let overloaded = translator.error(status: 529, body: [])
        #expect(
            overloaded
                == TranslatedError(
                    status: 503, type: "server_error", code: "overloaded", message: "Anthropic answered HTTP 529"))
        #expect(translator.error(status: 429, body: Array("{}".utf8)).type == "rate_limit_error")
        let long = translator.error(status: 400, body: Array(String(repeating: "x", count: 1000).utf8))
        #expect(long.type == "invalid_request_error")
        #expect(long.message.count < 260)
    }
}
