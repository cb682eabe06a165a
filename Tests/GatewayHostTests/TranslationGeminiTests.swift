import Testing

@testable import GatewayWire

/// Chat completions ↔ Gemini generateContent: requests, answers, streams (split anywhere), errors, and
/// embeddings (batchEmbedContents).
@Suite struct TranslationGeminiTests {
    let translator = GeminiTranslator(now: { 1_700_000_000 })

    // MARK: - Helpers

    func request(_ json: String) throws -> String {
        let bytes = try translator.request(
            JSONDocument(parsing: json), model: "gemini-2.0-flash", settings: TranslationSettings())
        return String(decoding: bytes, as: UTF8.self)
    }

    func requestError(_ json: String) throws -> TranslationError {
        do {
            _ = try translator.request(JSONDocument(parsing: json), model: "m", settings: TranslationSettings())
        } catch let error as TranslationError {
            return error
        }
        Issue.record("expected a TranslationError for \(json)")
        return TranslationError("none")
    }

    func answer(_ json: String) throws -> String {
        String(
            decoding: try translator.response(Array(json.utf8), model: "gemini-2.0-flash", id: "chatcmpl-1"),
            as: UTF8.self)
    }

    func stream(_ pieces: [String], includeUsage: Bool = false) throws -> String {
        var stream = translator.streamTranslator(model: "g", id: "chatcmpl-1", includeUsage: includeUsage)
        var output: [UInt8] = []
        for piece in pieces { output += try stream.feed(Array(piece.utf8)) }
        output += try stream.finish()
        return String(decoding: output, as: UTF8.self)
    }

    static let user = #"{"role":"user","content":"hi"}"#

    // MARK: - Request

