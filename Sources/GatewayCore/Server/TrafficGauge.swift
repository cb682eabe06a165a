import GatewayWire
import Synchronization

/// Live counts shared by every connection and request, checked against the configured limits: open
/// connections, exchanges in flight, and requests the connection guard refused.
///
/// Usage:
/// ```swift
/// guard let ticket = gauge.admit() else { return GatewayError.overloaded.response(...) }
/// // ... the exchange; the slot is released when `ticket` is released
/// ```
package final class TrafficGauge: Sendable {
    package let limits: ConnectionLimits
    package let connections = Atomic<Int>(0)
    package let inflight = Atomic<Int>(0)
    package let refusals = Atomic<Int>(0)

    package init(limits: ConnectionLimits) { self.limits = limits }

    /// Takes an in-flight slot, or nil when `max_inflight_requests` are already being handled.
    package func admit() -> InflightSlot? {
        let now = inflight.wrappingAdd(1, ordering: .relaxed).newValue
        guard now <= limits.maxInflightRequests else {
            inflight.wrappingSubtract(1, ordering: .relaxed)
            return nil
        }
        return InflightSlot(gauge: self)
    }
}

/// One exchange's place among those in flight; given back when the last reference goes (a streamed
/// answer holds it until its body is written or dropped).
package final class InflightSlot: Sendable {
    private let gauge: TrafficGauge
    fileprivate init(gauge: TrafficGauge) { self.gauge = gauge }
    deinit { gauge.inflight.wrappingSubtract(1, ordering: .relaxed) }
}
