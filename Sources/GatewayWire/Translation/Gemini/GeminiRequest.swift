/// An OpenAI chat completions request → a Gemini `generateContent` body (the model goes in the URL).
///
/// Every top-level field is decided on: mapped (below), ignored because it does not change the answer
/// (`model`, `stream`, `stream_options`: the URL says it; `user`, `metadata`, `store`, `service_tier`,
/// `safety_identifier`, `prompt_cache_key`, `parallel_tool_calls`: Gemini has no such setting and a
/// client handles several calls anyway), or refused with a ``TranslationError`` because dropping it would
/// change the answer (`logprobs`, `logit_bias`, `audio`, `modalities` asking for audio, `prediction`,
/// `web_search_options`, `functions`, and any field this translator does not know).
///
/// Mapped: `messages` (``GeminiContents``); `tools` → `tools[0].functionDeclarations`; `tool_choice` →
/// `toolConfig.functionCallingConfig`; into `generationConfig`: `temperature`, `top_p` → `topP`, `top_k`
/// → `topK`, `max_tokens` / `max_completion_tokens` → `maxOutputTokens`, `stop` → `stopSequences`, `n`
/// → `candidateCount`, `presence_penalty`, `frequency_penalty`, `seed`, `response_format` →
/// `responseMimeType` / `responseSchema`, `reasoning_effort` → `thinkingConfig.thinkingBudget`.
///
/// Usage:
/// ```swift
/// let body = try GeminiRequest.translate(document)   // {"contents":[...],"generationConfig":{...}}
/// ```
package enum GeminiRequest {
    static let ignoredFields: Set<String> = [
        "model", "stream", "stream_options", "user", "metadata", "store", "service_tier", "safety_identifier",
        "prompt_cache_key", "parallel_tool_calls",
    ]

    /// Thinking budgets (tokens) for `reasoning_effort`, as Google's own OpenAI-compatible endpoint maps them.
    static let thinkingBudgets: [String: Int] = ["none": 0, "minimal": 0, "low": 1024, "medium": 8192, "high": 24576]

    package static func translate(_ document: JSONDocument) throws(TranslationError) -> [UInt8] {
        let root = document.root
        guard root.kind == .object else { throw TranslationError("the request body must be a JSON object") }
        guard let messages = root["messages"] else { throw TranslationError("messages is required", param: "messages") }
        let (contents, system) = try GeminiContents.translate(messages)
        var body: [(String, WireJSON)] = [("contents", contents)]
        if let system { body.append(("systemInstruction", system)) }
        var config: [(String, WireJSON)] = []
        var tools: WireJSON?
        var toolConfig: WireJSON?
        for member in WireJSON.lastMembers(of: root) {
            let value = member.value
            let key = member.name
            if value.isNull || ignoredFields.contains(key) || key == "messages" { continue }
            switch key {
            case "temperature": config.append(("temperature", try number(value, key)))
            case "top_p": config.append(("topP", try number(value, key)))
            case "top_k": config.append(("topK", try integer(value, key)))
            case "presence_penalty": config.append(("presencePenalty", try number(value, key)))
            case "frequency_penalty": config.append(("frequencyPenalty", try number(value, key)))
            case "seed": config.append(("seed", try integer(value, key)))
            case "n": config.append(("candidateCount", try integer(value, key)))
            case "max_tokens", "max_completion_tokens":
                // Both given: the later one in the body wins, as with duplicate keys.
                config.removeAll { $0.0 == "maxOutputTokens" }
                config.append(("maxOutputTokens", try integer(value, key)))
            case "stop":
                if let text = value.string {
                    config.append(("stopSequences", .array([.string(text)])))
                } else if value.kind == .array, value.items.allSatisfy({ $0.kind == .string }) {
                    if value.count > 0 { config.append(("stopSequences", .copy(value))) }
                } else {
                    throw TranslationError("stop must be a string or an array of strings", param: "stop")
                }
            case "response_format": config.append(contentsOf: try responseFormat(value))
            case "reasoning_effort":
                guard let effort = value.string, let budget = thinkingBudgets[effort] else {
                    throw TranslationError("reasoning_effort must be none, minimal, low, medium or high", param: key)
                }
                config.append(("thinkingConfig", .object([("thinkingBudget", .int(budget))])))
            case "tools": tools = try GeminiTools.declarations(value)
            case "tool_choice": toolConfig = try GeminiTools.toolConfig(value)
            case "logprobs", "top_logprobs":
                if value.bool == false { continue }
                throw TranslationError("logprobs are not supported for Gemini targets", param: key)
            case "modalities":
                if value.kind == .array, value.items.allSatisfy({ $0.stringEquals("text") }) { continue }
                throw TranslationError("only text output is supported for Gemini targets", param: key)
            default:
                throw TranslationError("'\(key)' is not supported for Gemini targets", param: key)
            }
        }
        if let tools { body.append(("tools", tools)) }
        if let toolConfig { body.append(("toolConfig", toolConfig)) }
        if !config.isEmpty { body.append(("generationConfig", .object(config))) }
        return WireJSON.object(body).bytes
    }

    private static func number(_ value: JSONValue, _ param: String) throws(TranslationError) -> WireJSON {
        guard value.kind == .number else { throw TranslationError("\(param) must be a number", param: param) }
        return .copy(value)
    }

    private static func integer(_ value: JSONValue, _ param: String) throws(TranslationError) -> WireJSON {
        guard let int = value.int else { throw TranslationError("\(param) must be an integer", param: param) }
        return .int(int)
    }

    /// `text` → nothing; `json_object` → JSON output; `json_schema` → JSON output constrained by the
    /// schema, converted by ``GeminiSchema`` (which refuses what Gemini cannot express).
    private static func responseFormat(_ value: JSONValue) throws(TranslationError) -> [(String, WireJSON)] {
        switch value["type"]?.string {
        case "text": return []
        case "json_object": return [("responseMimeType", .string("application/json"))]
        case "json_schema":
            guard let schema = value["json_schema"]?["schema"] else {
                throw TranslationError("json_schema needs a schema", param: "response_format.json_schema.schema")
            }
            let converted = try GeminiSchema.convert(schema, param: "response_format.json_schema.schema")
            return [("responseMimeType", .string("application/json")), ("responseSchema", converted)]
        default:
            throw TranslationError(
                "response_format.type must be text, json_object or json_schema", param: "response_format.type")
        }
    }
}

