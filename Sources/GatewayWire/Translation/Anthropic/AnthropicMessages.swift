/// OpenAI chat `messages` → Anthropic's top-level `system` text and its alternating `messages` turns.
///
/// - `system` and `developer` messages, wherever they stand, become the `system` text (Anthropic has no
///   system role inside the conversation); several are joined with a blank line.
/// - `user` content: text parts and images (`image_url`: a base64 data URL becomes a `base64` source,
///   an http(s) URL a `url` source). Audio and file parts are refused.
/// - `assistant`: text (and earlier refusals, as text), then its `tool_calls` as `tool_use` blocks
///   whose `input` is the parsed `arguments` object.
/// - `tool`: a `tool_result` block in a user turn (Anthropic carries tool results from the user).
/// - Consecutive turns of the same role are merged, since Anthropic requires user and assistant turns to
///   alternate; so the results of parallel tool calls land in one user turn, as Anthropic expects.
/// - Empty text is left out: Anthropic refuses empty text blocks, and they say nothing.
///
/// Usage:
/// ```swift
/// let conversation = try AnthropicConversation(messages: document.root["messages"]!)
/// conversation.system      // ["You are terse."]
/// conversation.turnsJSON   // [{"role":"user","content":"hi"}, ...]
/// ```
package struct AnthropicConversation {
    /// A content block of a turn; plain text is kept apart so a turn of one text can be written as a string.
    enum Block {
        case text(String)
        case other(WireJSON)

        var json: WireJSON {
            switch self {
            case .text(let text): .object([("type", .string("text")), ("text", .string(text))])
            case .other(let json): json
            }
        }
    }

    package private(set) var system: [String] = []
    private(set) var turns: [(role: String, blocks: [Block])] = []

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
                append("assistant", try Self.assistantBlocks(message, path: path))
            case "tool":
                append("user", [try Self.toolResult(message, path: path)])
            case "function":
                throw TranslationError(
                    "The deprecated 'function' role is not translated: use 'tool' messages.", param: "\(path).role")
            default:
                throw TranslationError("Unknown message role '\(role)'.", param: "\(path).role")
            }
        }
    }

    /// `messages` as Anthropic writes them: a turn that is one text is a plain string.
    package var turnsJSON: WireJSON {
        .array(
            turns.map { turn in
                let content: WireJSON =
                    if turn.blocks.count == 1, case .text(let text) = turn.blocks[0] {
                        .string(text)
                    } else {
                        .array(turn.blocks.map(\.json))
                    }
                return .object([("role", .string(turn.role)), ("content", content)])
            })
    }

    private mutating func append(_ role: String, _ blocks: [Block]) {
        guard !blocks.isEmpty else { return }
        if let last = turns.indices.last, turns[last].role == role {
            turns[last].blocks += blocks
        } else {
            turns.append((role, blocks))
        }
    }

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

    private static func userBlocks(_ content: JSONValue?, path: String) throws(TranslationError) -> [Block] {
        guard let content, !content.isNull else {
            throw TranslationError("\(path): a user message needs content.", param: path)
        }
        if let text = content.string { return text.isEmpty ? [] : [.text(text)] }
        guard content.kind == .array else {
            throw TranslationError("\(path) must be a string or an array of content parts.", param: path)
        }
        var blocks: [Block] = []
        for (index, part) in content.items.enumerated() {
            let partPath = "\(path)[\(index)]"
            let type = part["type"]?.string ?? ""
            switch type {
            case "text":
                guard let text = part["text"]?.string else {
                    throw TranslationError("\(partPath).text must be a string.", param: "\(partPath).text")
                }
                if !text.isEmpty { blocks.append(.text(text)) }
            case "image_url":
                blocks.append(.other(try image(part["image_url"], path: "\(partPath).image_url")))
            case "input_audio":
                throw TranslationError("Anthropic models do not accept audio input.", param: partPath)
            case "file":
                throw TranslationError("File parts are not translated for Anthropic models.", param: partPath)
            default:
                throw TranslationError("Unknown content part type '\(type)'.", param: "\(partPath).type")
            }
        }
        return blocks
    }

    /// An `image_url` part → an Anthropic image block. `detail` has no Anthropic counterpart (it sets
    /// OpenAI's resolution and cost, not what the image shows), so it is not carried.
    private static func image(_ imageURL: JSONValue?, path: String) throws(TranslationError) -> WireJSON {
        guard let url = imageURL?["url"]?.string ?? imageURL?.string else {
            throw TranslationError("\(path).url must be a string.", param: "\(path).url")
        }
        let source: WireJSON
        let scheme = url.prefix(8).lowercased()
        if scheme.hasPrefix("data:") {
            // data:<media type>[;param...];base64,<data>
            let rest = url.utf8.dropFirst(5)
            guard let comma = rest.firstIndex(of: UInt8(ascii: ",")) else {
                throw TranslationError("\(path).url: malformed data URL.", param: "\(path).url")
            }
            let header = String(decoding: rest[..<comma], as: UTF8.self)
            let attributes = header.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            let mediaType = attributes[0].lowercased()
            guard attributes.dropFirst().contains(where: { $0.lowercased() == "base64" }) else {
                throw TranslationError("\(path).url: a data URL must be base64-encoded.", param: "\(path).url")
            }
            guard mediaType.hasPrefix("image/") else {
                throw TranslationError(
                    "\(path).url: the data URL is '\(mediaType)', not an image.", param: "\(path).url")
            }
            let data = String(decoding: rest[rest.index(after: comma)...], as: UTF8.self)
            source = .object([
                ("type", .string("base64")), ("media_type", .string(mediaType)), ("data", .string(data)),
            ])
        } else if scheme.hasPrefix("https://") || scheme.hasPrefix("http://") {
            source = .object([("type", .string("url")), ("url", .string(url))])
        } else {
            throw TranslationError(
                "\(path).url must be an http(s) URL or a base64 data URL.", param: "\(path).url")
        }
        return .object([("type", .string("image")), ("source", source)])
    }

    private static func assistantBlocks(_ message: JSONValue, path: String) throws(TranslationError) -> [Block] {
        var blocks: [Block] = []
        if let content = message["content"], !content.isNull {
            if let text = content.string {
                if !text.isEmpty { blocks.append(.text(text)) }
            } else if content.kind == .array {
                for (index, part) in content.items.enumerated() {
                    // A refusal the assistant gave earlier is part of the conversation: kept as its text.
                    let key = part["type"]?.stringEquals("refusal") == true ? "refusal" : "text"
                    guard part["type"]?.stringEquals(key) == true, let text = part[key]?.string else {
                        throw TranslationError(
                            "\(path).content[\(index)]: an assistant message has text or refusal parts only.",
                            param: "\(path).content[\(index)]")
                    }
                    if !text.isEmpty { blocks.append(.text(text)) }
                }
            } else {
                throw TranslationError("\(path).content must be a string or an array.", param: "\(path).content")
            }
        }
        if blocks.isEmpty, let refusal = message["refusal"]?.string, !refusal.isEmpty {
            blocks.append(.text(refusal))
        }
        if message["audio"].map({ !$0.isNull }) == true {
            throw TranslationError("Earlier audio answers cannot be sent to Anthropic models.", param: "\(path).audio")
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
                blocks.append(.other(try toolUse(call, path: "\(path).tool_calls[\(index)]")))
            }
        }
        return blocks
    }

    private static func toolUse(_ call: JSONValue, path: String) throws(TranslationError) -> WireJSON {
        guard call["type"].map({ $0.isNull || $0.stringEquals("function") }) ?? true else {
            throw TranslationError(
                "Only function tool calls are translated for Anthropic models.", param: "\(path).type")
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
                    "\(argumentsPath) is not valid JSON (\(error.message)); Anthropic needs the arguments as an object.",
                    param: argumentsPath)
            }
            guard parsed.root.kind == .object else {
                throw TranslationError("\(argumentsPath) must be a JSON object.", param: argumentsPath)
            }
            input = .copy(parsed.root)
        }
        return .object([("type", .string("tool_use")), ("id", .string(id)), ("name", .string(name)), ("input", input)])
    }

    private static func toolResult(_ message: JSONValue, path: String) throws(TranslationError) -> Block {
        guard let id = message["tool_call_id"]?.string else {
            throw TranslationError("\(path).tool_call_id must be a string.", param: "\(path).tool_call_id")
        }
        let text = try plainText(message["content"], path: "\(path).content")
        return .other(
            .object([("type", .string("tool_result")), ("tool_use_id", .string(id)), ("content", .string(text))]))
    }
}
