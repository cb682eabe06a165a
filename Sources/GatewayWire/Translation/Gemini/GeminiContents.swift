/// OpenAI chat `messages` → Gemini `contents` and `systemInstruction`.
///
/// - `system` / `developer` messages → parts of the one `systemInstruction` (Gemini has no system turn;
///   a system message in the middle of the conversation moves there too, in order);
/// - `user` → role "user", `assistant` → role "model";
/// - text parts → `{text}`, `image_url` with a `data:` URL → `{inlineData: {mimeType, data}}`, with an
///   http(s) URL → `{fileData: {mimeType, fileUri}}` (the type guessed from the extension: Gemini requires
///   one), `input_audio` → `inlineData` (audio/wav, audio/mp3), `file` with `file_data` → `inlineData`;
/// - assistant `tool_calls` → `{functionCall: {name, args}}` (the arguments parsed from their JSON string);
/// - `tool` (and legacy `function`) messages → a user turn with `{functionResponse: {name, response:
///   {content}}}`, the name found from the assistant tool call with that id (Gemini matches results by
///   name and position, not by id);
/// - consecutive contents of one role merge (Gemini expects alternation; parallel tool results become
///   one turn, as Gemini sends parallel calls in one turn).
///
/// Usage:
/// ```swift
/// let (contents, system) = try GeminiContents.translate(document.root["messages"]!)
/// ```
package enum GeminiContents {
    /// The `contents` array and the `systemInstruction` (nil without system messages).
    package static func translate(_ messages: JSONValue) throws(TranslationError) -> (
        contents: WireJSON, systemInstruction: WireJSON?
    ) {
        guard messages.kind == .array else { throw TranslationError("messages must be an array", param: "messages") }
        var systemParts: [WireJSON] = []
        var turns: [(role: String, parts: [WireJSON])] = []
        var toolNames: [String: String] = [:]  // tool call id → function name, the latest call wins
        func append(_ role: String, _ parts: [WireJSON]) {
            guard !parts.isEmpty else { return }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].parts.append(contentsOf: parts)
            } else {
                turns.append((role, parts))
            }
        }
        var index = 0
        for message in messages.items {
            let param = "messages[\(index)]"
            index += 1
            guard message.kind == .object, let role = message["role"]?.string else {
                throw TranslationError("each message needs a role", param: param)
            }
            switch role {
            case "system", "developer":
                systemParts.append(contentsOf: try textParts(message["content"], param: param + ".content"))
            case "user":
                append("user", try userParts(message["content"], param: param + ".content"))
            case "assistant":
                var parts = try textParts(message["content"], param: param + ".content", allowRefusal: true)
                if let calls = message["tool_calls"], !calls.isNull {
                    parts.append(contentsOf: try functionCalls(calls, param: param + ".tool_calls", names: &toolNames))
                }
                if let call = message["function_call"], !call.isNull {
                    parts.append(try functionCall(call, param: param + ".function_call"))
                }
                append("model", parts)
            case "tool", "function":
                append("user", [try functionResponse(message, role: role, param: param, names: toolNames)])
            default:
                throw TranslationError("message role '\(role)' cannot be sent to Gemini", param: param + ".role")
            }
        }
        let contents = WireJSON.array(
            turns.map { .object([("role", .string($0.role)), ("parts", .array($0.parts))]) })
        let system = systemParts.isEmpty ? nil : WireJSON.object([("parts", .array(systemParts))])
        return (contents, system)
    }

    // MARK: - Parts

    /// The text of a string or text-part content (system and assistant messages: no media there).
    private static func textParts(_ content: JSONValue?, param: String, allowRefusal: Bool = false)
        throws(TranslationError) -> [WireJSON]
    {
        guard let content, !content.isNull else { return [] }
        if let text = content.string { return text.isEmpty ? [] : [.object([("text", .string(text))])] }
        guard content.kind == .array else {
            throw TranslationError("content must be a string or an array", param: param)
        }
        var parts: [WireJSON] = []
        var index = 0
        for part in content.items {
            let here = "\(param)[\(index)]"
            index += 1
            let type = part["type"]?.string
            if type == "text", let text = part["text"]?.string {
                parts.append(.object([("text", .string(text))]))
            } else if allowRefusal, type == "refusal", let text = part["refusal"]?.string {
                parts.append(.object([("text", .string(text))]))
            } else {
                throw TranslationError("only text parts can be sent to Gemini here", param: here)
            }
        }
        return parts
    }

    /// A user message's content: text, images, audio and files.
    private static func userParts(_ content: JSONValue?, param: String) throws(TranslationError) -> [WireJSON] {
        guard let content, !content.isNull else { throw TranslationError("a user message needs content", param: param) }
        if let text = content.string { return [.object([("text", .string(text))])] }
        guard content.kind == .array else {
            throw TranslationError("content must be a string or an array", param: param)
        }
        var parts: [WireJSON] = []
        var index = 0
        for part in content.items {
            let here = "\(param)[\(index)]"
            index += 1
            switch part["type"]?.string {
            case "text":
                guard let text = part["text"]?.string else {
                    throw TranslationError("a text part needs text", param: here)
                }
                parts.append(.object([("text", .string(text))]))
            case "image_url":
                let url = part["image_url"]?["url"]?.string ?? part["image_url"]?.string
                guard let url else {
                    throw TranslationError("an image_url part needs a url", param: here + ".image_url")
                }
                parts.append(try media(url: url, param: here + ".image_url.url"))
            case "input_audio":
                guard let data = part["input_audio"]?["data"]?.string,
                    let format = part["input_audio"]?["format"]?.string
                else { throw TranslationError("an input_audio part needs data and format", param: here) }
                parts.append(inlineData(mimeType: "audio/" + (format == "mp3" ? "mp3" : format), data: data))
            case "file":
                guard let data = part["file"]?["file_data"]?.string else {
                    throw TranslationError(
                        "only files sent inline (file_data) can be sent to Gemini, not file ids", param: here + ".file")
                }
                parts.append(try media(url: data, param: here + ".file.file_data"))
            default:
                throw TranslationError("this content part type cannot be sent to Gemini", param: here + ".type")
            }
        }
        return parts
    }

    /// `data:<type>;base64,<data>` → inlineData; http(s) → fileData.
    static func media(url: String, param: String) throws(TranslationError) -> WireJSON {
        if url.hasPrefix("data:") {
            let rest = url.dropFirst(5)
            guard let comma = rest.firstIndex(of: ","), rest[..<comma].hasSuffix(";base64") else {
                throw TranslationError("a data URL must be base64 (data:<type>;base64,...)", param: param)
            }
            let mimeType = String(rest[..<comma].dropLast(7))
            return inlineData(
                mimeType: mimeType.isEmpty ? "application/octet-stream" : mimeType,
                data: String(rest[rest.index(after: comma)...]))
        }
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") || lower.hasPrefix("gs://") else {
            throw TranslationError("an image URL must be a data: or http(s) URL", param: param)
        }
        return .object([
            ("fileData", .object([("mimeType", .string(mimeType(ofURL: lower))), ("fileUri", .string(url))]))
        ])
    }

    private static func inlineData(mimeType: String, data: String) -> WireJSON {
        .object([("inlineData", .object([("mimeType", .string(mimeType)), ("data", .string(data))]))])
    }

    /// The media type of a URL's file extension (query and fragment ignored); image/jpeg when unknown,
    /// the most common image type.
    static func mimeType(ofURL url: String) -> String {
        var path = Substring(url)
        if let cut = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<cut] }
        let fileName = path.split(separator: "/").last ?? ""
        guard let dot = fileName.lastIndex(of: ".") else { return "image/jpeg" }
        switch fileName[fileName.index(after: dot)...] {
        case "png": return "image/png"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "heic": return "image/heic"
        case "heif": return "image/heif"
        case "pdf": return "application/pdf"
        case "mp3": return "audio/mp3"
        case "wav": return "audio/wav"
        case "mp4": return "video/mp4"
        case "txt": return "text/plain"
        default: return "image/jpeg"
        }
    }

    // MARK: - Tools

    private static func functionCalls(_ calls: JSONValue, param: String, names: inout [String: String])
        throws(TranslationError) -> [WireJSON]
    {
        guard calls.kind == .array else { throw TranslationError("tool_calls must be an array", param: param) }
        var parts: [WireJSON] = []
        var index = 0
        for call in calls.items {
            let here = "\(param)[\(index)]"
            index += 1
            guard let function = call["function"] else {
                throw TranslationError("only function tool calls can be sent to Gemini", param: here)
            }
            let part = try functionCall(function, param: here + ".function")
            if let id = call["id"]?.string, let name = function["name"]?.string { names[id] = name }
            parts.append(part)
        }
        return parts
    }

    /// `{name, arguments: "<json>"}` → `{functionCall: {name, args}}`.
    private static func functionCall(_ function: JSONValue, param: String) throws(TranslationError) -> WireJSON {
        guard let name = function["name"]?.string else {
            throw TranslationError("a tool call needs a name", param: param + ".name")
        }
        let text = function["arguments"]?.string ?? "{}"
        let args: JSONDocument
        do {
            args = try JSONDocument(parsing: text.isEmpty ? "{}" : text)
        } catch {
            throw TranslationError(
                "tool call arguments are not valid JSON: \(error.message)", param: param + ".arguments")
        }
        guard args.root.kind == .object else {
            throw TranslationError("tool call arguments must be a JSON object", param: param + ".arguments")
        }
        return .object([("functionCall", .object([("name", .string(name)), ("args", .copy(args.root))]))])
    }

    /// A tool result → `{functionResponse: {name, response: {content}}}`; a result that is a JSON object
    /// or array goes as that value, any other text as a string.
    private static func functionResponse(_ message: JSONValue, role: String, param: String, names: [String: String])
        throws(TranslationError) -> WireJSON
    {
        let name: String
        if role == "function" {
            guard let given = message["name"]?.string else {
                throw TranslationError("a function message needs a name", param: param + ".name")
            }
            name = given
        } else {
            guard let id = message["tool_call_id"]?.string else {
                throw TranslationError("a tool message needs a tool_call_id", param: param + ".tool_call_id")
            }
            guard let found = names[id] else {
                throw TranslationError(
                    "no earlier assistant tool call has the id '\(id)' (Gemini needs the function's name)",
                    param: param + ".tool_call_id")
            }
            name = found
        }
        let content = message["content"]
        var text = ""
        if let string = content?.string {
            text = string
        } else if let content, content.kind == .array {
            for part in content.items { text += part["text"]?.string ?? "" }
        }
        var value = WireJSON.string(text)
        if let first = text.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
            first == UInt8(ascii: "{") || first == UInt8(ascii: "["),
            let parsed = try? JSONDocument(parsing: text)
        {
            value = .copy(parsed.root)
        }
        return .object([
            ("functionResponse", .object([("name", .string(name)), ("response", .object([("content", value)]))]))
        ])
    }
}
