import GatewayWire

/// One HTTP request to an upstream provider. Headers are sent as given (the caller strips hop-by-hop headers);
/// curl adds only Host, Content-Length and, for TLS upstreams, HTTP/2 negotiation.
package struct UpstreamRequest: Sendable {
    /// `http://` or `https://` only; other schemes are refused by curl.
    package var url: String
    package var method: String = "POST"
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]
    /// Seconds to establish the TCP (and TLS) connection.
    package var connectTimeout: Double = 10
    /// Seconds for the whole exchange, body included. For non-streamed calls; nil means none.
    package var totalTimeout: Double?
    /// Maximum seconds between received bytes (time to the first byte included). Time the transfer spends paused
    /// because the consumer is slow does not count. For streams; nil means none.
    package var idleTimeout: Double?

    package init(
        url: String, method: String = "POST", headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        connectTimeout: Double = 10, totalTimeout: Double? = nil, idleTimeout: Double? = nil
    ) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.idleTimeout = idleTimeout
    }
}
