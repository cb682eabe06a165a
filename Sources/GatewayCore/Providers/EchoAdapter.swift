import Foundation
import GatewayWire

/// The built-in `echo` provider: answers locally and deterministically in OpenAI's format (JSON or SSE),
/// with "echo: " and the last user text. It needs no network and no key, so a fresh checkout runs, and
/// everything the policy chain does is visible in the answer.
package struct EchoAdapter: ProviderAdapter {
    package let name = "echo"
    package let answersLocally = true

    package func defaults(for provider: String) -> ProviderDefaults {
        ProviderDefaults(baseURL: nil, keyOptional: true)
    }

    package func upstreamRequest(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext)
        throws(GatewayError) -> UpstreamRequest
    {
        // Never reached: the router asks `localAnswer` first. Kept total rather than trapping.
        throw GatewayError.noTarget("target '\(target.id)' is local (echo) and makes no upstream request")
    }

    package func localAnswer(for target: Target, api: WireAPI, body: [UInt8], context: UpstreamContext)
        -> UpstreamResponse?
    {
        guard let document = try? JSONDocument(parsing: body) else {
            let error =
                #"{"error":{"message":"echo: the request body is not JSON","type":"invalid_request_error","param":null,"code":null}}"#
            return UpstreamResponse(
                status: 400, headers: [("content-type", "application/json")],
                body: UpstreamBody(bytes: Array(error.utf8)))
        }
        let bytes = answer(
            api: api, document: document, model: target.model, stream: context.stream, requestID: context.requestID)
        let contentType = context.stream ? "text/event-stream" : "application/json"
        return UpstreamResponse(status: 200, headers: [("content-type", contentType)], body: UpstreamBody(bytes: bytes))
    }

    /// The reply to `document`, as a JSON body or as SSE chunks.
    package func answer(api: WireAPI, document: JSONDocument, model: String, stream: Bool, requestID: String) -> [UInt8]
    {
        let text = "echo: " + Self.lastUserText(document, api: api)
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        let promptTokens = max(1, document.bytes.count / 4)
        let completionTokens = words.count
        let id = Substring("echo-" + requestID.filter { $0.isLetter || $0.isNumber }.prefix(24))
        let created = Int(Date().timeIntervalSince1970)
        let usageChat =
            "{\"prompt_tokens\":\(promptTokens),\"completion_tokens\":\(completionTokens),\"total_tokens\":\(promptTokens + completionTokens)}"
        let usageResponses =
            "{\"input_tokens\":\(promptTokens),\"output_tokens\":\(completionTokens),\"total_tokens\":\(promptTokens + completionTokens)}"
        let m = jsonQuoted(model)
        switch (api, stream) {
        case (.embeddings, _):
            return Self.embeddings(document, model: model)
        case (.chatCompletions, false):
            return Array(
                "{\"id\":\"chatcmpl-\(id)\",\"object\":\"chat.completion\",\"created\":\(created),\"model\":\(m),\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\(jsonQuoted(text))},\"finish_reason\":\"stop\"}],\"usage\":\(usageChat)}"
                    .utf8)
        case (.chatCompletions, true):
            let head =
                "{\"id\":\"chatcmpl-\(id)\",\"object\":\"chat.completion.chunk\",\"created\":\(created),\"model\":\(m),"
            var out =
                "data: " + head
                + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
            for (index, word) in words.enumerated() {
                let piece = index == 0 ? word : " " + word
                out +=
                    "data: " + head
                    + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\(jsonQuoted(piece))},\"finish_reason\":null}]}\n\n"
            }
            out += "data: " + head + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
            if Self.includeUsage(document) {
                out += "data: " + head + "\"choices\":[],\"usage\":\(usageChat)}\n\n"
            }
            out += "data: [DONE]\n\n"
            return Array(out.utf8)
        case (.responses, false):
            return Array(
                Self.responseObject(id: id, model: m, text: text, created: created, usage: usageResponses).utf8)
        case (.responses, true):
            var sequence = 0
            var out = ""
            func emit(_ type: String, _ fields: String) {
                out += "event: \(type)\ndata: {\"type\":\"\(type)\",\"sequence_number\":\(sequence),\(fields)}\n\n"
                sequence += 1
            }
            let inProgress = Self.responseObject(
                id: id, model: m, text: nil, created: created, usage: "null", status: "in_progress")
            emit("response.created", "\"response\":\(inProgress)")
            emit("response.in_progress", "\"response\":\(inProgress)")
            let item = "\"item_id\":\"msg_\(id)\",\"output_index\":0"
            emit(
                "response.output_item.added",
                "\"output_index\":0,\"item\":{\"id\":\"msg_\(id)\",\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]}"
            )
            emit(
                "response.content_part.added",
                "\(item),\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\",\"annotations\":[]}")
            for (index, word) in words.enumerated() {
                emit(
                    "response.output_text.delta",
                    "\(item),\"content_index\":0,\"delta\":\(jsonQuoted(index == 0 ? word : " " + word))")
            }
            emit("response.output_text.done", "\(item),\"content_index\":0,\"text\":\(jsonQuoted(text))")
            emit(
                "response.content_part.done",
                "\(item),\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\(jsonQuoted(text)),\"annotations\":[]}"
            )
            emit(
                "response.output_item.done",
                "\"output_index\":0,\"item\":\(Self.messageItem(id: id, text: text))")
            emit(
                "response.completed",
                "\"response\":\(Self.responseObject(id: id, model: m, text: text, created: created, usage: usageResponses))"
            )
            return Array(out.utf8)
        }
    }

    private static func messageItem(id: Substring, text: String) -> String {
        "{\"id\":\"msg_\(id)\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\(jsonQuoted(text)),\"annotations\":[]}]}"
    }

    private static func responseObject(
        id: Substring, model: String, text: String?, created: Int, usage: String, status: String = "completed"
    ) -> String {
        let output = text.map { "[" + messageItem(id: id, text: $0) + "]" } ?? "[]"
        return
            "{\"id\":\"resp_\(id)\",\"object\":\"response\",\"created_at\":\(created),\"status\":\"\(status)\",\"model\":\(model),\"output\":\(output),\"parallel_tool_calls\":true,\"tool_choice\":\"auto\",\"tools\":[],\"usage\":\(usage)}"
    }

    private static func includeUsage(_ document: JSONDocument) -> Bool {
        document.root["stream_options"]?["include_usage"]?.bool == true
    }

    /// The text of the last user message / input item (all its text parts joined by a space).
    package static func lastUserText(_ document: JSONDocument, api: WireAPI) -> String {
        let segments = GatewayWire.segments(of: document, phase: .request(api))
        guard let last = segments.last(where: { $0.role == "user" }) else { return "" }
        return segments.filter { $0.role == "user" && $0.itemIndex == last.itemIndex }.map(\.text).joined(
            separator: " ")
    }
}
