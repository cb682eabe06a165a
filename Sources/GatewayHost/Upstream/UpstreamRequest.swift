/// One HTTP request to an upstream provider. Headers are sent as given (the caller strips hop-by-hop headers);
/// curl adds only Host, Content-Length and, for TLS upstreams, HTTP/2 negotiation.
struct UpstreamRequest: Sendable {
    /// `http://` or `https://` only; other schemes are refused by curl.
    var url: String
    var method: String = "POST"
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// Seconds to establish the TCP (and TLS) connection.
    var connectTimeout: Double = 10
    /// Seconds for the whole exchange, body included. For non-streamed calls; nil means none.
    var totalTimeout: Double?
    /// Maximum seconds between received bytes (time to the first byte included). Time the transfer spends paused
    /// because the consumer is slow does not count. For streams; nil means none.
    var idleTimeout: Double?

    init(
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
