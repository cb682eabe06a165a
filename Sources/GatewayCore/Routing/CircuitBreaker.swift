import GatewayWire

/// One target's circuit breaker: closed (counting consecutive failures), open (refusing the target until the
/// cooldown ends), half-open (letting `half_open_requests` through: that many successes close it, one
/// failure opens it again).
///
/// Usage:
/// ```swift
/// guard breaker.admit(now: clock) else { /* skip the target: its breaker is open */ }
/// breaker.record(success: true, now: clock)   // after the attempt, exactly once per admitted attempt
/// ```
package final class CircuitBreaker: Sendable {
    package enum Phase: String, Sendable {
        case closed
        case open
        case halfOpen = "half_open"
    }

    private struct State {
        var phase = Phase.closed
        var consecutiveFailures = 0
        var openedUntil: UInt64 = 0
        /// Half-open: requests let through and not yet answered, and successes so far.
        var probing = 0
        var successes = 0
    }

    package let settings: BreakerSettings
    private let state = Locked(State())

    package init(settings: BreakerSettings) { self.settings = settings }

    /// The state as shown to operators (an open breaker past its cooldown reads as half-open).
    package func phase(now: UInt64) -> Phase {
        state.withLock { s in s.phase == .open && now >= s.openedUntil ? .halfOpen : s.phase }
    }

    /// Whether an attempt may go to the target now. A half-open breaker admits `half_open_requests` at once.
    package func admit(now: UInt64) -> Bool {
        state.withLock { s in
            switch s.phase {
            case .closed:
                return true
            case .open:
                guard now >= s.openedUntil else { return false }
                s.phase = .halfOpen
                s.probing = 1
                s.successes = 0
                return true
            case .halfOpen:
                guard s.probing + s.successes < settings.halfOpenRequests else { return false }
                s.probing += 1
                return true
            }
        }
    }

    /// The outcome of an admitted attempt.
    package func record(success: Bool, now: UInt64) {
        state.withLock { s in
            switch (s.phase, success) {
            case (.closed, true):
                s.consecutiveFailures = 0
            case (.closed, false):
                s.consecutiveFailures += 1
                if s.consecutiveFailures >= settings.failureThreshold { open(&s, now: now) }
            case (.halfOpen, true):
                s.probing = max(0, s.probing - 1)
                s.successes += 1
                if s.successes >= settings.halfOpenRequests {
                    s = State()
                }
            case (.halfOpen, false):
                open(&s, now: now)
            case (.open, _):
                break  // an attempt admitted before the breaker opened: it changes nothing now
            }
        }
    }

    /// An admitted attempt that ended without a verdict (the client left): its half-open slot is given back.
    package func release() {
        state.withLock { s in
            if s.phase == .halfOpen { s.probing = max(0, s.probing - 1) }
        }
    }

    private func open(_ s: inout State, now: UInt64) {
        s.phase = .open
        s.openedUntil = now &+ UInt64(settings.cooldownSeconds * 1e9)
        s.consecutiveFailures = 0
        s.probing = 0
        s.successes = 0
    }
}
