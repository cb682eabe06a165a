import Testing

@testable import GatewayCore
@testable import GatewayWire

/// A request body and the validation error it must produce (nil: accepted).
struct ValidationCase: CustomTestStringConvertible, Sendable {
    let name: String
    let api: WireAPI
    let body: String
    let param: String?
    let code: String?
    let message: String?

    init(_ name: String, _ api: WireAPI, _ body: String, param: String?, code: String?, message: String? = nil) {
        self.name = name
        self.api = api
        self.body = body
        self.param = param
        self.code = code
        self.message = message
    }

    static func valid(_ name: String, _ api: WireAPI, _ body: String) -> ValidationCase {
        ValidationCase(name, api, body, param: nil, code: nil)
    }

    var testDescription: String { name }
}

let validationCases: [ValidationCase] = [
    ValidationCase(
        "max_tokens is a string", .chatCompletions,
        #"{"model":"m","max_tokens":"lots","messages":[{"role":"user","content":"a"}]}"#, param: "max_tokens",
        code: "invalid_type", message: "Invalid type for 'max_tokens': expected an integer, but got a string instead."),
    ValidationCase(
        "content part type is a number", .chatCompletions,
        #"{"model":"m","messages":[{"role":"user","content":[{"type":7}]}]}"#, param: "messages[0].content[0].type",
        code: "invalid_type"),
    ValidationCase(
        "stop is a list with a number", .chatCompletions,
        #"{"model":"m","stop":["a",1],"messages":[{"role":"user","content":"a"}]}"#, param: "stop",
        code: "invalid_type"),
    .valid(
        "known fields of the right types, nulls included", .chatCompletions,
        #"{"model":"m","max_tokens":10,"temperature":0.5,"stop":null,"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"auto","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:,"}}]}]}"#
    ),
    ValidationCase(
        "responses max_output_tokens is a string", .responses, #"{"model":"m","input":"x","max_output_tokens":"x"}"#,
        param: "max_output_tokens", code: "invalid_type"),
    ValidationCase(
        "responses input text part without text", .responses,
        #"{"model":"m","input":[{"role":"user","content":[{"type":"input_text"}]}]}"#,
        param: "input[0].content[0].text", code: "missing_required_parameter"),
    ValidationCase(
        "body is an array", .chatCompletions, "[]", param: nil, code: "invalid_type",
        message: "The request body must be a JSON object, but got an array instead."),
    ValidationCase(
        "missing model", .chatCompletions, #"{"messages":[{"role":"user","content":"x"}]}"#, param: "model",
        code: "missing_required_parameter", message: "Missing required parameter: 'model'."),
    ValidationCase(
        "model is a number", .chatCompletions, #"{"model":5,"messages":[]}"#, param: "model", code: "invalid_type",
        message: "Invalid type for 'model': expected a string, but got an integer instead."),
    ValidationCase(
        "missing messages", .chatCompletions, #"{"model":"m"}"#, param: "messages", code: "missing_required_parameter"),
    ValidationCase(
        "messages is a string", .chatCompletions, #"{"model":"m","messages":"hi"}"#, param: "messages",
        code: "invalid_type", message: "Invalid type for 'messages': expected an array, but got a string instead."),
    ValidationCase(
        "messages is empty", .chatCompletions, #"{"model":"m","messages":[]}"#, param: "messages", code: "empty_array"),
    ValidationCase(
        "message is not an object", .chatCompletions, #"{"model":"m","messages":[{"role":"user","content":"a"},1.5]}"#,
        param: "messages[1]", code: "invalid_type",
        message: "Invalid type for 'messages[1]': expected an object, but got a decimal instead."),
    ValidationCase(
        "missing role", .chatCompletions, #"{"model":"m","messages":[{"content":"a"}]}"#, param: "messages[0].role",
        code: "missing_required_parameter"),
    ValidationCase(
        "role is not a string", .chatCompletions, #"{"model":"m","messages":[{"role":null,"content":"a"}]}"#,
        param: "messages[0].role", code: "invalid_type"),
    ValidationCase(
        "unknown role", .chatCompletions,
        #"{"model":"m","messages":[{"role":"user","content":"a"},{"role":"tool","content":"b"},{"role":"robot","content":"c"}]}"#,
        param: "messages[2].role", code: "invalid_value",
        message: "Invalid value: 'robot'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', "
            + "and 'function'."),
    ValidationCase(
        "content is a number", .chatCompletions, #"{"model":"m","messages":[{"role":"user","content":7}]}"#,
        param: "messages[0].content", code: "invalid_type",
        message: "Invalid type for 'messages[0].content': expected one of a string, an array of content parts or "
            + "null, but got an integer instead."),
    ValidationCase(
        "user message without content", .chatCompletions, #"{"model":"m","messages":[{"role":"user"}]}"#,
        param: "messages[0].content", code: "missing_required_parameter"),
    ValidationCase(
        "content part is not an object", .chatCompletions,
        #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},"b"]}]}"#,
        param: "messages[0].content[1]", code: "invalid_type"),
    ValidationCase(
        "stream is a string", .chatCompletions,
        #"{"model":"m","stream":"yes","messages":[{"role":"user","content":"a"}]}"#, param: "stream",
        code: "invalid_type", message: "Invalid type for 'stream': expected a boolean, but got a string instead."),
    ValidationCase.valid(
        "valid chat with every role and content shape", .chatCompletions,
        #"""
        {"model":"m","stream":true,"messages":[
          {"role":"system","content":"s"},{"role":"developer","content":"d"},
          {"role":"user","content":[{"type":"text","text":"u"}]},
          {"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},
          {"role":"assistant","content":null},{"role":"tool","tool_call_id":"c","content":"r"},
          {"role":"function","name":"f","content":"r"}]}
        """#),
    ValidationCase.valid(
        "stream null is allowed", .chatCompletions,
        #"{"model":"m","stream":null,"messages":[{"role":"user","content":"a"}]}"#),
    ValidationCase(
        "responses without input", .responses, #"{"model":"m","instructions":"x"}"#, param: "input",
        code: "missing_required_parameter", message: "Missing required parameter: 'input'."),
    ValidationCase(
        "responses input is a number", .responses, #"{"model":"m","input":1}"#, param: "input", code: "invalid_type",
        message: "Invalid type for 'input': expected a string or an array of input items, but got an integer instead."),
    ValidationCase(
        "responses input item is not an object", .responses,
        #"{"model":"m","input":[{"role":"user","content":"a"},"b"]}"#,
        param: "input[1]", code: "invalid_type"),
    ValidationCase(
        "responses model missing", .responses, #"{"input":"hi"}"#, param: "model", code: "missing_required_parameter"),
    ValidationCase(
        "responses stream is a number", .responses, #"{"model":"m","input":"hi","stream":1}"#, param: "stream",
        code: "invalid_type"),
    ValidationCase.valid("responses string input", .responses, #"{"model":"m","input":"hi","stream":false}"#),
    ValidationCase.valid(
        "responses item input", .responses,
        #"{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}]}"#),
]

@Suite struct WireRequestValidationTests {
    @Test(arguments: validationCases)
    func validates(_ testCase: ValidationCase) throws {
        let error = validateRequest(try JSONDocument(parsing: testCase.body), api: testCase.api)
        #expect(error?.param == testCase.param)
        #expect(error?.code == testCase.code)
        if let message = testCase.message {
            #expect(error?.message == message)
        }
    }

    @Test func longInvalidRoleIsShortenedInTheMessage() throws {
        let role = String(repeating: "r", count: 500)
        let body = #"{"model":"m","messages":[{"role":"\#(role)","content":"a"}]}"#
        let error = try #require(validateRequest(try JSONDocument(parsing: body), api: .chatCompletions))
        #expect(error.message.hasPrefix("Invalid value: '" + String(repeating: "r", count: 64) + "...'."))
    }

    @Test func modelAndStreamExtraction() throws {
        let streaming = try JSONDocument(parsing: #"{"model":"gpt-4o","stream":true}"#)
        #expect(requestModel(in: streaming) == "gpt-4o")
        #expect(requestStream(in: streaming))
        let plain = try JSONDocument(parsing: #"{"model":5}"#)
        #expect(requestModel(in: plain) == nil)
        #expect(!requestStream(in: plain))
        #expect(!requestStream(in: try JSONDocument(parsing: #"{"stream":false}"#)))
        #expect(!requestStream(in: try JSONDocument(parsing: #"{"stream":null}"#)))
        #expect(requestModel(in: try JSONDocument(parsing: #"{"model":"a","model":"b"}"#)) == "b")
    }
}
