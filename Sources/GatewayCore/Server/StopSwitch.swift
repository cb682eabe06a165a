import GatewayWire

/// The gateway's "stop now" for exchanges still running when the shutdown grace has passed: each
/// registers what stops it (cancel its upstream transfer); `fire` runs them all, and every later
/// registration runs at once. An exchange that sees `isStopping` after its transfer was cancelled ends
/// with `PAB_END_HOST_SHUTDOWN` (a stream with the SSE error event).
///
/// Usage:
/// ```swift
/// let registration = runtime.stopping.register { body.cancel() }
/// defer { runtime.stopping.unregister(registration) }
/// ```
package final class StopSwitch: Sendable {
    private struct State {
        var stopping = false
        var next: UInt64 = 0
        var actions: [UInt64: @Sendable () -> Void] = [:]
    }
    private let state = Locked(State())

    package var isStopping: Bool { state.withLock { $0.stopping } }

    /// Registers `action`; runs it at once (and returns nil) when the switch has fired already.
    @discardableResult
    package func register(_ action: @escaping @Sendable () -> Void) -> UInt64? {
        let id = state.withLock { s -> UInt64? in
            guard !s.stopping else { return nil }
            s.next += 1
            s.actions[s.next] = action
            return s.next
        }
        if id == nil { action() }
        return id
    }

    package func unregister(_ id: UInt64?) {
        guard let id else { return }
        _ = state.withLock { $0.actions.removeValue(forKey: id) }
    }

    package func fire() {
        let actions = state.withLock { s -> [@Sendable () -> Void] in
            s.stopping = true
            defer { s.actions = [:] }
            return Array(s.actions.values)
        }
        for action in actions { action() }
    }
}
