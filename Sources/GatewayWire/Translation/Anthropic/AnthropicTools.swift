/// OpenAI `tools`, `tool_choice` and `parallel_tool_calls` → Anthropic `tools` and `tool_choice`.
///
/// - A function tool `{type: function, function: {name, description, parameters}}` becomes
///   `{name, description, input_schema}` (an empty object schema when it has no parameters, since
///   Anthropic requires one). `strict` is not carried: Anthropic validates against the schema anyway.
/// - `tool_choice`: `auto` → `{type: auto}`, `required` → `{type: any}`, `none` → `{type: none}`,
///   `{type: function, function: {name}}` → `{type: tool, name}`.
/// - `parallel_tool_calls: false` → `disable_parallel_tool_use: true` on the choice (`auto` if none).
/// - Without tools, neither is sent (OpenAI ignores a tool choice without tools too).
///
/// Usage:
/// ```swift
/// let members = try AnthropicTools.translate(document.root)  // [("tools", ...), ("tool_choice", ...)]
/// ```
package enum AnthropicTools {
    package static func translate(_ root: JSONValue) throws(TranslationError) -> [(String, WireJSON)] {
        guard let tools = AnthropicRequest.present(root, "tools") else { return [] }
        guard tools.kind == .array else { throw TranslationError("'tools' must be an array.", param: "tools") }
        guard tools.count > 0 else { return [] }
        var translated: [WireJSON] = []
        for (index, tool) in tools.items.enumerated() {
            translated.append(try function(tool, path: "tools[\(index)]"))
        }
        var members: [(String, WireJSON)] = [("tools", .array(translated))]
        if let choice = try choice(root) { members.append(("tool_choice", choice)) }
        return members
    }

    private static func function(_ tool: JSONValue, path: String) throws(TranslationError) -> WireJSON {
        guard tool["type"]?.stringEquals("function") == true, let function = tool["function"] else {
            throw TranslationError("Only function tools are translated for Anthropic models.", param: "\(path).type")
        }
        guard let name = function["name"]?.string else {
            throw TranslationError("\(path).function.name must be a string.", param: "\(path).function.name")
        }
        var members: [(String, WireJSON)] = [("name", .string(name))]
        if let description = AnthropicRequest.present(function, "description") {
            guard let text = description.string else {
                throw TranslationError(
                    "\(path).function.description must be a string.", param: "\(path).function.description")
            }
            members.append(("description", .string(text)))
        }
        if let parameters = AnthropicRequest.present(function, "parameters") {
            guard parameters.kind == .object else {
                throw TranslationError(
                    "\(path).function.parameters must be a JSON Schema object.", param: "\(path).function.parameters")
            }
            members.append(("input_schema", .copy(parameters)))
        } else {
            members.append(("input_schema", .object([("type", .string("object")), ("properties", .object([]))])))
        }
        return .object(members)
    }

    private static func choice(_ root: JSONValue) throws(TranslationError) -> WireJSON? {
        let parallel = AnthropicRequest.present(root, "parallel_tool_calls")
        if let parallel, parallel.bool == nil {
            throw TranslationError("'parallel_tool_calls' must be a boolean.", param: "parallel_tool_calls")
        }
        let disableParallel = parallel?.bool == false
        var members: [(String, WireJSON)]
        if let choice = AnthropicRequest.present(root, "tool_choice") {
            if let mode = choice.string {
                switch mode {
                case "auto": members = [("type", .string("auto"))]
                case "required": members = [("type", .string("any"))]
                case "none": return .object([("type", .string("none"))])
                default:
                    throw TranslationError("Unknown 'tool_choice' value '\(mode)'.", param: "tool_choice")
                }
            } else if choice["type"]?.stringEquals("function") == true,
                let name = choice["function"]?["name"]?.string
            {
                members = [("type", .string("tool")), ("name", .string(name))]
            } else {
                throw TranslationError(
                    "'tool_choice' must be auto, required, none or {type: function, function: {name}} for "
                        + "Anthropic models.", param: "tool_choice")
            }
        } else if disableParallel {
            members = [("type", .string("auto"))]
        } else {
            return nil
        }
        if disableParallel { members.append(("disable_parallel_tool_use", .bool(true))) }
        return .object(members)
    }
}
