/// A request the gateway refuses before any policy or upstream sees it. The server answers it as HTTP
/// 400 (as OpenAI does, so the SDKs raise `BadRequestError`) with `{"error": {"type": "invalid_request_error", "message", "param", "code"}}`, worded like
/// OpenAI's own answers so clients' error handling keeps working.
package struct RequestValidationError: Error, Sendable, Equatable {
    /// The offending parameter as a path, e.g. "messages[2].role"; nil for the body as a whole.
    package var param: String?
    /// OpenAI-style code: "missing_required_parameter", "invalid_type", "invalid_value", "empty_array".
    package var code: String
    /// Human-readable explanation, safe to show to the client.
    package var message: String
}

/// OpenAI-style shape checks on a parsed request body; nil when it is acceptable.
///
/// Both APIs: the body is an object, `model` is a string, `stream` is a boolean or null when present.
/// Chat: `messages` is a non-empty array of objects, each with a string `role` among system, developer,
/// user, assistant, tool, function and a `content` that is a string, an array of objects or null
/// (`content` may be absent only for assistant messages, which can carry tool calls instead).
/// Responses: `input` is a string or an array of objects.
package func validateRequest(_ doc: JSONDocument, api: WireAPI) -> RequestValidationError? {
    let root = doc.root
    guard root.kind == .object else {
        return RequestValidationError(
            param: nil, code: "invalid_type",
            message: "The request body must be a JSON object, but got \(typeName(root)) instead.")
    }
    if let error = requireString(root, "model") { return error }
    if let stream = root["stream"], stream.kind != .bool, stream.kind != .null {
        return invalidType("stream", expected: "a boolean", got: stream)
    }
    if let error = RequestFieldTypes.check(root, api: api) { return error }
    switch api {
    case .chatCompletions: return validateMessages(root)
    case .responses: return validateInput(root)
    case .embeddings: return validateEmbeddingsInput(root)
    }
}

/// Embeddings: `input` is a non-empty string, or a non-empty array of strings or of token arrays
/// (integers), at most 2048 entries, as OpenAI accepts.
private func validateEmbeddingsInput(_ root: JSONValue) -> RequestValidationError? {
    guard let input = root["input"] else { return missing("input") }
    if input.kind == .string { return nil }
    guard input.kind == .array else {
        return invalidType("input", expected: "a string or an array of strings", got: input)
    }
    guard input.count > 0 else {
        return RequestValidationError(
            param: "input", code: "empty_array",
            message: "Invalid 'input': empty array. Expected an array with minimum length 1, but got an empty "
                + "array instead.")
    }
    guard input.count <= 2048 else {
        return RequestValidationError(
            param: "input", code: "invalid_value",
            message: "Invalid 'input': array too long. Expected an array with maximum length 2048, but got an "
                + "array with length \(input.count) instead.")
    }
    for (index, entry) in input.items.enumerated() {
        switch entry.kind {
        case .string, .number: continue
        case .array where entry.items.allSatisfy({ $0.kind == .number }): continue
        default:
            return invalidType("input[\(index)]", expected: "a string or an array of integers", got: entry)
        }
    }
    return nil
}

private let chatRoles = ["system", "developer", "user", "assistant", "tool", "function"]

private func validateMessages(_ root: JSONValue) -> RequestValidationError? {
    guard let messages = root["messages"] else { return missing("messages") }
    guard messages.kind == .array else { return invalidType("messages", expected: "an array", got: messages) }
    guard messages.count > 0 else {
        return RequestValidationError(
            param: "messages", code: "empty_array",
            message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty "
                + "array instead.")
    }
    for (index, message) in messages.items.enumerated() {
        let path = "messages[\(index)]"
        guard message.kind == .object else { return invalidType(path, expected: "an object", got: message) }
        guard let role = message["role"] else { return missing("\(path).role") }
        guard role.kind == .string else { return invalidType("\(path).role", expected: "a string", got: role) }
        guard chatRoles.contains(where: role.stringEquals) else {
            let supported = chatRoles.dropLast().map { "'\($0)'" }.joined(separator: ", ")
            return RequestValidationError(
                param: "\(path).role", code: "invalid_value",
                message: "Invalid value: '\(shortened(role.string ?? ""))'. Supported values are: \(supported), "
                    + "and '\(chatRoles.last ?? "")'.")
        }
        guard let content = message["content"] else {
            if role.stringEquals("assistant") { continue }
            return missing("\(path).content")
        }
        switch content.kind {
        case .string, .null: continue
        case .array:
            for (partIndex, part) in content.items.enumerated() {
                if let error = RequestFieldTypes.checkPart(part, path: "\(path).content[\(partIndex)]") { return error }
            }
        default:
            return invalidType(
                "\(path).content", expected: "one of a string, an array of content parts or null", got: content)
        }
    }
    return nil
}

private func validateInput(_ root: JSONValue) -> RequestValidationError? {
    guard let input = root["input"] else { return missing("input") }
    switch input.kind {
    case .string: return nil
    case .array:
        for (index, item) in input.items.enumerated() {
            let path = "input[\(index)]"
            guard item.kind == .object else { return invalidType(path, expected: "an object", got: item) }
            guard let content = item["content"], content.kind != .string, content.kind != .null else { continue }
            guard content.kind == .array else {
                return invalidType("\(path).content", expected: "a string or an array of content parts", got: content)
            }
            for (partIndex, part) in content.items.enumerated() {
                if let error = RequestFieldTypes.checkPart(part, path: "\(path).content[\(partIndex)]") { return error }
            }
        }
        return nil
    default:
        return invalidType("input", expected: "a string or an array of input items", got: input)
    }
}

private func requireString(_ object: JSONValue, _ key: String) -> RequestValidationError? {
    guard let value = object[key] else { return missing(key) }
    return value.kind == .string ? nil : invalidType(key, expected: "a string", got: value)
}

package func missing(_ param: String) -> RequestValidationError {
    RequestValidationError(
        param: param, code: "missing_required_parameter", message: "Missing required parameter: '\(param)'.")
}

package func invalidType(_ param: String, expected: String, got value: JSONValue) -> RequestValidationError {
    RequestValidationError(
        param: param, code: "invalid_type",
        message: "Invalid type for '\(param)': expected \(expected), but got \(typeName(value)) instead.")
}

/// The value's type in OpenAI's wording ("an integer", "a string", ...).
private func typeName(_ value: JSONValue) -> String {
    switch value.kind {
    case .object: "an object"
    case .array: "an array"
    case .string: "a string"
    case .number:
        value.rawBytes.allSatisfy { $0 == UInt8(ascii: "-") || $0 &- UInt8(ascii: "0") < 10 }
            ? "an integer" : "a decimal"
    case .bool: "a boolean"
    case .null: "null"
    }
}

/// Client-supplied text echoed in an error, capped so a huge value cannot bloat the answer.
/// A client-supplied value quoted in an error message, cut at 64 characters: an error must not echo (or
/// amplify) whatever a client sent.
package func shortened(_ text: String) -> String {
    text.count <= 64 ? text : String(text.prefix(64)) + "..."
}
