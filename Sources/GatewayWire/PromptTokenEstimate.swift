/// An estimate of the prompt tokens of a chat or Responses request, counted like OpenAI's cookbook: 3 tokens per
/// message plus its role and content, plus 3 for the reply priming; tool definitions and a response schema count
/// by their JSON text. See ``PromptTokenCounter`` for what each part costs.
package func estimatePromptTokens(_ document: JSONDocument, api: WireAPI, vocabulary: TokenVocabulary = .o200k)
    -> Int
{
    let root = document.root
    guard root.kind == .object else { return 0 }
    let counter = PromptTokenCounter(vocabulary: vocabulary)
    var total = counter.fixedCost(root, api: api)
    if let conversation = PromptTokenCounter.conversation(root, api: api) {
        for item in conversation.items { total += counter.itemCost(item) }
    }
    return total
}

/// Estimated token costs of the parts of a request (see `estimateTextTokens` for text).
///
/// - A message / input item: 3, plus every string and number inside it (its role, content text, a tool call's
///   name, arguments and call id, a tool result, a refusal), except the values of `type`, `id` and `status`
///   (metadata the model does not read). Object keys are not counted.
/// - An image part (`image_url`, `input_image`): 85 with `"detail": "low"`, else 1,445 (the largest single-image
///   figure of OpenAI's tile formula for gpt-4o at high detail: 85 + 170 × 8 tiles). Audio and file parts
///   (`input_audio`, `file`, `input_file`): a flat 1,445, not an estimate of their content.
/// - Fixed part: 3 for the reply priming; the Responses `instructions` (as a system message) or string `input`
///   (as a user message); `tools`, the legacy `functions`, `response_format` (chat) and `text` (Responses) by
///   the estimate of their raw JSON text, which is longer than the form the provider renders them in.
package struct PromptTokenCounter: Sendable {
    package static let perMessage = 3
    package static let replyPriming = 3
    package static let imageLowDetail = 85
    package static let imageHighDetail = 1445
    package static let mediaPart = 1445

    package let vocabulary: TokenVocabulary

    package init(vocabulary: TokenVocabulary) {
        self.vocabulary = vocabulary
    }

    /// The conversation array: chat `messages`, or Responses `input` when it is an array.
    package static func conversation(_ root: JSONValue, api: WireAPI) -> JSONValue? {
        let value: JSONValue? =
            switch api {
            case .chatCompletions: root["messages"]
            case .responses: root["input"]
            case .embeddings: root["input"]
            }
        guard let value, value.kind == .array else { return nil }
        return value
    }

    /// Everything but the conversation array's items.
    package func fixedCost(_ root: JSONValue, api: WireAPI) -> Int {
        var total = Self.replyPriming
        let schemaFields: [String]
        switch api {
        case .chatCompletions:
            schemaFields = ["tools", "functions", "response_format"]
        case .embeddings:
            schemaFields = []
            if let input = root["input"], input.kind == .string { total += stringCost(input) }
        case .responses:
            schemaFields = ["tools", "text"]
            if let instructions = root["instructions"], instructions.kind == .string {
                total += Self.perMessage + textCost(literalOf: "system") + stringCost(instructions)
            }
            if let input = root["input"], input.kind == .string {
                total += Self.perMessage + textCost(literalOf: "user") + stringCost(input)
            }
        }
        for field in schemaFields {
            guard let value = root[field], value.kind == .object || value.kind == .array else { continue }
            total += rawCost(value)
        }
        return total
    }

    /// One message or input item.
    package func itemCost(_ item: JSONValue) -> Int {
        Self.perMessage + contentCost(item)
    }

    /// Strings and numbers inside `value`, with the exceptions listed on the type.
    func contentCost(_ value: JSONValue) -> Int {
        switch value.kind {
        case .string: return stringCost(value)
        case .number: return rawCost(value)
        case .bool, .null: return 0
        case .array:
            var total = 0
            for item in value.items { total += contentCost(item) }
            return total
        case .object:
            if let media = mediaCost(value) { return media }
            var total = 0
            for (key, member) in value.members {
                if key.stringEquals("type") || key.stringEquals("id") || key.stringEquals("status") { continue }
                total += contentCost(member)
            }
            return total
        }
    }

    /// The flat cost of an image, audio or file part; nil for any other object.
    private func mediaCost(_ part: JSONValue) -> Int? {
        guard let type = part["type"], type.kind == .string else { return nil }
        if type.stringEquals("image_url") || type.stringEquals("input_image") {
            // Chat: {"type":"image_url","image_url":{"url":…,"detail":…}}; Responses: detail on the part.
            let detail = part["image_url"]?["detail"] ?? part["detail"]
            return detail?.stringEquals("low") == true ? Self.imageLowDetail : Self.imageHighDetail
        }
        if type.stringEquals("input_audio") || type.stringEquals("file") || type.stringEquals("input_file") {
            return Self.mediaPart
        }
        return nil
    }

    /// The estimate of a string value's decoded text (escapes are decoded into a temporary buffer first).
    func stringCost(_ value: JSONValue) -> Int {
        let record = value.document.storage.nodes[value.index]
        let hasEscapes = record.flags & JSONNodeRecord.stringHasEscapes != 0
        let range = (Int(record.start) + 1)..<(Int(record.end) - 1)
        return value.document.storage.bytes.withUnsafeBufferPointer { bytes in
            let content = UnsafeBufferPointer(rebasing: bytes[range])
            guard hasEscapes else { return estimateTextTokens(content, vocabulary: vocabulary) }
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: content.count) { output in
                let length = JSONStringDecoding.decode(content, into: output)
                return estimateTextTokens(
                    UnsafeBufferPointer(rebasing: output[0..<length]), vocabulary: vocabulary)
            }
        }
    }

    /// The estimate of a value's JSON text as written.
    func rawCost(_ value: JSONValue) -> Int {
        let range = value.byteRange
        return value.document.storage.bytes.withUnsafeBufferPointer { bytes in
            estimateTextTokens(UnsafeBufferPointer(rebasing: bytes[range]), vocabulary: vocabulary)
        }
    }

    private func textCost(literalOf text: String) -> Int {
        estimateTextTokens(text, vocabulary: vocabulary)
    }
}
