import CoreMetrics
import Foundation
import Prometheus

/// The gateway's metrics, kept in one Prometheus registry for the whole process (they survive config
/// reloads) and written through the swift-metrics API. `GET /metrics` renders the registry.
///
/// Labels never carry text from a request or an answer: `model` is a configured model name or alias (or
/// `other`), `target` and `policy` are configured ids, the rest are fixed sets. So the number of series is
/// bounded by the config: about routes × models × targets × 5 status classes for requests, and
/// policies × 6 hooks × 6 verdicts for verdicts (docs/operations.md lists every metric).
///
/// Usage:
/// ```swift
/// let metrics = GatewayMetrics()
/// metrics.exchangeEnded(ExchangeSummary(...))
/// let text = metrics.render(runtime: store.current)
/// ```
package final class GatewayMetrics: Sendable {
    package let registry: PrometheusCollectorRegistry
    package let factory: PrometheusMetricsFactory
    /// Target gauges currently exported, so a target a reload removed stops being reported.
    private let exportedTargets = Locked<Set<String>>([])

    package init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
            .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        ]
        // Hooks are meant to take microseconds; their histogram starts there.
        factory.durationHistogramBuckets["gatewayhost_policy_hook_duration_seconds"] = [
            .microseconds(10), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        self.registry = registry
        self.factory = factory
    }

    // MARK: - instruments

    // Every exchange updates a dozen series. Asking the Prometheus registry for each one validates the name
    // and labels, sorts and joins them under the registry's lock: several µs per series, per request. The
    // handles are kept here instead, by name and label values (bounded by the config, see above).
    private struct SeriesKey: Hashable {
        let name: String
        let labels: [String]
        init(_ name: String, _ labels: [(String, String)]) {
            self.name = name
            var flat: [String] = []
            flat.reserveCapacity(labels.count * 2)
            for (key, value) in labels {
                flat.append(key)
                flat.append(value)
            }
            self.labels = flat
        }
    }
    private let counters = Locked<[SeriesKey: CoreMetrics.Counter]>([:])
    private let floatingCounters = Locked<[SeriesKey: CoreMetrics.FloatingPointCounter]>([:])
    private let timers = Locked<[SeriesKey: CoreMetrics.Timer]>([:])

    private static func cached<Handle>(
        _ cache: Locked<[SeriesKey: Handle]>, _ key: SeriesKey, make: () -> Handle
    ) -> Handle {
        if let known = cache.withLock({ $0[key] }) { return known }
        let made = make()
        return cache.withLock { handles in
            if let raced = handles[key] { return raced }
            handles[key] = made
            return made
        }
    }

    package func counter(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
        Self.cached(counters, SeriesKey(name, labels)) {
            CoreMetrics.Counter(label: name, dimensions: labels, factory: factory)
        }
    }

    package func floatingCounter(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.FloatingPointCounter
    {
        Self.cached(floatingCounters, SeriesKey(name, labels)) {
            CoreMetrics.FloatingPointCounter(label: name, dimensions: labels, factory: factory)
        }
    }

    package func timer(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Timer {
        Self.cached(timers, SeriesKey(name, labels)) {
            CoreMetrics.Timer(label: name, dimensions: labels, factory: factory)
        }
    }

    package func gauge(_ name: String, _ labels: [(String, String)] = []) -> CoreMetrics.Meter {
        CoreMetrics.Meter(label: name, dimensions: labels, factory: factory)
    }

    // MARK: - events

    /// One exchange ended (or was refused before it started: then `target` is nil).
    package func exchangeEnded(_ summary: ExchangeSummary) {
        let labels = [
            ("route", summary.route), ("model", summary.modelLabel), ("target", summary.target ?? "none"),
            ("status_class", Self.statusClass(summary.status)),
        ]
        counter("gatewayhost_requests_total", labels).increment()
        timer("gatewayhost_request_duration_seconds", [("route", summary.route)]).recordNanoseconds(
            Int64(clamping: summary.durationNanos))
        if let ttfb = summary.firstByteNanos {
            timer("gatewayhost_time_to_first_byte_seconds", [("route", summary.route)]).recordNanoseconds(
                Int64(clamping: ttfb))
        }
        if summary.bytesIn > 0 { counter("gatewayhost_bytes_received_total").increment(by: summary.bytesIn) }
        if summary.bytesOut > 0 { counter("gatewayhost_bytes_sent_total").increment(by: summary.bytesOut) }
    }

    package func attempt(target: String, outcome: String) {
        counter("gatewayhost_upstream_attempts_total", [("target", target), ("outcome", outcome)]).increment()
    }

    package func reload(ok: Bool) {
        counter("gatewayhost_config_reloads_total", [("result", ok ? "ok" : "failed")]).increment()
    }

    package func clientAuthFailure() { counter("gatewayhost_client_auth_failures_total").increment() }

    // MARK: - scrape

    /// The Prometheus text exposition, with the gauges read from `runtime` (the current generation) and
    /// `traffic` at scrape time.
    package func render(runtime: GatewayRuntime, generation: Int, traffic: TrafficGauge, openStreams: Int) -> [UInt8] {
        gauge("gatewayhost_inflight_requests").set(traffic.inflight.load(ordering: .relaxed))
        gauge("gatewayhost_open_connections").set(traffic.connections.load(ordering: .relaxed))
        gauge("gatewayhost_open_streams").set(openStreams)
        gauge("gatewayhost_config_generation").set(generation)
        let now = MonotonicClock.nanos()
        var ids = Set<String>()
        for target in runtime.pool.targets {
            ids.insert(target.id)
            let health = target.health
            let up = target.unavailableReason == nil && health.probeHealthy
            gauge("gatewayhost_target_healthy", [("target", target.id)]).set(up ? 1 : 0)
            let phase = health.breaker.phase(now: now)
            gauge("gatewayhost_target_breaker_state", [("target", target.id)]).set(Self.breakerValue(phase.rawValue))
        }
        let gone = exportedTargets.withLock { exported -> Set<String> in
            let gone = exported.subtracting(ids)
            exported = ids
            return gone
        }
        for id in gone {
            gauge("gatewayhost_target_healthy", [("target", id)]).destroy()
            gauge("gatewayhost_target_breaker_state", [("target", id)]).destroy()
        }
        return registry.emitToBuffer()
    }

    package static func statusClass(_ status: Int) -> String {
        switch status {
        case 100..<200: "1xx"
        case 200..<300: "2xx"
        case 300..<400: "3xx"
        case 400..<500: "4xx"
        default: "5xx"
        }
    }

    /// 0 closed, 1 half open, 2 open.
    package static func breakerValue(_ phase: String) -> Int {
        switch phase {
        case "open": 2
        case "half_open": 1
        default: 0
        }
    }
}

/// What the metrics, the access log and the status page need from one finished exchange.
package struct ExchangeSummary: Sendable {
    package var requestID: String
    package var route: String
    package var clientID: String
    /// The requested model as sent (for logs only: labels use `modelLabel`).
    package var model: String
    /// The model if the config knows it, else `other`: a label must not take values from the client.
    package var modelLabel: String
    package var target: String?
    package var generation: Int
    package var status: Int
    package var endReason: String
    package var stream: Bool
    package var durationNanos: UInt64
    package var firstByteNanos: UInt64?
    package var bytesIn: Int
    package var bytesOut: Int
    package var attempts: [AttemptRecord]
    package var verdicts: [Exchange.Verdict]
    /// The policy that blocked or failed the exchange, and the error code the client got.
    package var policy: String?
    package var code: String?
    package var usageJSON: String?
    /// USD of the answering attempt, when the target has prices or the provider reported a cost.
    package var costUSD: Double?
    package var estimatedUsage = false
}
