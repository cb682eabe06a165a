import GatewayWire

/// Writes the delta events a policy asked for with `insert_delta`, in the stream's own format, using the
/// ids of the events seen so far so clients accumulate the text like any other delta.
package struct StreamDeltaSynthesizer: Sendable {
    package let api: WireAPI
    private var chatID = "chatcmpl-gateway"
    private var chatModel = ""
    private var chatCreated = 0
    private var responseItemIDs: [UInt32: String] = [:]

    package init(api: WireAPI) { self.api = api }

    /// Remembers the ids of an upstream event (call for every event before synthesising).
    package mutating func observe(_ document: JSONDocument?) {
        guard let root = document?.root, root.kind == .object else { return }
        switch api {
        case .chatCompletions, .embeddings:
            if let id = root["id"]?.string { chatID = id }
            if let model = root["model"]?.string { chatModel = model }
            if let created = root["created"]?.int { chatCreated = created }
        case .responses:
            if let item = root["item_id"]?.string, let index = root["output_index"]?.int {
                responseItemIDs[UInt32(clamping: index)] = item
            }
        }
    }

    /// One SSE event carrying `text` for choice / output item `item`, content part `part`.
    package func event(item: UInt32, part: UInt32, text: String) -> SSEEvent {
        switch api {
        case .chatCompletions, .embeddings:
            let data =
                "{\"id\":\(jsonQuoted(chatID)),\"object\":\"chat.completion.chunk\",\"created\":\(chatCreated),\"model\":\(jsonQuoted(chatModel)),\"choices\":[{\"index\":\(item),\"delta\":{\"content\":\(jsonQuoted(text))},\"finish_reason\":null}]}"
            return SSEEvent(data: data)
        case .responses:
            let itemID = responseItemIDs[item] ?? "msg_gateway"
            let data =
                "{\"type\":\"response.output_text.delta\",\"item_id\":\(jsonQuoted(itemID)),\"output_index\":\(item),\"content_index\":\(part),\"delta\":\(jsonQuoted(text))}"
            return SSEEvent(event: "response.output_text.delta", data: data)
        }
    }
}
