import CoreMetrics

/// One policy instance's metrics, made once when the chain is built so that a hook call costs no
/// registry lookup: hook latency per hook, verdicts per hook and verdict, timeouts and failures, and the
/// plugin's own counters (`gatewayhost_policy_counter_total{policy,name}`).
///
/// Usage:
/// ```swift
/// let telemetry = PolicyTelemetry(policy: "pii", metrics: metrics)
/// telemetry.hookFinished(.request, nanos: 1_200)
/// telemetry.verdict(.request, "deny")
/// ```
package final class PolicyTelemetry: Sendable {
    package static let maxPluginCounters = 64
    private let policy: String
    private let metrics: GatewayMetrics
    private let hookTimers: [String: CoreMetrics.Timer]
    private let verdicts = Locked<[String: CoreMetrics.Counter]>([:])
    private let pluginCounters = Locked<[CoreMetrics.Counter?]>([])

    package init(policy: String, metrics: GatewayMetrics) {
        self.policy = policy
        self.metrics = metrics
        let phases: [HookPhase] = [.begin, .request, .response, .streamChunk, .streamEnd, .end]
        var timers: [String: CoreMetrics.Timer] = [:]
        for phase in phases {
            timers[phase.rawValue] = metrics.timer(
                "gatewayhost_policy_hook_duration_seconds", [("policy", policy), ("hook", phase.rawValue)])
        }
        hookTimers = timers
    }

    package func hookFinished(_ phase: HookPhase, nanos: UInt64) {
        hookTimers[phase.rawValue]?.recordNanoseconds(Int64(clamping: nanos))
    }

    /// The instance broke its inline promise (`InlineStatus`): it runs on the policy threads from now on.
    package func inlineDemoted() {
        metrics.counter("gatewayhost_policy_inline_demotions_total", [("policy", policy)]).increment()
    }

    package func verdict(_ phase: HookPhase, _ verdict: String) {
        let key = phase.rawValue + "/" + verdict
        let counter = verdicts.withLock { cache -> CoreMetrics.Counter in
            if let known = cache[key] { return known }
            let made = metrics.counter(
                "gatewayhost_policy_verdicts_total",
                [("policy", policy), ("hook", phase.rawValue), ("verdict", verdict)])
            cache[key] = made
            return made
        }
        counter.increment()
    }

    /// A hook failed; `mode` is the policy's fail mode (`fail_open` / `fail_closed`).
    package func failure(timeout: Bool, mode: String) {
        if timeout { metrics.counter("gatewayhost_policy_timeouts_total", [("policy", policy)]).increment() }
        metrics.counter("gatewayhost_policy_failures_total", [("policy", policy), ("mode", mode)]).increment()
    }

    /// The plugin defined counter `id` named `name` (ids are dense, from 0). Beyond `maxPluginCounters`
    /// names a plugin's counters are still counted for `plugins check`, but not exported.
    package func definePluginCounter(id: UInt32, name: String) {
        pluginCounters.withLock { list in
            while list.count <= Int(id) { list.append(nil) }
            guard list[Int(id)] == nil, Int(id) < Self.maxPluginCounters else { return }
            list[Int(id)] = metrics.counter("gatewayhost_policy_counter_total", [("policy", policy), ("name", name)])
        }
    }

    package func addPluginCounter(id: UInt32, delta: UInt64) {
        guard delta > 0, let counter = pluginCounters.withLock({ Int(id) < $0.count ? $0[Int(id)] : nil }) else {
            return
        }
        counter.increment(by: Int64(clamping: delta))
    }

    /// An instance was created or destroyed (reloads must destroy every instance they replace).
    package static func instanceCreated(_ metrics: GatewayMetrics?) {
        metrics?.counter("gatewayhost_policy_instances_created_total").increment()
    }

    package static func instanceDestroyed(_ metrics: GatewayMetrics?) {
        metrics?.counter("gatewayhost_policy_instances_destroyed_total").increment()
    }
}
