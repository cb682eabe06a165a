import CCurl
import GatewayWire

/// Why an upstream exchange failed. Messages come from curl's error text only: never request headers (they carry
/// API keys), bodies or the URL (some providers put keys in the query string).
package enum UpstreamError: Error, Sendable, Equatable {
    /// No connection could be made: DNS, refused, proxy, TLS handshake or certificate verification. Answer 502.
    case couldNotConnect(String)
    /// The connect timeout, the total timeout or the idle timeout expired. Answer 504.
    case timedOut(String)
    /// The exchange failed after connecting: reset, truncated body, protocol error, bad request setup. Answer 502.
    case transfer(String)
    /// The body is larger than the caller allowed (`UpstreamResponse.collect(upTo:)`).
    case tooLarge
    /// The consumer cancelled (cancel(), Task cancellation, dropped body) or the client was shut down.
    case cancelled

    /// The status a gateway should answer its own client with when this error ends an exchange.
    package var gatewayStatus: Int {
        switch self {
        case .couldNotConnect, .transfer: 502
        case .timedOut: 504
        case .tooLarge: 502
        case .cancelled: 499  // the client went away; nobody reads this answer
        }
    }
}

extension UpstreamError {
    /// Classifies a finished transfer's curl result. `detail` is curl's error buffer text (may be empty).
    package static func fromCurl(_ code: CURLcode, detail: String) -> UpstreamError {
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut(message)
        case CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_CONNECT, CURLE_PROXY,
            CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return .couldNotConnect(message)
        default:
            return .transfer(message)
        }
    }
}
