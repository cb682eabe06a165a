import NIOConcurrencyHelpers

/// A value behind a lock: the gateway's one lock type.
///
/// Why not `Synchronization.Mutex`: on Linux it waits with raw futex system calls that ThreadSanitizer does
/// not see, so every access it protects is reported as a data race (checked with a four-thread program:
/// 61 reports), and a TSan run of the test suite would drown real races in false ones. `NIOLock` is a
/// pthread mutex, which TSan models; the cost is one allocation per lock, made once per owning object.
///
/// Usage:
/// ```swift
/// private let state = Locked(State())
/// let count = state.withLock { $0.count += 1; return $0.count }
/// ```
package final class Locked<Value>: @unchecked Sendable {
    // @unchecked: `value` is only touched while `lock` is held.
    private var value: Value
    private let lock = NIOLock()

    package init(_ value: Value) { self.value = value }

    @inline(__always)
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&value) }
    }
}
