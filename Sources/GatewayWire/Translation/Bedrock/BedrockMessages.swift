/// OpenAI chat `messages` → Converse's top-level `system` blocks and its `messages` turns.
///
/// - `system` and `developer` messages, wherever they stand, become `system: [{text}]` blocks (Converse
///   has no system role inside the conversation), one per message, in order; empty ones are left out
///   (Converse refuses an empty system text).
/// - `user` content: text parts → `{text}`; `image_url` parts with a base64 data URL →
///   `{image: {format, source: {bytes}}}` (the JSON protocol carries blobs as base64, so the data URL's
///   payload goes through as is). An http(s) image URL is refused: Converse takes image bytes (or S3
///   locations), never a web URL, and the gateway does not fetch URLs on a client's behalf.
/// - `assistant`: text (earlier refusals as text), then `tool_calls` as `{toolUse: {toolUseId, name,
///   input}}` with `input` the parsed `arguments` object.
/// - `tool`: `{toolResult: {toolUseId, content: [{text}]}}` in a user turn (Converse carries tool results
///   from the user). The content stays text even when it looks like JSON: OpenAI's tool content is text,
///   re-reading it as a `json` block would change what the model sees, and not every Bedrock model takes
///   `json` tool results.
/// - Consecutive turns of the same role are merged, since Converse requires user and assistant turns to
///   alternate; the results of parallel tool calls thus land in one user turn.
/// - Empty text is left out: Converse refuses blank text blocks.
///
/// Usage:
/// ```swift
/// let conversation = try BedrockConversation(messages: document.root["messages"]!)
/// conversation.systemJSON  // [{"text":"You are terse."}]
/// conversation.turnsJSON   // [{"role":"user","content":[{"text":"hi"}]}, ...]
/// ```
package struct BedrockConversation {
    package private(set) var system: [String] = []
    private(set) var turns: [(role: String, blocks: [WireJSON])] = []
    /// Whether a turn holds a `toolUse` or `toolResult` block: Converse then requires a `toolConfig`.
    package private(set) var usesTools = false

    package init(messages: JSONValue) throws(TranslationError) {
        for (index, message) in messages.items.enumerated() {
            let path = "messages[\(index)]"
            guard message.kind == .object else { throw TranslationError("\(path) must be an object.", param: path) }
            guard let role = message["role"]?.string else {
                throw TranslationError("\(path).role must be a string.", param: "\(path).role")
            }
            switch role {
            case "system", "developer":
                let text = try Self.plainText(message["content"], path: "\(path).content")
                if !text.isEmpty { system.append(text) }
            case "user":
                append("user", try Self.userBlocks(message["content"], path: "\(path).content"))
            case "assistant":
                append("assistant", try assistantBlocks(message, path: path))
            case "tool":
                usesTools = true
                append("user", [try Self.toolResult(message, path: path)])
            case "function":
                throw TranslationError(
                    "The deprecated 'function' role is not translated: use 'tool' messages.", param: "\(path).role")
            default:
                throw TranslationError("Unknown message role '\(role)'.", param: "\(path).role")
            }
        }
    }

    /// `system` as Converse writes it: `[{"text": ...}, ...]`.
    package var systemJSON: WireJSON { .array(system.map { .object([("text", .string($0))]) }) }

    /// `messages` as Converse writes them: content is always an array of blocks.
    package var turnsJSON: WireJSON {
        .array(turns.map { .object([("role", .string($0.role)), ("content", .array($0.blocks))]) })
    }

    private mutating func append(_ role: String, _ blocks: [WireJSON]) {
        guard !blocks.isEmpty else { return }
        if let last = turns.indices.last, turns[last].role == role {
            turns[last].blocks += blocks
        } else {
            turns.append((role, blocks))
        }
    }

    private static func text(_ text: String) -> WireJSON { .object([("text", .string(text))]) }

    // MARK: - Content

    /// The text of a string content or of an array of text parts (joined with a blank line). Other parts
    /// are refused: system instructions and tool results carry text only here.
    private static func plainText(_ content: JSONValue?, path: String) throws(TranslationError) -> String {
        guard let content, !content.isNull else { return "" }
        if let text = content.string { return text }
        guard content.kind == .array else {
            throw TranslationError("\(path) must be a string or an array of text parts.", param: path)
        }
        var texts: [String] = []
        for (index, part) in content.items.enumerated() {
            guard part["type"]?.stringEquals("text") == true, let text = part["text"]?.string else {
                throw TranslationError(
                    "\(path)[\(index)]: only text parts are accepted here.", param: "\(path)[\(index)]")
            }
            if !text.isEmpty { texts.append(text) }
        }
        return texts.joined(separator: "\n\n")
    }

    private static func userBlocks(_ content: JSONValue?, path: String) throws(TranslationError) -> [WireJSON] {
        guard let content, !content.isNull else {
            throw TranslationError("\(path): a user message needs content.", param: path)
        }
        if let string = content.string { return string.isEmpty ? [] : [text(string)] }
        guard content.kind == .array else {
            throw TranslationError("\(path) must be a string or an array of content parts.", param: path)
        }
        var blocks: [WireJSON] = []
        for (index, part) in content.items.enumerated() {
            let partPath = "\(path)[\(index)]"
            switch part["type"]?.string ?? "" {
            case "text":
                guard let string = part["text"]?.string else {
                    throw TranslationError("\(partPath).text must be a string.", param: "\(partPath).text")
                }
                if !string.isEmpty { blocks.append(text(string)) }
            case "image_url":
                blocks.append(try image(part["image_url"], path: "\(partPath).image_url"))
            case "input_audio", "file":
                throw TranslationError(
                    "\(partPath): audio and file parts are not translated for Bedrock models.",
                    param: "\(partPath).type")
            case let type:
                throw TranslationError("Unknown content part type '\(type)'.", param: "\(partPath).type")
            }
        }
        return blocks
    }

    /// An `image_url` part → a Converse image block. `detail` has no Converse counterpart (it sets OpenAI's
    /// resolution and cost, not what the image shows), so it is not carried.
    private static func image(_ imageURL: JSONValue?, path: String) throws(TranslationError) -> WireJSON {
        guard let url = imageURL?["url"]?.string ?? imageURL?.string else {
            throw TranslationError("\(path).url must be a string.", param: "\(path).url")
        }
        guard url.prefix(5).lowercased() == "data:" else {
            throw TranslationError(
                "\(path).url: Bedrock's Converse API takes image bytes only; send the image as a base64 data URL "
                    + "(data:image/png;base64,...), not a web URL.", param: "\(path).url")
        }
        // data:<media type>[;param...];base64,<data>
        let rest = url.utf8.dropFirst(5)
        guard let comma = rest.firstIndex(of: UInt8(ascii: ",")) else {
            throw TranslationError("\(path).url: malformed data URL.", param: "\(path).url")
        }
        let attributes = String(decoding: rest[..<comma], as: UTF8.self)
            .split(separator: ";", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard attributes.dropFirst().contains("base64") else {
            throw TranslationError("\(path).url: a data URL must be base64-encoded.", param: "\(path).url")
        }
        let format: String
        switch attributes[0] {
        case "image/png": format = "png"
        case "image/jpeg", "image/jpg": format = "jpeg"
        case "image/gif": format = "gif"
        case "image/webp": format = "webp"
        case let other:
            throw TranslationError(
                "\(path).url: the data URL is '\(other)'; Bedrock takes png, jpeg, gif or webp images.",
                param: "\(path).url")
        }
        let data = String(decoding: rest[rest.index(after: comma)...], as: UTF8.self)
        return .object([
            ("image", .object([("format", .string(format)), ("source", .object([("bytes", .string(data))]))]))
        ])
    }

    private mutating func assistantBlocks(_ message: JSONValue, path: String) throws(TranslationError) -> [WireJSON] {
        var blocks: [WireJSON] = []
        if let content = message["content"], !content.isNull {
            if let string = content.string {
                if !string.isEmpty { blocks.append(Self.text(string)) }
            } else if content.kind == .array {
                for (index, part) in content.items.enumerated() {
                    // A refusal the assistant gave earlier is part of the conversation: kept as its text.
                    let key = part["type"]?.stringEquals("refusal") == true ? "refusal" : "text"
                    guard part["type"]?.stringEquals(key) == true, let string = part[key]?.string else {
                        throw TranslationError(
                            "\(path).content[\(index)]: an assistant message has text or refusal parts only.",
                            param: "\(path).content[\(index)]")
                    }
                    if !string.isEmpty { blocks.append(Self.text(string)) }
                }
            } else {
                throw TranslationError("\(path).content must be a string or an array.", param: "\(path).content")
            }
        }
        if blocks.isEmpty, let refusal = message["refusal"]?.string, !refusal.isEmpty {
            blocks.append(Self.text(refusal))
        }
        if message["audio"].map({ !$0.isNull }) == true {
            throw TranslationError("Earlier audio answers cannot be sent to Bedrock models.", param: "\(path).audio")
        }
        if message["function_call"].map({ !$0.isNull }) == true {
            throw TranslationError(
                "The deprecated 'function_call' is not translated: use 'tool_calls'.", param: "\(path).function_call")
        }
        if let calls = message["tool_calls"], !calls.isNull {
            guard calls.kind == .array else {
                throw TranslationError("\(path).tool_calls must be an array.", param: "\(path).tool_calls")
            }
            for (index, call) in calls.items.enumerated() {
                usesTools = true
                blocks.append(try Self.toolUse(call, path: "\(path).tool_calls[\(index)]"))
            }
        }
        return blocks
    }

    private static func toolUse(_ call: JSONValue, path: String) throws(TranslationError) -> WireJSON {
        guard call["type"].map({ $0.isNull || $0.stringEquals("function") }) ?? true else {
            throw TranslationError("Only function tool calls are translated for Bedrock models.", param: "\(path).type")
        }
        guard let id = call["id"]?.string else {
            throw TranslationError("\(path).id must be a string.", param: "\(path).id")
        }
        guard let name = call["function"]?["name"]?.string else {
            throw TranslationError("\(path).function.name must be a string.", param: "\(path).function.name")
        }
        let argumentsPath = "\(path).function.arguments"
        let arguments = call["function"]?["arguments"]?.string ?? ""
        var input: WireJSON = .object([])  // a call without arguments: some clients send ""
        if !arguments.allSatisfy(\.isWhitespace) {
            let parsed: JSONDocument
            do {
                parsed = try JSONDocument(parsing: arguments)
            } catch {
                throw TranslationError(
                    "\(argumentsPath) is not valid JSON (\(error.message)); Bedrock needs the arguments as an object.",
                    param: argumentsPath)
            }
            guard parsed.root.kind == .object else {
                throw TranslationError("\(argumentsPath) must be a JSON object.", param: argumentsPath)
            }
            input = .copy(parsed.root)
        }
        return .object([
            ("toolUse", .object([("toolUseId", .string(id)), ("name", .string(name)), ("input", input)]))
        ])
    }

    private static func toolResult(_ message: JSONValue, path: String) throws(TranslationError) -> WireJSON {
        guard let id = message["tool_call_id"]?.string else {
            throw TranslationError("\(path).tool_call_id must be a string.", param: "\(path).tool_call_id")
        }
        let string = try plainText(message["content"], path: "\(path).content")
        // An empty result is still a result the model must see answered; an empty list says so without a
        // blank text block, which Converse refuses.
        let content: WireJSON = string.isEmpty ? .array([]) : .array([text(string)])
        return .object([("toolResult", .object([("toolUseId", .string(id)), ("content", content)]))])
    }
}
