/// Bedrock's error answers → the OpenAI error the client gets.
///
/// Bedrock (AWS restJson1) names the error in the `x-amzn-errortype` header (`ThrottlingException:http://...`)
/// and puts `{"message": "..."}` (some front ends: `"Message"`, sometimes with `"__type"`) in the body.
/// `ChatTranslator.error(status:body:)` sees the status and the body only, so the mapping goes by status,
/// refined by the type when one is known (the body's `__type`, or `errorType` when the caller has the header):
///
/// | Bedrock                                   | status | OpenAI type           | code                  |
/// |-------------------------------------------|--------|-----------------------|-----------------------|
/// | ValidationException (400)                 | 400    | invalid_request_error | –                     |
/// | ServiceQuotaExceededException (400)       | 400    | invalid_request_error | service_quota_exceeded|
/// | UnrecognizedClient / InvalidSignature / ExpiredToken… (403) | 403 | authentication_error | invalid_api_key |
/// | AccessDeniedException (403)               | 403    | permission_error      | –                     |
/// | ResourceNotFoundException (404)           | 404    | not_found_error       | model_not_found       |
/// | ModelTimeoutException (408)               | 408    | server_error          | timeout               |
/// | ModelErrorException (424)                 | 502    | server_error          | model_error           |
/// | ThrottlingException (429)                 | 429    | rate_limit_error      | rate_limit_exceeded   |
/// | ModelNotReadyException (429)              | 429    | rate_limit_error      | model_not_ready       |
/// | InternalServerException (500)             | 500    | server_error          | –                     |
/// | ServiceUnavailableException (503)         | 503    | server_error          | service_unavailable   |
///
/// 424 (the model itself failed) is not a status an OpenAI SDK knows: it becomes 502, a failed upstream,
/// as OpenAI-compatible gateways answer it. Other statuses keep their class: 4xx → invalid_request_error,
/// 5xx → server_error, anything else → 502.
///
/// Usage:
/// ```swift
/// let error = BedrockErrors.translate(status: 429, body: Array(#"{"message":"Too many requests"}"#.utf8))
/// // 429 rate_limit_error rate_limit_exceeded "Too many requests"
/// ```
package enum BedrockErrors {
    package static func translate(status: Int, body: [UInt8], errorType: String? = nil) -> TranslatedError {
        let root = (try? JSONDocument(parsing: body))?.root
        let message = root?["message"]?.string ?? root?["Message"]?.string
        let type = (errorType ?? root?["__type"]?.string).map(shortType)
        let outgoing = (400...599).contains(status) ? (status == 424 ? 502 : status) : 502
        var mapped: (type: String, code: String?) =
            switch status {
            case 401, 403: ("authentication_error", "invalid_api_key")
            case 404: ("not_found_error", "model_not_found")
            case 408: ("server_error", "timeout")
            case 424: ("server_error", "model_error")
            case 429: ("rate_limit_error", "rate_limit_exceeded")
            case 503: ("server_error", "service_unavailable")
            case 400..<500: ("invalid_request_error", nil)
            default: ("server_error", nil)
            }
        switch type {
        // Bedrock's own refusal of an allowed-but-not-granted model; every other 403 is about the
        // credentials (a bad key, a bad signature, an expired token).
        case "AccessDeniedException": mapped = ("permission_error", nil)
        case "ServiceQuotaExceededException": mapped = ("invalid_request_error", "service_quota_exceeded")
        case "ModelNotReadyException": mapped = ("rate_limit_error", "model_not_ready")
        default: break
        }
        if status == 403 && type == nil {
            // Without the type, 403 is most often AccessDeniedException ("You don't have access to the
            // model"); the credential errors say so in their message.
            let credentials = ["signature", "security token", "credential", "expired"].contains {
                message?.lowercased().contains($0) == true
            }
            if !credentials { mapped = ("permission_error", nil) }
        }
        return TranslatedError(
            status: outgoing, type: mapped.type, code: mapped.code,
            message: message ?? "Bedrock answered HTTP \(status)" + (type.map { " (\($0))" } ?? "") + excerpt(body))
    }

    /// `com.amazon.coral.service#UnrecognizedClientException` or `ThrottlingException:http://internal...` →
    /// the bare type name.
    private static func shortType(_ raw: String) -> String {
        var name = Substring(raw)
        if let hash = name.lastIndex(of: "#") { name = name[name.index(after: hash)...] }
        if let colon = name.firstIndex(of: ":") { name = name[..<colon] }
        return String(name)
    }

    /// ": <the start of the body, on one line>", or "" for an empty body.
    private static func excerpt(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ")
        guard !text.allSatisfy(\.isWhitespace) else { return "" }
        return ": " + text + (body.count > 200 ? "…" : "")
    }
}
