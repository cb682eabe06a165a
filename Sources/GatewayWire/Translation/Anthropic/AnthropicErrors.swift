/// Anthropic's error answers (`{"type": "error", "error": {"type", "message"}, "request_id"}`) → the
/// OpenAI error the client gets.
///
/// | Anthropic                    | status | OpenAI type             | code                |
/// |------------------------------|--------|-------------------------|---------------------|
/// | invalid_request_error (400)  | 400    | invalid_request_error   | –                   |
/// | authentication_error (401)   | 401    | authentication_error    | invalid_api_key     |
/// | permission_error (403)       | 403    | permission_error        | –                   |
/// | not_found_error (404)        | 404    | not_found_error         | model_not_found     |
/// | request_too_large (413)      | 413    | invalid_request_error   | request_too_large   |
/// | rate_limit_error (429)       | 429    | rate_limit_error        | rate_limit_exceeded |
/// | api_error (500)              | 500    | server_error            | –                   |
/// | overloaded_error (529)       | 503    | server_error            | overloaded          |
///
/// 529 is not an HTTP status an OpenAI SDK knows; 503 is what OpenAI itself answers when overloaded and
/// what the SDKs retry and raise as a server error. The received status is otherwise kept (Anthropic may
/// use a type for several statuses). A body that is not Anthropic's error shape still yields an error of
/// the status's class, with the start of the body as its message.
///
/// Usage:
/// ```swift
/// let error = AnthropicErrors.translate(status: 429, body: bytes)  // 429 rate_limit_error
/// ```
package enum AnthropicErrors {
    package static func translate(status: Int, body: [UInt8]) -> TranslatedError {
        let document = try? JSONDocument(parsing: body)
        let error = document?.root["error"]
        guard let error, let type = error["type"]?.string else {
            return TranslatedError(
                status: outgoing(status), type: fallbackType(status), code: status == 529 ? "overloaded" : nil,
                message: "Anthropic answered HTTP \(status)" + excerpt(body))
        }
        let message = error["message"]?.string ?? "Anthropic answered HTTP \(status) (\(type))"
        let mapped: (status: Int, type: String, code: String?)? =
            switch type {
            case "invalid_request_error": (400, "invalid_request_error", nil)
            case "authentication_error": (401, "authentication_error", "invalid_api_key")
            case "permission_error": (403, "permission_error", nil)
            case "not_found_error": (404, "not_found_error", "model_not_found")
            case "request_too_large": (413, "invalid_request_error", "request_too_large")
            case "rate_limit_error": (429, "rate_limit_error", "rate_limit_exceeded")
            case "api_error": (500, "server_error", nil)
            case "overloaded_error": (503, "server_error", "overloaded")
            // Not in the reference's table but sent: an exhausted credit balance, a timed-out request.
            case "billing_error": (402, "insufficient_quota", "billing_error")
            case "timeout_error": (504, "server_error", "timeout")
            default: nil
            }
        guard let mapped else {
            return TranslatedError(status: outgoing(status), type: fallbackType(status), code: type, message: message)
        }
        let keepsStatus = (400...599).contains(status) && status != 529
        return TranslatedError(
            status: type == "overloaded_error" ? 503 : (keepsStatus ? status : mapped.status), type: mapped.type,
            code: mapped.code, message: message)
    }

    private static func outgoing(_ status: Int) -> Int {
        if status == 529 { return 503 }
        return (400...599).contains(status) ? status : 502
    }

    private static func fallbackType(_ status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 400..<500: "invalid_request_error"
        default: "server_error"
        }
    }

    /// ": <the first 200 characters of the body>", or "" for an empty body.
    private static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(800), as: UTF8.self).trimmingWhitespace()
        guard !text.isEmpty else { return "" }
        return ": " + (text.count > 200 ? String(text.prefix(200)) + "…" : text)
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
