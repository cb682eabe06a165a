import GatewayWire

/// What the gateway knows about one target while it runs: its breaker, its recent latency, and the verdict
/// of its active health probe (targets without `health_probe` are always healthy as far as probing goes).
package final class TargetHealth: Sendable {
    package let breaker: CircuitBreaker
    package let latency = LatencyTracker()

    private struct Probe {
        var healthy = true
        var consecutiveFailures = 0
        var consecutiveSuccesses = 0
        var lastError: String?
    }
    private let probe = Locked(Probe())

    package init(breaker: BreakerSettings) { self.breaker = CircuitBreaker(settings: breaker) }

    package var probeHealthy: Bool { probe.withLock { $0.healthy } }
    package var lastProbeError: String? { probe.withLock { $0.lastError } }

    /// One probe's result; the target flips after `unhealthy` failures or `healthy` successes in a row.
    /// Returns the new verdict when it changed (for the log).
    package func recordProbe(ok: Bool, error: String?, healthyThreshold: Int, unhealthyThreshold: Int) -> Bool? {
        probe.withLock { p in
            p.lastError = ok ? nil : error
            if ok {
                p.consecutiveSuccesses += 1
                p.consecutiveFailures = 0
                if !p.healthy && p.consecutiveSuccesses >= healthyThreshold {
                    p.healthy = true
                    return true
                }
            } else {
                p.consecutiveFailures += 1
                p.consecutiveSuccesses = 0
                if p.healthy && p.consecutiveFailures >= unhealthyThreshold {
                    p.healthy = false
                    return false
                }
            }
            return nil
        }
    }

    /// Usable for routing now: probe healthy and breaker not refusing (without taking a half-open slot).
    package func looksUsable(now: UInt64) -> Bool {
        probeHealthy && breaker.phase(now: now) != .open
    }
}
