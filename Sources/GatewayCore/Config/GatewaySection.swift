import GatewayWire

/// `gateway:`, gatewayhost's own settings. Every field has a default, so the section may be absent.
package struct GatewaySection: Sendable, Equatable {
    /// Without brackets for IPv6 (`::1`).
    package var listenHost: String
    /// 0 asks the system for a free port.
    package var listenPort: Int
    /// Absolute; a relative `plugins_dir` is resolved against the config file's folder.
    package var pluginsDir: String
    package var maxBodyBytes: Int
    package var maxHeaderBytes: Int
    /// Hard cap on one client exchange, in seconds.
    package var requestTimeoutSeconds: Double
    /// Size of the policy hook worker pool; 0 means one per core.
    package var policyThreads: Int
    /// Number of curl multi threads.
    package var upstreamThreads: Int
    /// When non-empty, every request must carry one of these keys. Empty means client auth is off.
    package var clientKeys: [ClientKey]
    package var logLevel: LogLevel
    package var limits = ConnectionLimits()
    /// Where the usage ledger lives (`usage.sqlite3`); absolute, a relative `data_dir` resolved against the
    /// config file's folder.
    package var dataDir = ""
    /// Keys for `/admin`, `/admin/api/*` and `POST /admin/reload`; empty turns those endpoints off (404).
    package var adminKeys: [ClientKey] = []
    package var logFormat: LogFormat = .text
    /// One line per exchange (logger `gatewayhost.access`), in the log format.
    package var accessLog = false
    package var metrics = MetricsSettings()
    /// nil: tracing off.
    package var tracing: TracingSettings?
    /// `inline_hooks` and `inline_hook_budget_us`: hooks of inline-safe plugins on the event loops.
    package var inlineHooks = InlineHooks.standard
}

/// `gateway.log_format`.
package enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case text
    case json
}

/// `gateway.metrics`: where the Prometheus scrape is answered.
package struct MetricsSettings: Sendable, Equatable {
    package var path = "/metrics"
    /// A second listener for the scrape only; nil serves it on the main listener.
    package var listenHost: String?
    package var listenPort: Int?
}

/// `gateway.tracing`: OpenTelemetry traces exported over OTLP/HTTP (protobuf).
package struct TracingSettings: Sendable, Equatable {
    /// The full traces URL, e.g. `http://127.0.0.1:4318/v1/traces`.
    package var endpoint: String
    package var serviceName = "gatewayhost"
    /// The share of new traces recorded (a client's sampled `traceparent` is always followed).
    package var sampleRatio = 1.0
}

/// Limits against hostile or broken peers. Every one has a default, so a config need not name them.
package struct ConnectionLimits: Sendable, Equatable {
    /// Total time from a request's first byte to the end of its head (not idle time: a client trickling
    /// a header a byte at a time is cut at this deadline).
    package var clientHeaderTimeoutSeconds: Double = 10
    /// Total time from the end of a request's head to the end of its body.
    package var clientBodyTimeoutSeconds: Double = 60
    /// Open client connections; one more is answered 503 `overloaded` and closed.
    package var maxConnections = 10_000
    /// Requests being handled at once (streams included); one more is answered 503 `overloaded`.
    package var maxInflightRequests = 1_000
    /// Header lines in one request; more is 431.
    package var maxHeaderCount = 100
    /// After SIGTERM: how long in-flight exchanges may take before open streams are ended and the
    /// listener closes (it closes earlier when nothing is in flight).
    package var shutdownGraceSeconds: Double = 30
    /// Total duration of one relayed stream, against upstreams that trickle forever.
    package var streamMaxSeconds: Double = 3600
}

/// A key a client must present, resolved from the environment at load time.
package struct ClientKey: Sendable, Equatable {
    package var id: String
    package var secret: Secret
    /// Data requirements for this client's exchanges, on top of `providers.requirements`.
    package var requirements = DataRequirements()
    package var limits = RateLimits()
    package var budget = Budget()
}

/// `gateway.log_level`. Raw values match swift-log's `Logger.Level`, so `Logger.Level(rawValue:)` converts.
package enum LogLevel: String, Sendable, Equatable, CaseIterable {
    case trace
    case debug
    case info
    case notice
    case warning
    case error
    case critical
}
