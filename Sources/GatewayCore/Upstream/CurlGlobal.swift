import CCurl
import GatewayWire

/// Process-wide libcurl initialisation. curl_global_init must run once, before any other curl call and (on
/// libcurl < 7.84) while no other thread uses curl; a static `let` initialiser runs exactly once, thread-safely.
package enum CurlGlobal {
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Runs curl_global_init on first use. Returns false if it failed (out of memory, TLS library failure).
    @discardableResult
    package static func ensureInitialized() -> Bool { initialized }
}
