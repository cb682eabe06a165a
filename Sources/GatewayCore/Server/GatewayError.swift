import GatewayWire
import HTTPTypes
import Hummingbird

/// An error answered to the client in OpenAI's shape:
/// `{"error": {"message", "type", "param", "code"}}` (plus `policy` for policy blocks, as the reference
/// product does). The official SDKs read `error.message`, `type` and `code` from it and pick the
/// exception class from the status.
package struct GatewayError: Error, Sendable, Equatable {
    package var status: Int
    package var message: String
    package var type: String
    package var code: String?
    package var param: String? = nil
    package var policy: String? = nil
    /// Extra response headers (Allow for 405, Retry-After for 429/503).
    package var headers: [(name: String, value: String)] = []

    package static func == (a: GatewayError, b: GatewayError) -> Bool {
        a.status == b.status && a.message == b.message && a.type == b.type && a.code == b.code
            && a.param == b.param && a.policy == b.policy
    }

    /// The JSON body.
    package var json: String {
        var fields = [
            "\"message\":\(jsonQuoted(message))",
            "\"type\":\(jsonQuoted(type))",
            "\"param\":\(param.map(jsonQuoted) ?? "null")",
            "\"code\":\(code.map(jsonQuoted) ?? "null")",
        ]
        if let policy { fields.append("\"policy\":\(jsonQuoted(policy))") }
        return "{\"error\":{\(fields.joined(separator: ","))}}"
    }

    /// The same error as one SSE event, for failures after a stream's headers went out.
    package var sseEvent: String { "event: error\ndata: \(json)\n\n" }

    // MARK: - the gateway's errors, in one place so statuses and codes stay consistent

    package static func invalidJSON(_ detail: String) -> GatewayError {
        GatewayError(
            status: 400,
            message: "We could not parse the JSON body of your request (\(detail)). The body must be a JSON object.",
            type: "invalid_request_error", code: "invalid_json")
    }

    package static func validation(_ message: String, param: String?) -> GatewayError {
        // 400 invalid_request_error, as OpenAI answers a request of the wrong shape: the SDKs raise
        // BadRequestError for it (a 422 would be UnprocessableEntityError, which no OpenAI answer produces).
        GatewayError(
            status: 400, message: message, type: "invalid_request_error", code: "invalid_request", param: param)
    }

    package static func bodyTooLarge(limit: Int) -> GatewayError {
        GatewayError(
            status: 413, message: "The request body is larger than this gateway's limit of \(limit) bytes.",
            type: "invalid_request_error", code: "request_too_large")
    }

    package static func unknownModel(_ model: String) -> GatewayError {
        GatewayError(
            status: 404,
            message:
                "The model `\(shortened(model))` does not exist on this gateway. GET /v1/models lists the configured models.",
            type: "invalid_request_error", code: "model_not_found", param: "model")
    }

    package static func notFound(_ path: String) -> GatewayError {
        GatewayError(
            status: 404,
            message: "Unknown route \(path). This gateway serves POST /v1/chat/completions, "
                + "POST /v1/responses and GET /v1/models.",
            type: "invalid_request_error", code: "unknown_url")
    }

    package static func methodNotAllowed(_ method: String, _ path: String, allowed: String) -> GatewayError {
        GatewayError(
            status: 405, message: "Method \(method) is not allowed on \(path); use \(allowed).",
            type: "invalid_request_error", code: "method_not_allowed", headers: [("allow", allowed)])
    }

    package static let unauthorized = GatewayError(
        status: 401,
        message: "Missing or invalid API key. Send a gateway key as `Authorization: Bearer <key>`.",
        type: "invalid_request_error", code: "invalid_api_key")

    package static func noTarget(_ detail: String) -> GatewayError {
        GatewayError(
            status: 503, message: "No usable upstream target: \(detail)", type: "upstream_error",
            code: "no_available_target")
    }

    package static func upstreamUnreachable(_ target: String, _ detail: String) -> GatewayError {
        GatewayError(
            status: 502, message: "Upstream target '\(target)' is unreachable: \(detail)", type: "upstream_error",
            code: "upstream_unreachable")
    }

    package static func upstreamTimeout(_ target: String, _ detail: String) -> GatewayError {
        GatewayError(
            status: 504, message: "Upstream target '\(target)' timed out: \(detail)", type: "upstream_error",
            code: "upstream_timeout")
    }

    package static func upstreamFailed(_ target: String, status: Int) -> GatewayError {
        GatewayError(
            status: 502, message: "Upstream target '\(target)' answered HTTP \(status).", type: "upstream_error",
            code: "upstream_error")
    }

    /// The upstream refused the key the gateway holds for a target: the client's request is not at fault,
    /// and the provider's answer (which names the key, masked) is for the operator's log only.
    package static func upstreamAuthFailed(_ target: String, status: Int) -> GatewayError {
        GatewayError(
            status: 502,
            message: "Upstream target '\(target)' refused the gateway's credentials (HTTP \(status)); the gateway"
                + " operator must check the target's key.",
            type: "upstream_error", code: "upstream_auth_failed")
    }

    /// More connections or requests than the configured limits: try again shortly.
    package static let overloaded = GatewayError(
        status: 503, message: "The gateway is handling as many requests as it is configured to; retry shortly.",
        type: "server_error", code: "overloaded", headers: [("retry-after", "1")])

    /// The gateway is stopping and the shutdown grace has passed.
    package static let shuttingDown = GatewayError(
        status: 503, message: "The gateway is shutting down; retry the request.", type: "server_error",
        code: "gateway_shutting_down", headers: [("retry-after", "1")])

    package static func streamCut(_ target: String) -> GatewayError {
        GatewayError(
            status: 502, message: "Upstream target '\(target)' ended the stream before it was complete.",
            type: "upstream_error", code: "stream_truncated")
    }

    package static func policyBlocked(policy: String, payload: DenyPayload) -> GatewayError {
        GatewayError(
            status: payload.status, message: payload.message, type: "policy_violation", code: payload.code,
            policy: policy)
    }

    package static func policyFailed(policy: String) -> GatewayError {
        GatewayError(
            status: 503,
            message: "Policy '\(policy)' failed and is configured fail_closed, so the request was not processed.",
            type: "policy_error", code: "policy_failed", policy: policy)
    }

    package static let notReady = GatewayError(
        status: 503, message: "The gateway is not ready (starting or shutting down).", type: "server_error",
        code: "not_ready")

    package static func `internal`(_ requestID: String) -> GatewayError {
        GatewayError(
            status: 500, message: "Internal gateway error (request \(requestID)).", type: "server_error",
            code: "internal_error")
    }
}

extension GatewayError {
    /// The Hummingbird response carrying this error.
    package func response(requestID: String) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[HTTPField.Name("x-request-id")!] = requestID
        for (name, value) in headers {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = value }
        }
        return Response(
            status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}
