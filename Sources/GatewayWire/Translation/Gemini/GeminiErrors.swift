/// A Google API error answer (`{"error": {"code": 400, "message": "...", "status": "INVALID_ARGUMENT",
/// "details": [{"@type": "...ErrorInfo", "reason": "API_KEY_INVALID"}]}}`, sometimes wrapped in an array
/// by the non-SSE stream endpoint) → OpenAI's error shape.
///
/// The HTTP status is kept, except that a refused API key is 401 `authentication_error` /
/// `invalid_api_key` whatever Gemini answered (it answers 400 INVALID_ARGUMENT with reason
/// API_KEY_INVALID for a wrong key, 403 PERMISSION_DENIED for a missing or blocked one): the gateway then
/// reports its own key's failure as it does for every provider. `code` is Google's status in lower case
/// (`invalid_argument`, `resource_exhausted`, ...).
///
/// Usage:
/// ```swift
/// let error = GeminiErrors.translate(status: 429, body: upstreamBody)   // 429 rate_limit_error
/// ```
package enum GeminiErrors {
    /// `reason`s of Google's ErrorInfo that mean the key itself was refused.
    static let keyReasons: Set<String> = ["API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED"]

    package static func translate(status: Int, body: [UInt8]) -> TranslatedError {
        var error: JSONValue?
        if let document = try? JSONDocument(parsing: body) {
            let root = document.root
            error = root["error"] ?? root[0]?["error"]
        }
        let googleStatus = error?["status"]?.string
        let message =
            error?["message"]?.string
            ?? "Gemini answered HTTP \(status)\(body.isEmpty ? "" : ": " + String(decoding: body.prefix(500), as: UTF8.self))"
        var reasons: [String] = []
        if let details = error?["details"] {
            for detail in details.items {
                if let reason = detail["reason"]?.string { reasons.append(reason) }
            }
        }
        if reasons.contains(where: keyReasons.contains) || (googleStatus == "UNAUTHENTICATED") || status == 401
            || (status == 403 && googleStatus == "PERMISSION_DENIED" && message.caseInsensitiveContains("api key"))
        {
            return TranslatedError(status: 401, type: "authentication_error", code: "invalid_api_key", message: message)
        }
        let code = googleStatus?.lowercased()
        let httpStatus = status >= 400 ? status : httpStatus(of: googleStatus)
        return TranslatedError(status: httpStatus, type: type(httpStatus), code: code, message: message)
    }

    /// OpenAI's error type for a status.
    static func type(_ status: Int) -> String {
        switch status {
        case 400, 409, 412, 413, 422: "invalid_request_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        default: status >= 500 ? "server_error" : "invalid_request_error"
        }
    }

    /// Google's canonical HTTP status of a status name (for an error event that came without one).
    static func httpStatus(of name: String?) -> Int {
        switch name {
        case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE": 400
        case "UNAUTHENTICATED": 401
        case "PERMISSION_DENIED": 403
        case "NOT_FOUND": 404
        case "ALREADY_EXISTS", "ABORTED": 409
        case "RESOURCE_EXHAUSTED": 429
        case "CANCELLED": 499
        case "UNIMPLEMENTED": 501
        case "UNAVAILABLE": 503
        case "DEADLINE_EXCEEDED": 504
        default: 500
        }
    }
}

extension String {
    /// Case-insensitive containment (enough for "API key" in Google's English messages).
    fileprivate func caseInsensitiveContains(_ needle: String) -> Bool {
        lowercased().contains(needle.lowercased())
    }
}
