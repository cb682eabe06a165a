import Testing

@testable import GatewayWire

// MARK: - Helpers

/// CRC32 (IEEE 802.3, zlib's), bit-reflected table form: a reference for the tests only; the gateway
/// passes zlib's `crc32` to the translator.
private let crcTable: [UInt32] = (0..<256).map { index in
    var crc = UInt32(index)
    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    return crc
}

@Sendable private func referenceCRC32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

private func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.bigEndian) { Array($0) }
}

/// One header as the event-stream encodes it.
private func encodeHeader(_ header: EventStreamHeader) -> [UInt8] {
    var bytes = [UInt8(header.name.utf8.count)] + Array(header.name.utf8)
    switch header.value {
    case .bool(let flag): bytes.append(flag ? 0 : 1)
    case .byte(let value): bytes += [2] + bigEndian(value)
    case .short(let value): bytes += [3] + bigEndian(value)
    case .integer(let value): bytes += [4] + bigEndian(value)
    case .long(let value): bytes += [5] + bigEndian(value)
    case .byteArray(let value): bytes += [6] + bigEndian(UInt16(value.count)) + value
    case .string(let text): bytes += [7] + bigEndian(UInt16(text.utf8.count)) + Array(text.utf8)
    case .timestamp(let milliseconds): bytes += [8] + bigEndian(milliseconds)
    case .uuid(let value): bytes += [9] + value
    }
    return bytes
}

/// One event-stream message, CRCs included.
private func frame(_ headers: [EventStreamHeader], _ payload: [UInt8]) -> [UInt8] {
    let headerBytes = headers.flatMap(encodeHeader)
    let prelude = bigEndian(UInt32(16 + headerBytes.count + payload.count)) + bigEndian(UInt32(headerBytes.count))
    let message = prelude + bigEndian(referenceCRC32(prelude)) + headerBytes + payload
    return message + bigEndian(referenceCRC32(message))
}

/// A ConverseStream event frame, with the headers Bedrock sends.
private func event(_ type: String, _ payload: String) -> [UInt8] {
    frame(
        [
            EventStreamHeader(name: ":event-type", value: .string(type)),
            EventStreamHeader(name: ":content-type", value: .string("application/json")),
            EventStreamHeader(name: ":message-type", value: .string("event")),
        ], Array(payload.utf8))
}

