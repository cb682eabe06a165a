/// `gateway:`, gatewayhost's own settings. Every field has a default, so the section may be absent.
struct GatewaySection: Sendable, Equatable {
    /// Without brackets for IPv6 (`::1`).
    var listenHost: String
    /// 0 asks the system for a free port.
    var listenPort: Int
    /// Absolute; a relative `plugins_dir` is resolved against the config file's folder.
    var pluginsDir: String
    var maxBodyBytes: Int
    var maxHeaderBytes: Int
    /// Hard cap on one client exchange, in seconds.
    var requestTimeoutSeconds: Double
    /// Size of the policy hook worker pool; 0 means one per core.
    var policyThreads: Int
    /// Number of curl multi threads.
    var upstreamThreads: Int
    /// When non-empty, every request must carry one of these keys. Empty means client auth is off.
    var clientKeys: [ClientKey]
    var logLevel: LogLevel
    var limits = ConnectionLimits()
}

/// Limits against hostile or broken peers. Every one has a default, so a config need not name them.
struct ConnectionLimits: Sendable, Equatable {
    /// Total time from a request's first byte to the end of its head (not idle time: a client trickling
    /// a header a byte at a time is cut at this deadline).
    var clientHeaderTimeoutSeconds: Double = 10
    /// Total time from the end of a request's head to the end of its body.
    var clientBodyTimeoutSeconds: Double = 60
    /// Open client connections; one more is answered 503 `overloaded` and closed.
    var maxConnections = 10_000
    /// Requests being handled at once (streams included); one more is answered 503 `overloaded`.
    var maxInflightRequests = 1_000
    /// Header lines in one request; more is 431.
    var maxHeaderCount = 100
    /// After SIGTERM: how long in-flight exchanges may take before open streams are ended and the
    /// listener closes (it closes earlier when nothing is in flight).
    var shutdownGraceSeconds: Double = 30
    /// Total duration of one relayed stream, against upstreams that trickle forever.
    var streamMaxSeconds: Double = 3600
}

/// A key a client must present, resolved from the environment at load time.
struct ClientKey: Sendable, Equatable {
    var id: String
    var secret: Secret
}

/// `gateway.log_level`. Raw values match swift-log's `Logger.Level`, so `Logger.Level(rawValue:)` converts.
enum LogLevel: String, Sendable, Equatable, CaseIterable {
    case trace
    case debug
    case info
    case notice
    case warning
    case error
    case critical
}
