import Foundation
import Logging
import Synchronization

/// What outlives a config generation: the connection and in-flight counts (the listener's limits), the
/// stop switch, metrics, the tracer, the status page's activity and the access log. Every runtime a
/// reload builds shares the one instance made at start.
///
/// Usage:
/// ```swift
/// let services = GatewayServices(config: loaded.config, logger: logger)
/// let runtime = try GatewayRuntime(config: loaded.config, logger: logger, services: services)
/// ```
package final class GatewayServices: Sendable {
    package let traffic: TrafficGauge
    package let stopping = StopSwitch()
    package let metrics: GatewayMetrics
    package let activity = ActivityLog()
    /// nil when `gateway.tracing` is absent.
    package let tracer: GatewayTracer?
    /// Requests refused for a missing or unknown client key since start.
    package let authFailures = Atomic<Int>(0)
    /// Streamed answers being relayed right now.
    package let openStreams = Atomic<Int>(0)
    package let startedAt = Date()
    package let accessLogger: Logger
    /// Rate-limit and budget counters (`state.backend`).
    package let limitState: any LimitState
    /// Every billed attempt's usage and cost (`<data_dir>/usage.sqlite3`); nil when the gateway runs
    /// without one (`validate`, tests).
    package let ledger: UsageLedger?

    package init(
        config: GatewayConfig, metrics: GatewayMetrics = GatewayMetrics(), tracer: GatewayTracer? = nil,
        limitState: any LimitState = MemoryLimitState(), ledger: UsageLedger? = nil
    ) {
        traffic = TrafficGauge(limits: config.gateway.limits)
        self.metrics = metrics
        self.tracer = tracer
        self.limitState = limitState
        self.ledger = ledger
        accessLogger = Logger(label: "gatewayhost.access")
    }
}
