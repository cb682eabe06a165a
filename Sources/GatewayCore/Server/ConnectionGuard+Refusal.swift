import GatewayWire
import NIOHTTP1

extension ConnectionGuard {
    /// Why the guard answers a request itself, and the OpenAI-style error it answers with.
    package enum Refusal {
        case overloaded
        case requestTimeout(String)
        case methodNotAllowed(String)
        case uriTooLong
        case tooManyHeaders(Int)
        case duplicateHost
        case bodyTooLarge(Int)
        case malformed(HTTPParserError)

        package var error: GatewayError {
            switch self {
            case .overloaded:
                return .overloaded
            case .requestTimeout(let detail):
                return GatewayError(
                    status: 408, message: "Request timeout: \(detail).", type: "invalid_request_error",
                    code: "request_timeout")
            case .methodNotAllowed(let method):
                return GatewayError(
                    status: 405, message: "The method \(method) is not supported by this server.",
                    type: "invalid_request_error", code: "method_not_allowed")
            case .uriTooLong:
                return GatewayError(
                    status: 414, message: "The request URL is longer than \(ConnectionGuard.maxURLBytes) bytes.",
                    type: "invalid_request_error", code: "uri_too_long")
            case .tooManyHeaders(let limit):
                return GatewayError(
                    status: 431, message: "The request has more than \(limit) header lines (gateway.max_header_count).",
                    type: "invalid_request_error", code: "request_header_fields_too_large")
            case .duplicateHost:
                return GatewayError(
                    status: 400, message: "The request has more than one Host header.", type: "invalid_request_error",
                    code: "invalid_request")
            case .bodyTooLarge(let limit):
                return .bodyTooLarge(limit: limit)
            case .malformed(let parserError):
                if parserError == .headerOverflow {
                    return GatewayError(
                        status: 431,
                        message: "The request headers are larger than the gateway accepts (gateway.max_header_bytes).",
                        type: "invalid_request_error", code: "request_header_fields_too_large")
                }
                return GatewayError(
                    status: 400, message: "The request is not valid HTTP/1.1 (\(parserError)).",
                    type: "invalid_request_error", code: "malformed_http_request")
            }
        }
    }
}