/// OpenAI `tools` / `tool_choice` → Gemini `tools[].functionDeclarations` / `toolConfig`.
///
/// Usage:
/// ```swift
/// let tools = try GeminiTools.declarations(document.root["tools"]!)
/// let config = try GeminiTools.toolConfig(document.root["tool_choice"]!)
/// ```
package enum GeminiTools {
    /// `[{type: function, function: {name, description, parameters}}]` → `[{functionDeclarations: [...]}]`.
    package static func declarations(_ tools: JSONValue) throws(TranslationError) -> WireJSON? {
        guard tools.kind == .array else { throw TranslationError("tools must be an array", param: "tools") }
        var declarations: [WireJSON] = []
        var index = 0
        for tool in tools.items {
            let param = "tools[\(index)]"
            index += 1
            guard tool["type"]?.stringEquals("function") == true, let function = tool["function"] else {
                throw TranslationError("only function tools can be sent to Gemini", param: param + ".type")
            }
            guard let name = function["name"]?.string else {
                throw TranslationError("a function tool needs a name", param: param + ".function.name")
            }
            var declaration: [(String, WireJSON)] = [("name", .string(name))]
            if let description = function["description"]?.string {
                declaration.append(("description", .string(description)))
            }
            if let parameters = function["parameters"], !parameters.isNull {
                // An empty object schema ({"type":"object","properties":{}}) is refused by Gemini for some
                // models: a function without arguments is declared without `parameters`.
                let schema = try GeminiSchema.convert(parameters, param: param + ".function.parameters")
                if !Self.isEmptyObjectSchema(parameters) { declaration.append(("parameters", schema)) }
            }
            declarations.append(.object(declaration))
        }
        if declarations.isEmpty { return nil }
        return .array([.object([("functionDeclarations", .array(declarations))])])
    }

    private static func isEmptyObjectSchema(_ schema: JSONValue) -> Bool {
        guard schema.kind == .object else { return false }
        let properties = schema["properties"]
        return (properties == nil || properties?.count == 0) && schema["anyOf"] == nil && schema["$ref"] == nil
    }

    /// `auto` → AUTO, `none` → NONE, `required` → ANY, a named function → ANY restricted to it,
    /// `allowed_tools` → VALIDATED / ANY restricted to the listed functions.
    package static func toolConfig(_ choice: JSONValue) throws(TranslationError) -> WireJSON {
        var mode: String
        var names: [String] = []
        if let text = choice.string {
            switch text {
            case "auto": mode = "AUTO"
            case "none": mode = "NONE"
            case "required": mode = "ANY"
            default:
                throw TranslationError("tool_choice must be auto, none, required or a function", param: "tool_choice")
            }
        } else if choice["type"]?.stringEquals("function") == true, let name = choice["function"]?["name"]?.string {
            mode = "ANY"
            names = [name]
        } else if choice["type"]?.stringEquals("allowed_tools") == true, let allowed = choice["allowed_tools"] {
            // Gemini takes allowedFunctionNames with ANY (must call one) or VALIDATED (may call one of them).
            mode = allowed["mode"]?.stringEquals("required") == true ? "ANY" : "VALIDATED"
            guard let tools = allowed["tools"], tools.kind == .array else {
                throw TranslationError("allowed_tools needs a tools array", param: "tool_choice.allowed_tools.tools")
            }
            for tool in tools.items {
                guard let name = tool["function"]?["name"]?.string ?? tool["name"]?.string else {
                    throw TranslationError(
                        "only function tools can be allowed for Gemini", param: "tool_choice.allowed_tools.tools")
                }
                names.append(name)
            }
        } else {
            throw TranslationError("tool_choice must be auto, none, required or a function", param: "tool_choice")
        }
        var config: [(String, WireJSON)] = [("mode", .string(mode))]
        if !names.isEmpty { config.append(("allowedFunctionNames", .array(names.map { .string($0) }))) }
        return .object([("functionCallingConfig", .object(config))])
    }
}
