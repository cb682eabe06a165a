/// OpenAI `tools` and `tool_choice` → Converse's `toolConfig`.
///
/// - A function tool `{type: function, function: {name, description, parameters}}` becomes
///   `{toolSpec: {name, description, inputSchema: {json: parameters}}}` (an empty object schema when it
///   has no parameters, since Converse requires one; an empty description is left out, Converse refuses
///   it). `strict` is not carried: not every Bedrock model accepts it.
/// - `tool_choice`: `auto` → `{auto: {}}`, `required` → `{any: {}}`, `{type: function, function: {name}}`
///   → `{tool: {name}}`.
/// - `tool_choice: none` has no Converse counterpart. When the conversation holds no tool calls or results,
///   `toolConfig` is left out, so the model cannot call a tool: exactly `none`. When it does, Converse
///   refuses a request without `toolConfig` ("The toolConfig field must be defined when using toolUse and
///   toolResult content blocks"), so the tools are sent with no choice (the model's default, auto): the
///   closest Converse can express; the model may then still call a tool.
/// - `parallel_tool_calls` is accepted and not carried: Converse cannot limit a turn to one call.
/// - Without tools, no `toolConfig` is sent (OpenAI ignores a tool choice without tools too).
///
/// Usage:
/// ```swift
/// let config = try BedrockTools.toolConfig(document.root, conversationUsesTools: false)
/// // {"tools":[{"toolSpec":{...}}],"toolChoice":{"auto":{}}}
/// ```
package enum BedrockTools {
    package static func toolConfig(_ root: JSONValue, conversationUsesTools: Bool) throws(TranslationError)
        -> WireJSON?
    {
        if let parallel = WireJSON.present(root, "parallel_tool_calls"), parallel.bool == nil {
            throw TranslationError("'parallel_tool_calls' must be a boolean.", param: "parallel_tool_calls")
        }
        guard let tools = WireJSON.present(root, "tools") else { return nil }
        guard tools.kind == .array else { throw TranslationError("'tools' must be an array.", param: "tools") }
        guard tools.count > 0 else { return nil }
        var specs: [WireJSON] = []
        for (index, tool) in tools.items.enumerated() {
            specs.append(try toolSpec(tool, path: "tools[\(index)]"))
        }
        var members: [(String, WireJSON)] = [("tools", .array(specs))]
        switch try choice(root) {
        case .none:
            break
        case .some(nil):  // tool_choice "none"
            if !conversationUsesTools { return nil }
        case .some(let choice?):
            members.append(("toolChoice", choice))
        }
        return .object(members)
    }

    private static func toolSpec(_ tool: JSONValue, path: String) throws(TranslationError) -> WireJSON {
        guard tool["type"]?.stringEquals("function") == true, let function = tool["function"] else {
            throw TranslationError("Only function tools are translated for Bedrock models.", param: "\(path).type")
        }
        guard let name = function["name"]?.string else {
            throw TranslationError("\(path).function.name must be a string.", param: "\(path).function.name")
        }
        var members: [(String, WireJSON)] = [("name", .string(name))]
        if let description = WireJSON.present(function, "description") {
            guard let text = description.string else {
                throw TranslationError(
                    "\(path).function.description must be a string.", param: "\(path).function.description")
            }
            if !text.isEmpty { members.append(("description", .string(text))) }
        }
        let schema: WireJSON
        if let parameters = WireJSON.present(function, "parameters") {
            guard parameters.kind == .object else {
                throw TranslationError(
                    "\(path).function.parameters must be a JSON Schema object.", param: "\(path).function.parameters")
            }
            schema = .copy(parameters)
        } else {
            schema = .object([("type", .string("object")), ("properties", .object([]))])
        }
        members.append(("inputSchema", .object([("json", schema)])))
        return .object([("toolSpec", .object(members))])
    }

    /// nil: no `tool_choice`; `.some(nil)`: `none`; else the Converse `toolChoice`.
    private static func choice(_ root: JSONValue) throws(TranslationError) -> WireJSON?? {
        guard let choice = WireJSON.present(root, "tool_choice") else { return .none }
        if let mode = choice.string {
            switch mode {
            case "auto": return .object([("auto", .object([]))])
            case "required": return .object([("any", .object([]))])
            case "none": return .some(nil)
            default: throw TranslationError("Unknown 'tool_choice' value '\(mode)'.", param: "tool_choice")
            }
        }
        if choice["type"]?.stringEquals("function") == true, let name = choice["function"]?["name"]?.string {
            return .object([("tool", .object([("name", .string(name))]))])
        }
        throw TranslationError(
            "'tool_choice' must be auto, required, none or {type: function, function: {name}} for Bedrock models.",
            param: "tool_choice")
    }
}
