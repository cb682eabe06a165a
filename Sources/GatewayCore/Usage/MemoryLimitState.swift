#if canImport(Glibc)
    import Glibc
#endif

/// `LimitState` in this process: sliding windows as lists of (time, amount), concurrency as counts,
/// spend counters with their expiry. One lock for all: every operation is a few array operations.
///
/// Usage:
/// ```swift
/// let state = MemoryLimitState()
/// let verdict = try await state.admit("rpm:client:a", amount: 1, limit: 60, windowSeconds: 60, now: now)
/// ```
package final class MemoryLimitState: LimitState {
    private struct Window {
        var entries: [(time: Double, amount: Double)] = []
        var head = 0

        mutating func expire(before cutoff: Double) {
            while head < entries.count && entries[head].time <= cutoff { head += 1 }
            if head > 64 && head * 2 > entries.count {
                entries.removeFirst(head)
                head = 0
            }
        }

        var total: Double { entries[head...].reduce(0) { $0 + $1.amount } }
    }

    private struct State {
        var windows: [String: Window] = [:]
        var slots: [String: Int] = [:]
        var counters: [String: (value: Double, expires: Double)] = [:]
    }

    private let state = Locked(State())
    private let clock: @Sendable () -> Double

    /// `clock` (Unix seconds) expires spend counters; tests pass their own.
    package init(clock: @escaping @Sendable () -> Double = { UnixClock.now() }) { self.clock = clock }

    package func admit(_ key: String, amount: Double, limit: Double, windowSeconds: Double, now: Double)
        async throws(LimitStateError) -> WindowVerdict
    {
        state.withLock { s in
            var window = s.windows[key] ?? Window()
            window.expire(before: now - windowSeconds)
            let total = window.total
            guard total + amount <= limit else {
                // Wait until enough of the oldest entries leave the window for `amount` to fit.
                var freed = 0.0
                var wait = windowSeconds
                for entry in window.entries[window.head...] {
                    freed += entry.amount
                    if total - freed + amount <= limit {
                        wait = entry.time + windowSeconds - now
                        break
                    }
                }
                s.windows[key] = window
                return WindowVerdict(admitted: false, total: total, retryAfterSeconds: max(0, wait))
            }
            window.entries.append((now, amount))
            s.windows[key] = window
            return WindowVerdict(admitted: true, total: total + amount, retryAfterSeconds: 0)
        }
    }

    package func record(_ key: String, amount: Double, windowSeconds: Double, now: Double) async throws(LimitStateError)
    {
        state.withLock { s in
            var window = s.windows[key] ?? Window()
            window.expire(before: now - windowSeconds)
            window.entries.append((now, amount))
            s.windows[key] = window
        }
    }

    package func acquire(_ key: String, limit: Int, leaseSeconds: Double, now: Double) async throws(LimitStateError)
        -> (acquired: Bool, held: Int)
    {
        state.withLock { s in
            let held = s.slots[key] ?? 0
            guard held < limit else { return (false, held) }
            s.slots[key] = held + 1
            return (true, held + 1)
        }
    }

    package func release(_ key: String) async throws(LimitStateError) {
        state.withLock { s in s.slots[key] = max(0, (s.slots[key] ?? 1) - 1) }
    }

    package func add(_ key: String, amount: Double, ttlSeconds: Double) async throws(LimitStateError) -> Double {
        let now = clock()
        return state.withLock { s in
            var counter = s.counters[key] ?? (0, now + ttlSeconds)
            if counter.expires <= now { counter = (0, now + ttlSeconds) }
            counter.value += amount
            s.counters[key] = counter
            return counter.value
        }
    }

    package func totals(_ keys: [String]) async throws(LimitStateError) -> [Double] {
        let now = clock()
        return state.withLock { s in
            keys.map { key in
                guard let counter = s.counters[key], counter.expires > now else { return 0 }
                return counter.value
            }
        }
    }
}

/// Wall-clock Unix seconds (windows and UTC days must agree between replicas, so not a monotonic clock).
package enum UnixClock {
    package static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