private func exceptionFrame(_ type: String, _ message: String) -> [UInt8] {
    frame(
        [
            EventStreamHeader(name: ":exception-type", value: .string(type)),
            EventStreamHeader(name: ":content-type", value: .string("application/json")),
            EventStreamHeader(name: ":message-type", value: .string("exception")),
        ], Array(#"{"message":"\#(message)"}"#.utf8))
}

private let translator = BedrockTranslator(crc32: referenceCRC32)

private func bedrockRequest(_ json: String) throws -> String {
    let document = try JSONDocument(parsing: json)
    return String(
        decoding: try translator.request(
            document, model: "anthropic.claude-test-v1:0", settings: TranslationSettings()),
        as: UTF8.self)
}

/// The error the request translation throws (nil when it succeeds).
private func requestError(_ json: String) throws -> TranslationError? {
    let document = try JSONDocument(parsing: json)
    do throws(TranslationError) {
        _ = try translator.request(document, model: "m", settings: TranslationSettings())
        return nil
    } catch {
        return error
    }
}

private func openAIAnswer(_ converse: String) throws -> String {
    String(decoding: try translator.response(Array(converse.utf8), model: "br-test", id: "chatcmpl-1"), as: UTF8.self)
}

/// Feeds `chunks` and finishes; the translated bytes as text.
private func translateStream(_ chunks: [[UInt8]], includeUsage: Bool = false) throws(TranslationError) -> String {
    var stream = translator.streamTranslator(model: "br-test", id: "chatcmpl-1", includeUsage: includeUsage)
    var output: [UInt8] = []
    for chunk in chunks { output += try stream.feed(chunk) }
    output += try stream.finish()
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

/// What an OpenAI SDK reassembles from the chunks.
private struct Reassembled: Equatable {
    var role: String?
    var text = ""
    var tools: [Int: [String]] = [:]
    var finishReason: String?
    var usage: [Int] = []
    var done = false
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
        let root = try JSONDocument(parsing: data).root
        #expect(root["object"]?.string == "chat.completion.chunk")
        #expect(root["id"]?.string == "chatcmpl-1")
        if let usage = root["usage"], usage.kind == .object {
            result.usage = ["prompt_tokens", "completion_tokens", "total_tokens"].map { usage[$0]?.int ?? -1 }
            result.usage.append(usage["prompt_tokens_details"]?["cached_tokens"]?.int ?? -1)
        }
        for choice in root["choices"]?.items ?? JSONChildren(parent: root, stride: 1) {
            let delta = choice["delta"]
            if let role = delta?["role"]?.string { result.role = role }
            result.text += delta?["content"]?.string ?? ""
            for call in delta?["tool_calls"]?.items ?? JSONChildren(parent: root, stride: 1) {
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

/// SplitMix64: a seeded generator so the random splits are the same on every run.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `bytes` cut at `count` random offsets (empty pieces included).
private func randomSplit(_ bytes: [UInt8], pieces count: Int, using generator: inout SplitMix) -> [[UInt8]] {
    let cuts = (0..<count).map { _ in Int.random(in: 0...bytes.count, using: &generator) }.sorted()
    var chunks: [[UInt8]] = []
    var start = 0
    for cut in cuts + [bytes.count] {
        chunks.append(Array(bytes[start..<cut]))
        start = cut
    }
    return chunks
}

private enum Streams {
    /// Text, with Bedrock's `p` padding field on some events; usage after messageStop.
    static let text: [UInt8] =
        event("messageStart", #"{"p":"abcdefghijk","role":"assistant"}"#)
        + event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"Héllo"},"p":"abc"}"#)
        + event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":", \"wörld\"\n"}}"#)
        + event("contentBlockStop", #"{"contentBlockIndex":0}"#)
        + event("messageStop", #"{"stopReason":"end_turn"}"#)
        + event(
            "metadata",
            #"{"usage":{"inputTokens":25,"outputTokens":15,"totalTokens":55,"cacheReadInputTokens":10,"cacheWriteInputTokens":5},"metrics":{"latencyMs":120}}"#
        )

    static let tools: [UInt8] =
        event("messageStart", #"{"role":"assistant"}"#)
        + event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"Checking."}}"#)
        + event("contentBlockStop", #"{"contentBlockIndex":0}"#)
        + event(
            "contentBlockStart",
            #"{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_01","name":"get_weather"}}}"#)
        + event("contentBlockDelta", #"{"contentBlockIndex":1,"delta":{"toolUse":{"input":""}}}"#)
        + event("contentBlockDelta", #"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"city\": \"Pa"}}}"#)
        + event("contentBlockDelta", #"{"contentBlockIndex":1,"delta":{"toolUse":{"input":"ris\"}"}}}"#)
        + event("contentBlockStop", #"{"contentBlockIndex":1}"#)
        + event(
            "contentBlockStart",
            #"{"contentBlockIndex":2,"start":{"toolUse":{"toolUseId":"tooluse_02","name":"get_time"}}}"#)
        + event("contentBlockDelta", #"{"contentBlockIndex":2,"delta":{"toolUse":{"input":"{}"}}}"#)
        + event("contentBlockStop", #"{"contentBlockIndex":2}"#)
        + event("messageStop", #"{"stopReason":"tool_use"}"#)
        + event(
            "metadata", #"{"usage":{"inputTokens":40,"outputTokens":30,"totalTokens":70},"metrics":{"latencyMs":9}}"#)
}

// MARK: - Requests

@Suite struct BedrockRequestTests {
    @Test func messagesSystemAndInferenceConfig() throws {
        let body = try bedrockRequest(
            #"""
            {"model":"gpt-4o","messages":[
              {"role":"system","content":"Be terse."},
              {"role":"user","content":"Hi"},
              {"role":"developer","content":[{"type":"text","text":"Use French."}]},
              {"role":"user","content":[{"type":"text","text":"Bonjour"},{"type":"text","text":""}]},
              {"role":"assistant","content":"Salut"},
              {"role":"user","content":"Ça va?"}],
             "max_tokens":100,"max_completion_tokens":50,"temperature":0.25,"top_p":1,"stop":"END",
             "user":"u-1","stream":true,"stream_options":{"include_usage":true},"seed":7}
            """#)
        #expect(
            body
                == #"{"messages":[{"role":"user","content":[{"text":"Hi"},{"text":"Bonjour"}]},"#
                + #"{"role":"assistant","content":[{"text":"Salut"}]},{"role":"user","content":[{"text":"Ça va?"}]}],"#
                + #""system":[{"text":"Be terse."},{"text":"Use French."}],"#
                + #""inferenceConfig":{"maxTokens":50,"temperature":0.25,"topP":1,"stopSequences":["END"]}}"#)
    }

    @Test func nothingOptionalMeansNoInferenceConfigAndNoSystem() throws {
        #expect(
            try bedrockRequest(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":["", "x"]}"#)
                == #"{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"stopSequences":["x"]}}"#
        )
        #expect(
            try bedrockRequest(#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":null}"#)
                == #"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#)
    }

    @Test func imagesAsBytes() throws {
        let body = try bedrockRequest(
            #"""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"text","text":"What is it?"},
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
              {"type":"image_url","image_url":{"url":"data:image/jpg;base64,/9j/4AAQ"}},
              {"type":"image_url","image_url":{"url":"DATA:image/WEBP;BASE64,UklGRg=="}},
              {"type":"image_url","image_url":{"url":"data:image/gif;name=a.gif;base64,R0lGOD"}}]}]}
            """#)
        #expect(
            body
                == #"{"messages":[{"role":"user","content":[{"text":"What is it?"},"#
                + #"{"image":{"format":"png","source":{"bytes":"iVBORw0KGgo="}}},"#
                + #"{"image":{"format":"jpeg","source":{"bytes":"/9j/4AAQ"}}},"#
                + #"{"image":{"format":"webp","source":{"bytes":"UklGRg=="}}},"#
                + #"{"image":{"format":"gif","source":{"bytes":"R0lGOD"}}}]}]}"#)
    }

    @Test func imagesConverseCannotTakeAreRefused() throws {
        let url = try requestError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}"#
        )
        #expect(url?.param == "messages[0].content[0].image_url.url")
        #expect(url?.message.contains("base64 data URL") == true)
        let bmp = try requestError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0="}}]}]}"#
        )
        #expect(bmp?.message.contains("png, jpeg, gif or webp") == true)
        let notBase64 = try requestError(
            #"{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}"#
        )
        #expect(notBase64?.message.contains("base64") == true)
    }

    @Test func toolCallsAndResults() throws {
        let body = try bedrockRequest(
            #"""
            {"model":"m","messages":[
              {"role":"user","content":"Weather and time in Paris?"},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\", \"n\": 1.50}"}},
                {"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}}]},
              {"role":"tool","tool_call_id":"call_1","content":"{\"temp\": 21}"},
              {"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"12:00"}]},
              {"role":"user","content":"Thanks"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}},
                      {"type":"function","function":{"name":"get_time","description":""}}],
             "tool_choice":"auto","parallel_tool_calls":true}
            """#)
        #expect(
            body
                == #"{"messages":[{"role":"user","content":[{"text":"Weather and time in Paris?"}]},"#
                + #"{"role":"assistant","content":[{"toolUse":{"toolUseId":"call_1","name":"get_weather","input":{"city":"Paris","n":1.50}}},"#
                + #"{"toolUse":{"toolUseId":"call_2","name":"get_time","input":{}}}]},"#
                + #"{"role":"user","content":[{"toolResult":{"toolUseId":"call_1","content":[{"text":"{\"temp\": 21}"}]}},"#
                + #"{"toolResult":{"toolUseId":"call_2","content":[{"text":"12:00"}]}},{"text":"Thanks"}]}],"#
                + #""toolConfig":{"tools":[{"toolSpec":{"name":"get_weather","description":"Weather","inputSchema":{"json":{"type":"object","properties":{"city":{"type":"string"}}}}}},"#
                + #"{"toolSpec":{"name":"get_time","inputSchema":{"json":{"type":"object","properties":{}}}}}],"toolChoice":{"auto":{}}}}"#
        )
    }

    @Test func toolChoices() throws {
        let tools = #""tools":[{"type":"function","function":{"name":"f"}}]"#
        let spec = #"{"tools":[{"toolSpec":{"name":"f","inputSchema":{"json":{"type":"object","properties":{}}}}}]"#
        func config(_ choice: String, history: Bool = false) throws -> String {
            let messages =
                history
                ? #"[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}]"#
                : #"[{"role":"user","content":"q"}]"#
            let body = try bedrockRequest(#"{"model":"m","messages":\#(messages),\#(tools)\#(choice)}"#)
            guard let range = body.firstRange(of: #","toolConfig":"#) else { return "none" }
            return String(body[range.upperBound...].dropLast())
        }
        #expect(try config("") == spec + "}")
        #expect(try config(#","tool_choice":"required""#) == spec + #","toolChoice":{"any":{}}}"#)
        #expect(
            try config(#","tool_choice":{"type":"function","function":{"name":"f"}}"#)
                == spec + #","toolChoice":{"tool":{"name":"f"}}}"#)
        // `none`: no toolConfig at all, unless the conversation's tool blocks make Converse require one.
        #expect(try config(#","tool_choice":"none""#) == "none")
        #expect(try config(#","tool_choice":"none""#, history: true) == spec + "}")
        #expect(
            try requestError(#"{"model":"m","messages":[],\#(tools),"tool_choice":"sometimes"}"#)?.param
                == "tool_choice")
    }

    @Test func unsupportedFieldsAreRefused() throws {
        let base = #""model":"m","messages":[{"role":"user","content":"hi"}]"#
        #expect(try requestError("{\(base),\"n\":2}")?.param == "n")
        #expect(try requestError("{\(base),\"n\":1}") == nil)
        #expect(try requestError("{\(base),\"logprobs\":true}")?.param == "logprobs")
        #expect(try requestError("{\(base),\"presence_penalty\":0.5}")?.param == "presence_penalty")
        #expect(
            try requestError("{\(base),\"response_format\":{\"type\":\"json_object\"}}")?.param == "response_format")
        #expect(try requestError("{\(base),\"response_format\":{\"type\":\"text\"}}") == nil)
        #expect(try requestError("{\(base),\"top_k\":5}")?.param == "top_k")
        #expect(try requestError("{\(base),\"max_tokens\":0}")?.param == "max_tokens")
        #expect(try requestError("{\(base),\"temperature\":\"hot\"}")?.param == "temperature")
        #expect(
            try requestError(#"{"model":"m","messages":[{"role":"function","name":"f","content":"x"}]}"#)?.param
                == "messages[0].role")
        #expect(
            try requestError(
                #"{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}"#
            )?.param == "messages[0].tool_calls[0].function.arguments")
    }
}

// MARK: - Answers and errors

@Suite struct BedrockResponseTests {
    @Test func textAnswerWithUsage() throws {
        let answer = try openAIAnswer(
            #"{"output":{"message":{"role":"assistant","content":[{"text":"Hello"},{"reasoningContent":{"reasoningText":{"text":"hm"}}},{"text":" there"}]}},"stopReason":"end_turn","usage":{"inputTokens":12,"outputTokens":3,"totalTokens":20,"cacheReadInputTokens":4,"cacheWriteInputTokens":1},"metrics":{"latencyMs":5}}"#
        )
        #expect(
            answer
                == #"{"id":"chatcmpl-1","object":"chat.completion","created":0,"model":"br-test","choices":[{"index":0,"#
                + #""message":{"role":"assistant","content":"Hello there","refusal":null},"logprobs":null,"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":17,"completion_tokens":3,"total_tokens":20,"prompt_tokens_details":{"cached_tokens":4}}}"#
        )
    }

    @Test func toolUseAnswer() throws {
        let answer = try openAIAnswer(
            #"{"output":{"message":{"role":"assistant","content":[{"toolUse":{"toolUseId":"tooluse_1","name":"get_weather","input":{ "city" : "Paris" }}}]}},"stopReason":"tool_use","usage":{"inputTokens":5,"outputTokens":2,"totalTokens":7},"metrics":{"latencyMs":5}}"#
        )
        let root = try JSONDocument(parsing: answer).root
        let message = root["choices"]?[0]?["message"]
        #expect(message?["content"]?.isNull == true)
        #expect(message?["tool_calls"]?[0]?["id"]?.string == "tooluse_1")
        #expect(message?["tool_calls"]?[0]?["function"]?["name"]?.string == "get_weather")
        #expect(message?["tool_calls"]?[0]?["function"]?["arguments"]?.string == #"{"city":"Paris"}"#)
        #expect(root["choices"]?[0]?["finish_reason"]?.string == "tool_calls")
    }

    @Test func finishReasons() {
        let cases: [(String?, String?)] = [
            ("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"),
            ("model_context_window_exceeded", "length"), ("tool_use", "tool_calls"),
            ("guardrail_intervened", "content_filter"), ("content_filtered", "content_filter"),
            ("malformed_tool_use", "stop"), ("something_new", "stop"), (nil, nil),
        ]
        for (reason, expected) in cases {
            let json = BedrockResponse.finishReason(reason)
            if case .string(let text) = json { #expect(text == expected) } else { #expect(expected == nil) }
        }
    }

    @Test func notAnAnswer() {
        for body in [#"{"message":"Malformed input request"}"#, "not json", #"{"output":{}}"#] {
            #expect(throws: TranslationError.self) { _ = try openAIAnswer(body) }
        }
    }

    @Test func errorsByStatus() {
        func translated(_ status: Int, _ body: String, type: String? = nil) -> TranslatedError {
            BedrockErrors.translate(status: status, body: Array(body.utf8), errorType: type)
        }
        #expect(
            translator.error(status: 400, body: Array(#"{"message":"Malformed input request"}"#.utf8))
                == TranslatedError(
                    status: 400, type: "invalid_request_error", code: nil, message: "Malformed input request"))
        #expect(
            translated(429, #"{"message":"Too many requests, please wait before trying again."}"#)
                == TranslatedError(
                    status: 429, type: "rate_limit_error", code: "rate_limit_exceeded",
                    message: "Too many requests, please wait before trying again."))
        #expect(translated(429, "{}", type: "ModelNotReadyException:http://internal").code == "model_not_ready")
        #expect(
            translated(403, #"{"message":"You don't have access to the model with the specified model ID."}"#).type
                == "permission_error")
        #expect(
            translated(403, #"{"message":"The security token included in the request is invalid."}"#)
                == TranslatedError(
                    status: 403, type: "authentication_error", code: "invalid_api_key",
                    message: "The security token included in the request is invalid."))
        #expect(
            translated(403, #"{"Message":"x","__type":"com.amazon.coral.service#AccessDeniedException"}"#).type
                == "permission_error")
        #expect(translated(404, #"{"message":"Model not found"}"#).code == "model_not_found")
        #expect(translated(408, #"{"message":"Model timeout"}"#).type == "server_error")
        let modelError = translated(424, #"{"message":"Model failed","originalStatusCode":500}"#)
        #expect(modelError.status == 502 && modelError.code == "model_error")
        #expect(translated(500, #"{"message":"Internal"}"#).type == "server_error")
        #expect(translated(503, #"{"message":"Unavailable"}"#).code == "service_unavailable")
        #expect(translated(400, "{}", type: "ServiceQuotaExceededException").code == "service_quota_exceeded")
        let html = translated(502, "<html>Bad Gateway</html>")
        #expect(html.status == 502 && html.message == "Bedrock answered HTTP 502: <html>Bad Gateway</html>")
        #expect(translated(302, "").status == 502)
    }
}

// MARK: - Event stream framing

@Suite struct EventStreamDecoderTests {
    @Test func everyHeaderTypeRoundTrips() throws {
        let headers = [
            EventStreamHeader(name: "t", value: .bool(true)), EventStreamHeader(name: "f", value: .bool(false)),
            EventStreamHeader(name: "b", value: .byte(-2)), EventStreamHeader(name: "s", value: .short(-300)),
            EventStreamHeader(name: "i", value: .integer(-70000)),
            EventStreamHeader(name: "l", value: .long(-5_000_000_000)),
            EventStreamHeader(name: "ba", value: .byteArray([0, 1, 255])),
            EventStreamHeader(name: "str", value: .string("héllo")),
            EventStreamHeader(name: "ts", value: .timestamp(milliseconds: 1_718_886_896_000)),
            EventStreamHeader(name: "u", value: .uuid(Array(0..<16))),
        ]
        var decoder = EventStreamDecoder(crc32: referenceCRC32)
        let messages = try decoder.feed(frame(headers, Array("payload".utf8)) + frame([], []))
        #expect(
            messages == [
                EventStreamMessage(headers: headers, payload: Array("payload".utf8)),
                EventStreamMessage(headers: [], payload: []),
            ])
        #expect(messages[0].stringHeader("str") == "héllo")
        #expect(messages[0].stringHeader("ts") == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func splitAnywhereGivesTheSameMessages() throws {
        var whole = EventStreamDecoder(crc32: referenceCRC32)
        let expected = try whole.feed(Streams.tools)
        #expect(expected.count == 13)
        var generator = SplitMix(state: 14)
        for round in 0..<200 {
            var decoder = EventStreamDecoder(crc32: referenceCRC32)
            var messages: [EventStreamMessage] = []
            let pieces =
                round < 20
                ? Streams.tools.map { [$0] } : randomSplit(Streams.tools, pieces: round % 40, using: &generator)
            for piece in pieces { messages += try decoder.feed(piece) }
            #expect(messages == expected)
            #expect(decoder.bufferedByteCount == 0)
        }
    }

    @Test func corruptedFramesAreRefused() throws {
        let good = event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"hi"}}"#)
        var preludeBroken = good
        preludeBroken[9] ^= 0x01  // the prelude CRC
        var payloadBroken = good
        payloadBroken[good.count - 10] ^= 0x20  // a payload byte: only the message CRC sees it
        var lengthBroken = good
        lengthBroken[3] &+= 1  // the total length: the prelude CRC sees it
        for (bytes, expected) in [
            (preludeBroken, "prelude CRC"), (payloadBroken, "message CRC"), (lengthBroken, "prelude CRC"),
        ] {
            var decoder = EventStreamDecoder(crc32: referenceCRC32)
            #expect(throws: EventStreamError.self) { _ = try decoder.feed(bytes) }
            do {
                _ = try decoder.feed(bytes)
            } catch {
                #expect(error.message.contains(expected))
            }
            // A failed decoder stays failed, even for good bytes.
            #expect(throws: EventStreamError.self) { _ = try decoder.feed(good) }
        }
    }

    @Test func oversizedAndImpossibleFramesAreRefusedFromThePrelude() throws {
        func prelude(total: UInt32, headers: UInt32) -> [UInt8] {
            let head = bigEndian(total) + bigEndian(headers)
            return head + bigEndian(referenceCRC32(head))
        }
        var decoder = EventStreamDecoder(crc32: referenceCRC32)
        do {
            _ = try decoder.feed(prelude(total: 16 * 1024 * 1024 + 1, headers: 0))
            Issue.record("a 16 MiB + 1 frame was accepted")
        } catch {
            #expect(error.message.contains("exceeds"))
        }
        var exact = EventStreamDecoder(crc32: referenceCRC32)
        #expect(try exact.feed(prelude(total: 16 * 1024 * 1024, headers: 0)).isEmpty)  // waits for the rest
        for (total, headers) in [(UInt32(15), UInt32(0)), (32, 17)] {
            var impossible = EventStreamDecoder(crc32: referenceCRC32)
            #expect(throws: EventStreamError.self) { _ = try impossible.feed(prelude(total: total, headers: headers)) }
        }
    }

    @Test func malformedHeadersAreRefused() {
        // A header claiming type 10, and a string header running past its block.
        for block in [[1, UInt8(ascii: "x"), 10], [1, UInt8(ascii: "x"), 7, 0, 9, UInt8(ascii: "a")]] as [[UInt8]] {
            let prelude = bigEndian(UInt32(16 + block.count)) + bigEndian(UInt32(block.count))
            let message = prelude + bigEndian(referenceCRC32(prelude)) + block
            var decoder = EventStreamDecoder(crc32: referenceCRC32)
            #expect(throws: EventStreamError.self) {
                _ = try decoder.feed(message + bigEndian(referenceCRC32(message)))
            }
        }
    }
}

// MARK: - Streams

@Suite struct BedrockStreamTests {
    @Test func textStreamExactChunks() throws {
        let output = try translateStream([Streams.text], includeUsage: true)
        let header = #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":0,"model":"br-test","#
        #expect(
            output
                == "data: " + header
                + #""choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}"#
                + "\n\ndata: " + header
                + #""choices":[{"index":0,"delta":{"content":"Héllo"},"logprobs":null,"finish_reason":null}],"usage":null}"#
                + "\n\ndata: " + header
                + #""choices":[{"index":0,"delta":{"content":", \"wörld\"\n"},"logprobs":null,"finish_reason":null}],"usage":null}"#
                + "\n\ndata: " + header
                + #""choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"#
                + "\n\ndata: " + header
                + #""choices":[],"usage":{"prompt_tokens":40,"completion_tokens":15,"total_tokens":55,"prompt_tokens_details":{"cached_tokens":10}}}"#
                + "\n\ndata: [DONE]\n\n")
    }

    @Test func textStreamWithoutUsage() throws {
        let output = try translateStream([Streams.text])
        #expect(!output.contains("usage"))
        let result = try reassemble(output)
        #expect(result.role == "assistant" && result.text == "Héllo, \"wörld\"\n" && result.finishReason == "stop")
        #expect(result.done && result.usage.isEmpty)
    }

    @Test func toolStreamReassembles() throws {
        let result = try reassemble(try translateStream([Streams.tools], includeUsage: true))
        #expect(result.text == "Checking.")
        #expect(result.tools[0] == ["tooluse_01", "get_weather", #"{"city": "Paris"}"#])
        #expect(result.tools[1] == ["tooluse_02", "get_time", "{}"])
        #expect(result.finishReason == "tool_calls")
        #expect(result.usage == [40, 30, 70, 0])
        #expect(result.done)
    }

    @Test func randomSplitsGiveTheSameBytes() throws {
        var generator = SplitMix(state: 2024)
        for stream in [Streams.text, Streams.tools] {
            let expected = try translateStream([stream], includeUsage: true)
            for round in 0..<150 {
                let pieces = randomSplit(stream, pieces: 1 + round % 60, using: &generator)
                #expect(try translateStream(pieces, includeUsage: true) == expected)
            }
            #expect(try translateStream(stream.map { [$0] }, includeUsage: true) == expected)
        }
    }

    @Test func exceptionFramesThrow() {
        let throttled =
            event("messageStart", #"{"role":"assistant"}"#)
            + exceptionFrame("throttlingException", "Too many tokens, please wait before trying again.")
        let error = streamError([throttled])
        #expect(error?.message.contains("throttlingException") == true)
        #expect(error?.message.contains("Too many tokens") == true)
        let generic = frame(
            [
                EventStreamHeader(name: ":message-type", value: .string("error")),
                EventStreamHeader(name: ":error-code", value: .string("InternalFailure")),
                EventStreamHeader(name: ":error-message", value: .string("boom")),
            ], [])
        #expect(streamError([generic])?.message.contains("InternalFailure") == true)
        #expect(streamError([event("messageStart", "{not json")]) != nil)
    }

    @Test func cutStreamsThrow() {
        // Cut before messageStop, and inside a frame.
        let beforeStop = Array(
            Streams.text.prefix(
                upTo: Streams.text.count - event("messageStop", #"{"stopReason":"end_turn"}"#).count
                    - event(
                        "metadata",
                        #"{"usage":{"inputTokens":25,"outputTokens":15,"totalTokens":55,"cacheReadInputTokens":10,"cacheWriteInputTokens":5},"metrics":{"latencyMs":120}}"#
                    ).count))
        #expect(streamError([beforeStop])?.message.contains("messageStop") == true)
        #expect(streamError([Array(Streams.text.dropLast(3))])?.message.contains("inside a message") == true)
        #expect(streamError([]) != nil)
    }

    @Test func messageStopWithoutMetadataStillCompletes() throws {
        let stream =
            event("messageStart", #"{"role":"assistant"}"#)
            + event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"ok"}}"#)
            + event("messageStop", #"{"stopReason":"max_tokens"}"#)
        let result = try reassemble(try translateStream([stream], includeUsage: true))
        #expect(result.text == "ok" && result.finishReason == "length" && result.done)
        #expect(result.usage == [0, 0, 0, 0])
    }

    @Test func corruptedFrameFailsTheStream() {
        var broken = Streams.text
        broken[broken.count / 2] ^= 0xFF
        #expect(streamError([broken])?.message.contains("CRC") == true)
    }

    @Test func nothingAfterDone() throws {
        let stream = Streams.text + event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"late"}}"#)
        let output = try translateStream([stream])
        #expect(!output.contains("late"))
        #expect(output.hasSuffix("data: [DONE]\n\n"))
    }
}
