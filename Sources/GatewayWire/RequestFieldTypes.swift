/// Types of the optional request fields the gateway knows, checked before any policy or upstream sees
/// the request: a wrong type that an upstream would refuse anyway is refused here with OpenAI's own
/// wording, and a policy never works on a request the upstream would read differently. `null` is
/// accepted for every optional field, as OpenAI accepts it.
package enum RequestFieldTypes {
    package enum Expected: Sendable {
        case integer, number, boolean, string, object, array
        /// A string or an array of strings (`stop`).
        case stringOrStrings
        /// A string or an object (`tool_choice`).
        case stringOrObject

        package var wording: String {
            switch self {
            case .integer: "an integer"
            case .number: "a number"
            case .boolean: "a boolean"
            case .string: "a string"
            case .object: "an object"
            case .array: "an array"
            case .stringOrStrings: "a string or an array of strings"
            case .stringOrObject: "a string or an object"
            }
        }

        package func accepts(_ value: JSONValue) -> Bool {
            switch self {
            case .integer: value.kind == .number && value.int != nil
            case .number: value.kind == .number
            case .boolean: value.kind == .bool
            case .string: value.kind == .string
            case .object: value.kind == .object
            case .array: value.kind == .array
            case .stringOrStrings:
                value.kind == .string || (value.kind == .array && value.items.allSatisfy { $0.kind == .string })
            case .stringOrObject: value.kind == .string || value.kind == .object
            }
        }
    }

    package static let shared: [(String, Expected)] = [
        ("temperature", .number), ("top_p", .number), ("user", .string), ("metadata", .object), ("store", .boolean),
        ("tools", .array), ("tool_choice", .stringOrObject), ("parallel_tool_calls", .boolean),
        ("stream_options", .object),
    ]

    package static let chat: [(String, Expected)] =
        shared + [
            ("max_tokens", .integer), ("max_completion_tokens", .integer), ("n", .integer), ("seed", .integer),
            ("frequency_penalty", .number), ("presence_penalty", .number), ("stop", .stringOrStrings),
            ("logprobs", .boolean), ("top_logprobs", .integer), ("logit_bias", .object), ("response_format", .object),
        ]

    package static let responses: [(String, Expected)] =
        shared + [
            ("max_output_tokens", .integer), ("instructions", .string), ("previous_response_id", .string),
            ("text", .object), ("reasoning", .object), ("background", .boolean), ("top_logprobs", .integer),
        ]

    package static let embeddings: [(String, Expected)] = [
        ("user", .string), ("dimensions", .integer), ("encoding_format", .string),
    ]

    /// The first known field of `root` with a wrong type, as a validation error; nil when all fit.
    package static func check(_ root: JSONValue, api: WireAPI) -> RequestValidationError? {
        let fields =
            switch api {
            case .chatCompletions: chat
            case .responses: responses
            case .embeddings: embeddings
            }
        for (key, expected) in fields {
            guard let value = root[key], value.kind != .null, !expected.accepts(value) else { continue }
            return invalidType(key, expected: expected.wording, got: value)
        }
        if let tools = root["tools"], tools.kind == .array {
            for (index, tool) in tools.items.enumerated() {
                if let error = checkTool(tool, path: "tools[\(index)]") { return error }
            }
        }
        return nil
    }

    /// A tool is an object with a string `type`; a chat function tool names its function.
    private static func checkTool(_ tool: JSONValue, path: String) -> RequestValidationError? {
        guard tool.kind == .object else { return invalidType(path, expected: "an object", got: tool) }
        guard let type = tool["type"] else { return missing("\(path).type") }
        guard type.kind == .string else { return invalidType("\(path).type", expected: "a string", got: type) }
        if let function = tool["function"] {
            guard function.kind == .object else {
                return invalidType("\(path).function", expected: "an object", got: function)
            }
            guard let name = function["name"] else { return missing("\(path).function.name") }
            guard name.kind == .string else {
                return invalidType("\(path).function.name", expected: "a string", got: name)
            }
        }
        return nil
    }

    /// A content part (chat `content[]`, Responses `content[]`): an object with a string `type`, and when
    /// the type carries text, a string `text`.
    package static func checkPart(_ part: JSONValue, path: String) -> RequestValidationError? {
        guard part.kind == .object else { return invalidType(path, expected: "an object", got: part) }
        guard let type = part["type"] else { return missing("\(path).type") }
        guard type.kind == .string else { return invalidType("\(path).type", expected: "a string", got: type) }
        let textTypes = ["text", "input_text", "output_text"]
        if textTypes.contains(where: type.stringEquals) {
            guard let text = part["text"] else { return missing("\(path).text") }
            guard text.kind == .string else { return invalidType("\(path).text", expected: "a string", got: text) }
        }
        return nil
    }
}
