import GatewayWire
import Logging
import PolicyABI

/// Reports one finished exchange everywhere an operator looks: metrics, the status page's activity, the
/// access log line (`gateway.access_log`) and the trace's root span. Metadata only: ids, statuses,
/// counts and times, never prompt or answer text.
///
/// Usage:
/// ```swift
/// ExchangeReport.report(run, runtime: lease.runtime)   // once, when the exchange's ticket goes
/// ExchangeReport.refused(summary, runtime: runtime)    // a request refused before the chain started
/// ```
package enum ExchangeReport {
    package static func report(_ run: ChainRun, runtime: GatewayRuntime) {
        let exchange = run.exchange
        let state = exchange.state.withLock { $0 }
        let reason = run.endReason.map(endReasonName) ?? "unknown"
        // A stream a policy stopped mid-way has no error answer: its verdicts name the policy.
        let blocker =
            state.blockedPolicy
            ?? state.verdicts.last { $0.verdict == "deny" || $0.verdict == "error" }?.policy
        let usage = exchange.usage()
        let billed = ExchangeUsage(exchange: exchange, state: state, usageJSON: usage, runtime: runtime)
        settle(billed, state: state, exchange: exchange, runtime: runtime)
        let summary = ExchangeSummary(
            requestID: exchange.requestID, route: exchange.route, clientID: exchange.clientID, model: state.model,
            modelLabel: runtime.pool.modelNames.contains(state.model) ? state.model : "other",
            target: state.targetID, generation: runtime.generation, status: state.status ?? 499, endReason: reason,
            stream: exchange.stream, durationNanos: MonotonicClock.nanos() &- exchange.startNanos,
            firstByteNanos: state.firstByteNanos.map { $0 &- exchange.startNanos }, bytesIn: state.bytesIn,
            bytesOut: state.bytesOut, attempts: state.attempts, verdicts: state.verdicts, policy: blocker,
            code: state.errorCode, usageJSON: usage, costUSD: billed.cost,
            estimatedUsage: billed.figures?.estimated ?? false)
        publish(summary, runtime: runtime)
        if let trace = exchange.trace {
            trace.set("gatewayhost.target", state.targetID ?? "")
            trace.set("gatewayhost.generation", runtime.generation)
            trace.finish(status: summary.status, reason: reason)
        }
    }

    /// Usage into the ledger and the metrics; the limits' windows corrected and the budgets charged.
    private static func settle(
        _ billed: ExchangeUsage, state: Exchange.State, exchange: Exchange, runtime: GatewayRuntime
    ) {
        let services = runtime.services
        for record in billed.records {
            services.ledger?.append(record)
            let labels = [
                ("client", exchange.clientID),
                ("model", runtime.pool.modelNames.contains(record.model) ? record.model : "other"),
                ("target", record.target),
            ]
            services.metrics.counter("gatewayhost_tokens_total", labels + [("direction", "input")])
                .increment(by: record.promptTokens)
            services.metrics.counter("gatewayhost_tokens_total", labels + [("direction", "output")])
                .increment(by: record.completionTokens)
            if record.costUSD > 0 {
                services.metrics.floatingCounter("gatewayhost_cost_usd_total", labels).increment(by: record.costUSD)
            }
        }
        guard let admission = state.limitAdmission else { return }
        let limiter = runtime.limiter
        let tokens = billed.figures?.totalTokens
        let cost = billed.totalCost
        Task { await limiter.finish(admission, tokens: tokens, cost: cost) }
    }

    /// A request answered before any policy saw it (bad key, bad JSON, overload).
    package static func refused(
        requestID: String, route: String, clientID: String, status: Int, code: String?, bytesIn: Int,
        startNanos: UInt64, runtime: GatewayRuntime
    ) {
        let summary = ExchangeSummary(
            requestID: requestID, route: route, clientID: clientID, model: "", modelLabel: "none", target: nil,
            generation: runtime.generation, status: status, endReason: "refused", stream: false,
            durationNanos: MonotonicClock.nanos() &- startNanos, firstByteNanos: nil, bytesIn: bytesIn, bytesOut: 0,
            attempts: [], verdicts: [], policy: nil, code: code, usageJSON: nil, costUSD: nil, estimatedUsage: false)
        publish(summary, runtime: runtime)
    }

    private static func publish(_ summary: ExchangeSummary, runtime: GatewayRuntime) {
        let services = runtime.services
        services.metrics.exchangeEnded(summary)
        for attempt in summary.attempts {
            services.metrics.attempt(target: attempt.target, outcome: attempt.outcome)
        }
        services.activity.record(summary)
        if runtime.config.gateway.accessLog {
            services.accessLogger.info("access", metadata: accessMetadata(summary))
        }
    }

    /// The access line's fields (in text format `key=value`, in JSON format members of the object).
    static func accessMetadata(_ s: ExchangeSummary) -> Logger.Metadata {
        var fields: Logger.Metadata = [
            "request_id": .string(s.requestID), "client_id": .string(s.clientID), "route": .string(s.route),
            "model": .string(s.model), "status": .stringConvertible(s.status), "end_reason": .string(s.endReason),
            "stream": .stringConvertible(s.stream), "generation": .stringConvertible(s.generation),
            "latency_ms": .stringConvertible(Double(s.durationNanos / 1000) / 1000),
            "bytes_in": .stringConvertible(s.bytesIn), "bytes_out": .stringConvertible(s.bytesOut),
            "attempts": .stringConvertible(s.attempts.filter(\.reachedUpstream).count),
        ]
        if let target = s.target { fields["target"] = .string(target) }
        if let ttfb = s.firstByteNanos { fields["ttft_ms"] = .stringConvertible(Double(ttfb / 1000) / 1000) }
        if let policy = s.policy { fields["policy"] = .string(policy) }
        if let code = s.code { fields["code"] = .string(code) }
        if !s.verdicts.isEmpty {
            fields["verdicts"] = .array(s.verdicts.map { .string("\($0.policy):\($0.hook):\($0.verdict)") })
        }
        if let cost = s.costUSD { fields["cost_usd"] = .stringConvertible(cost) }
        if s.estimatedUsage { fields["usage_estimated"] = .stringConvertible(true) }
        if let usage = s.usageJSON, let document = try? JSONDocument(parsing: Array(usage.utf8)) {
            for key in ["prompt_tokens", "completion_tokens", "input_tokens", "output_tokens", "total_tokens"] {
                if let value = document.root[key]?.int { fields[key] = .stringConvertible(value) }
            }
        }
        return fields
    }

    package static func endReasonName(_ reason: pab_end_reason) -> String {
        switch reason {
        case PAB_END_COMPLETED: "completed"
        case PAB_END_UPSTREAM_ERROR: "upstream_error"
        case PAB_END_CLIENT_DISCONNECT: "client_disconnect"
        case PAB_END_DENIED: "denied"
        case PAB_END_TIMEOUT: "timeout"
        case PAB_END_HOST_SHUTDOWN: "host_shutdown"
        case PAB_END_POLICY_ERROR: "policy_error"
        case PAB_END_REJECTED: "rejected"
        default: "unknown"
        }
    }
}