    @Test func systemAndDeveloperMessagesBecomeTheSystemInstruction() throws {
        let body = try request(
            #"{"model":"x","messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"No emoji."}]},"#
                + #"{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"again"}]}"#
        )
        #expect(
            body
                == #"{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"text":"hello"}]},"#
                + #"{"role":"user","parts":[{"text":"again"}]}],"systemInstruction":{"parts":[{"text":"Be brief."},{"text":"No emoji."}]}}"#
        )
    }

    @Test func imagesGoInlineOrAsFileData() throws {
        let body = try request(
            #"{"messages":[{"role":"user","content":[{"type":"text","text":"what?"},"#
                + #"{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0K"}},"#
                + #"{"type":"image_url","image_url":{"url":"https://example.com/cat.PNG?x=1"}},"#
                + #"{"type":"image_url","image_url":{"url":"https://example.com/photo"}}]}]}"#)
        #expect(
            body
                == #"{"contents":[{"role":"user","parts":[{"text":"what?"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0K"}},"#
                + #"{"fileData":{"mimeType":"image/png","fileUri":"https://example.com/cat.PNG?x=1"}},"#
                + #"{"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/photo"}}]}]}"#)
        let bad = try requestError(
            #"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}"#)
        #expect(bad.param == "messages[0].content[0].image_url.url")
    }

    @Test func toolCallsAndResultsRoundTrip() throws {
        let body = try request(
            #"{"messages":[{"role":"user","content":"weather?"},"#
                + #"{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}},"#
                + #"{"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]},"#
                + #"{"role":"tool","tool_call_id":"call_a","content":"{\"temp\": 21}"},"#
                + #"{"role":"tool","tool_call_id":"call_b","content":"noon"}]}"#)
        #expect(
            body
                == #"{"contents":[{"role":"user","parts":[{"text":"weather?"}]},"#
                + #"{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"get_time","args":{}}}]},"#
                + #"{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"content":{"temp":21}}}},"#
                + #"{"functionResponse":{"name":"get_time","response":{"content":"noon"}}}]}]}"#)
    }

    @Test func badToolArgumentsAndUnknownToolIDsAreRefusedWithTheirParam() throws {
        let badArgs = try requestError(
            #"{"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]}]}"#
        )
        #expect(badArgs.param == "messages[0].tool_calls[0].function.arguments")
        let unknown = try requestError(#"{"messages":[{"role":"tool","tool_call_id":"nope","content":"x"}]}"#)
        #expect(unknown.param == "messages[0].tool_call_id")
    }

    @Test func toolsLoseTheSchemaKeysGeminiRefuses() throws {
        let body = try request(
            #"{"messages":[\#(Self.user)],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","#
                + ##""parameters":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"##
                + #""properties":{"city":{"type":"string","description":"City"},"unit":{"type":["string","null"],"enum":["c","f"]},"#
                + ##""at":{"$ref":"#/$defs/Time"}},"required":["city"],"$defs":{"Time":{"type":"object","properties":{"h":{"type":"integer"}}}}},"##
                + #""strict":true}},{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}],"#
                + #""tool_choice":{"type":"function","function":{"name":"get_weather"}}}"#)
        #expect(
            body
                == #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"get_weather","description":"Weather","#
                + #""parameters":{"type":"OBJECT","properties":{"city":{"type":"STRING","description":"City"},"unit":{"type":"STRING","enum":["c","f"],"nullable":true},"#
                + #""at":{"type":"OBJECT","properties":{"h":{"type":"INTEGER"}}}},"required":["city"]}},{"name":"now"}]}],"#
                + #""toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["get_weather"]}}}"#)
        let allOf = try requestError(
            #"{"messages":[\#(Self.user)],"tools":[{"type":"function","function":{"name":"f","parameters":{"allOf":[{"type":"object"}]}}}]}"#
        )
        #expect(allOf.param == "tools[0].function.parameters.allOf")
        let recursive = try requestError(
            ##"{"messages":[\##(Self.user)],"tools":[{"type":"function","function":{"name":"f","parameters":{"$ref":"#"}}}]}"##
        )
        #expect(recursive.param == "tools[0].function.parameters.$ref")
    }

    @Test(arguments: [
        (#""auto""#, #"{"mode":"AUTO"}"#), (#""none""#, #"{"mode":"NONE"}"#), (#""required""#, #"{"mode":"ANY"}"#),
        (
            #"{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[{"type":"function","function":{"name":"a"}}]}}"#,
            #"{"mode":"VALIDATED","allowedFunctionNames":["a"]}"#
        ),
    ])
    func toolChoiceMapsToFunctionCallingConfig(choice: String, expected: String) throws {
        let body = try request(#"{"messages":[\#(Self.user)],"tool_choice":\#(choice)}"#)
        #expect(body.contains(#""toolConfig":{"functionCallingConfig":\#(expected)}"#))
    }

    @Test func samplingFieldsGoToGenerationConfig() throws {
        let body = try request(
            #"{"messages":[\#(Self.user)],"temperature":0.25,"top_p":0.9,"max_tokens":10,"max_completion_tokens":77,"stop":"END","n":2,"#
                + #""seed":7,"user":"u-1","stream":true,"stream_options":{"include_usage":true},"response_format":{"type":"json_object"}}"#
        )
        #expect(
            body
                == #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"temperature":0.25,"topP":0.9,"#
                + #""maxOutputTokens":77,"stopSequences":["END"],"candidateCount":2,"seed":7,"responseMimeType":"application/json"}}"#
        )
    }

    @Test func jsonSchemaBecomesResponseSchemaOrIsRefused() throws {
        let body = try request(
            #"{"messages":[\#(Self.user)],"response_format":{"type":"json_schema","json_schema":{"name":"x","strict":true,"#
                + #""schema":{"type":"object","properties":{"a":{"type":"number"}},"additionalProperties":false}}}}"#)
        #expect(
            body.hasSuffix(
                #""generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"a":{"type":"NUMBER"}}}}}"#
            ))
        let refused = try requestError(
            #"{"messages":[\#(Self.user)],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"not":{"type":"string"}}}}}"#
        )
        #expect(refused.param == "response_format.json_schema.schema.not")
    }

    @Test(arguments: ["logit_bias", "logprobs", "audio", "web_search_options", "functions", "something_new"])
    func fieldsThatChangeTheAnswerAreRefused(field: String) throws {
        let value = field == "logprobs" ? "true" : #"{"a":1}"#
        let error = try requestError(#"{"messages":[\#(Self.user)],"\#(field)":\#(value)}"#)
        #expect(error.param == field)
    }

    // MARK: - Answer

    @Test func textAnswerWithUsage() throws {
        let body = try answer(
            #"{"candidates":[{"content":{"role":"model","parts":[{"text":"thinking...","thought":true},{"text":"Hello"},{"text":" there"}]},"#
                + #""finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2,"totalTokenCount":17,"#
                + #""cachedContentTokenCount":3,"thoughtsTokenCount":10},"modelVersion":"gemini-2.0-flash"}"#)
        #expect(
            body
                == #"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gemini-2.0-flash","choices":[{"index":0,"#
                + #""message":{"role":"assistant","content":"Hello there","refusal":null},"logprobs":null,"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":5,"completion_tokens":12,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":3},"#
                + #""completion_tokens_details":{"reasoning_tokens":10}}}"#)
    }

    @Test func functionCallsBecomeToolCalls() throws {
        let body = try answer(
            #"{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city": "Paris"}}},"#
                + #"{"functionCall":{"name":"get_time","args":{}}}]},"finishReason":"STOP"}]}"#)
        #expect(
            body.contains(
                #""message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"call_0","type":"function","#
                    + #""function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_1","type":"function","#
                    + #""function":{"name":"get_time","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}"#
            ))
    }

    @Test(arguments: [
        ("STOP", "stop"), ("MAX_TOKENS", "length"), ("SAFETY", "content_filter"), ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"), ("PROHIBITED_CONTENT", "content_filter"), ("SPII", "content_filter"),
        ("OTHER", "stop"),
    ])
    func finishReasons(gemini: String, openAI: String) throws {
        let body = try answer(#"{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"\#(gemini)"}]}"#)
        #expect(body.contains(#""finish_reason":"\#(openAI)""#))
    }

    @Test func severalCandidatesAndBlockedPrompts() throws {
        let two = try answer(
            #"{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP","index":0},{"content":{"parts":[{"text":"b"}]},"finishReason":"MAX_TOKENS","index":1}]}"#
        )
        #expect(
            two.contains(
                #"{"index":0,"message":{"role":"assistant","content":"a","refusal":null},"logprobs":null,"finish_reason":"stop"}"#
            ))
        #expect(
            two.contains(
                #"{"index":1,"message":{"role":"assistant","content":"b","refusal":null},"logprobs":null,"finish_reason":"length"}"#
            ))
        let blocked = try answer(
            #"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":4,"totalTokenCount":4}}"#)
        #expect(blocked.contains(#""content":"","refusal":null},"logprobs":null,"finish_reason":"content_filter""#))
        #expect(blocked.contains(#""usage":{"prompt_tokens":4,"completion_tokens":0,"total_tokens":4}"#))
        #expect(throws: TranslationError.self) { try answer(#"{"candidates":[]}"#) }
        #expect(throws: TranslationError.self) { try answer("not json") }
    }

    // MARK: - Stream

    static let textStream =
        "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hel\"}],\"role\":\"model\"},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3,\"totalTokenCount\":3}}\r\n\r\n"
        + "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"lo é\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n"
        + "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"!\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],"
        + "\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":4,\"totalTokenCount\":7}}\r\n\r\n"

    static func chunk(_ choice: String) -> String {
        #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"g","choices":[\#(choice)]}"#
            + "\n\n"
    }

    @Test func streamedTextWithUsage() throws {
        let output = try stream([Self.textStream], includeUsage: true)
        let expected =
            Self.chunk(#"{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}"#)
            + Self.chunk(#"{"index":0,"delta":{"content":"Hel"},"logprobs":null,"finish_reason":null}"#)
            + Self.chunk(#"{"index":0,"delta":{"content":"lo é"},"logprobs":null,"finish_reason":null}"#)
            + Self.chunk(#"{"index":0,"delta":{"content":"!"},"logprobs":null,"finish_reason":null}"#)
            + Self.chunk(#"{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}"#)
            + #"data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"g","choices":[],"#
            + #""usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}"# + "\n\n" + "data: [DONE]\n\n"
        #expect(output == expected)
        #expect(!(try stream([Self.textStream])).contains("usage"))
    }

    @Test func streamSplitAnywhereGivesTheSameBytes() throws {
        let whole = try stream([Self.textStream], includeUsage: true)
        let bytes = Array(Self.textStream.utf8)
        var generator = SplitMix64(seed: 0x6E6D_6931)  // StreamCompositionTests.swift
        for _ in 0..<300 {
            var translator = translator.streamTranslator(model: "g", id: "chatcmpl-1", includeUsage: true)
            var output: [UInt8] = []
            var start = 0
            while start < bytes.count {
                let length = Int(generator.next() % 9) + (generator.next() % 4 == 0 ? 40 : 0)
                let end = min(bytes.count, start + length)
                output += try translator.feed(Array(bytes[start..<end]))
                start = end
            }
            output += try translator.finish()
            #expect(String(decoding: output, as: UTF8.self) == whole)
        }
    }

    @Test func streamedFunctionCalls() throws {
        let output = try stream([
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}}}],\"role\":\"model\"},\"finishReason\":\"STOP\"}]}\r\n\r\n"
        ])
        #expect(
            output
                == Self.chunk(
                    #"{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}"#)
                + Self.chunk(
                    #"{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_0","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"logprobs":null,"finish_reason":null}"#
                )
                + Self.chunk(#"{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}"#)
                + "data: [DONE]\n\n")
    }

    @Test func cutStreamsAndErrorEventsThrow() throws {
        let first = String(Self.textStream.split(separator: "\r\n\r\n")[0]) + "\r\n\r\n"
        #expect(throws: TranslationError.self) { try stream([first]) }
        #expect(throws: TranslationError.self) { try stream([]) }
        #expect(throws: TranslationError.self) {
            try stream([first, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"te"])
        }
        #expect(throws: TranslationError.self) {
            try stream([
                first, "data: {\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}\r\n\r\n",
            ])
        }
        // The last event without its blank line (the connection closed right after it) still counts.
        let unterminated = String(decoding: Self.textStream.utf8.dropLast(4), as: UTF8.self)  // "\r\n" is one Character
        #expect(try stream([unterminated]) == (try stream([Self.textStream])))
    }

    @Test func blockedPromptInAStream() throws {
        let output = try stream(["data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"}}\r\n\r\n"])
        #expect(output.contains(#""finish_reason":"content_filter""#))
        #expect(output.hasSuffix("data: [DONE]\n\n"))
    }

    // MARK: - Errors

    @Test func googleErrorsMapToOpenAIErrors() {
        func map(_ status: Int, _ body: String) -> TranslatedError {
            translator.error(status: status, body: Array(body.utf8))
        }
        let badKey = map(
            400,
            #"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","#
                + #""details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}"#
        )
        #expect(
            badKey
                == TranslatedError(
                    status: 401, type: "authentication_error", code: "invalid_api_key",
                    message: "API key not valid. Please pass a valid API key."))
        #expect(
            map(400, #"{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT"}}"#)
                == TranslatedError(status: 400, type: "invalid_request_error", code: "invalid_argument", message: "bad")
        )
        #expect(
            map(403, #"{"error":{"code":403,"message":"no","status":"PERMISSION_DENIED"}}"#).type == "permission_error")
        #expect(
            map(404, #"{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}"#).type
                == "not_found_error")
        #expect(
            map(429, #"[{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}]"#)
                == TranslatedError(status: 429, type: "rate_limit_error", code: "resource_exhausted", message: "quota"))
        #expect(map(500, #"{"error":{"code":500,"message":"internal","status":"INTERNAL"}}"#).type == "server_error")
        #expect(map(503, #"{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}"#).status == 503)
        let opaque = map(502, "<html>bad gateway</html>")
        #expect(opaque.status == 502 && opaque.type == "server_error" && opaque.message.contains("bad gateway"))
    }

    // MARK: - Embeddings

    @Test func embeddingsRequest() throws {
        let embeddings = GeminiEmbeddings()
        let body = try embeddings.request(
            JSONDocument(
                parsing: #"{"model":"gem-embed","input":["a","b c"],"dimensions":4,"encoding_format":"base64"}"#),
            model: "text-embedding-004")
        #expect(
            String(decoding: body, as: UTF8.self)
                == #"{"requests":[{"model":"models/text-embedding-004","content":{"parts":[{"text":"a"}]},"outputDimensionality":4},"#
                + #"{"model":"models/text-embedding-004","content":{"parts":[{"text":"b c"}]},"outputDimensionality":4}]}"#
        )
        let single = try embeddings.request(JSONDocument(parsing: #"{"input":"x"}"#), model: "models/e")
        #expect(
            String(decoding: single, as: UTF8.self)
                == #"{"requests":[{"model":"models/e","content":{"parts":[{"text":"x"}]}}]}"#)
        for bad in [
            #"{"input":[1,2]}"#, #"{"input":[[1]]}"#, #"{"input":[]}"#, #"{"input":"x","encoding_format":"int8"}"#,
            #"{"input":"x","extra":1}"#,
        ] {
            #expect(throws: TranslationError.self) { try embeddings.request(JSONDocument(parsing: bad), model: "e") }
        }
    }

    @Test func embeddingsAnswerAsFloatsOrBase64() throws {
        let embeddings = GeminiEmbeddings()
        let gemini = Array(#"{"embeddings":[{"values":[1.0,-2.5]},{"values":[0.5, 0]}]}"#.utf8)
        let floats = try embeddings.response(
            gemini, model: "text-embedding-004", request: JSONDocument(parsing: #"{"input":["hello","world"]}"#))
        #expect(
            String(decoding: floats, as: UTF8.self)
                == #"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1.0,-2.5]},{"object":"embedding","index":1,"embedding":[0.5,0]}],"#
                + #""model":"text-embedding-004","usage":{"prompt_tokens":2,"total_tokens":2}}"#)
        let base64 = try embeddings.response(
            gemini, model: "e",
            request: JSONDocument(parsing: #"{"input":["hello","world"],"encoding_format":"base64"}"#))
        // 1.0f = 00 00 80 3F, -2.5f = 00 00 20 C0 (little-endian)
        #expect(String(decoding: base64, as: UTF8.self).contains(#""embedding":"AACAPwAAIMA=""#))
        #expect(
            GeminiEmbeddings.base64(Array("Man".utf8)) == "TWFu" && GeminiEmbeddings.base64(Array("Ma".utf8)) == "TWE=")
        #expect(throws: TranslationError.self) { try embeddings.response(Array("{}".utf8), model: "e") }
    }
}
