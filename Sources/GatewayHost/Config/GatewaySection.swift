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
