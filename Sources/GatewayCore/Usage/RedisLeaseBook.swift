/// The concurrency leases this process holds in Redis, per key: `LimitState.release(_:)` names only the
/// key, so `RedisLimitState` remembers which lease ids it took and gives back one of its own (never another
/// replica's, and never a lease that already expired and was reclaimed: removing its id is then a no-op).
///
/// An actor, so no lock: it is touched from async code only, never from the pool's blocking queues.
///
/// Usage:
/// ```swift
/// let book = RedisLeaseBook()
/// await book.add("lease-1", for: "gatewayhost:conc:client:a")
/// let id = await book.take(for: "gatewayhost:conc:client:a")  // "lease-1"
/// ```
package actor RedisLeaseBook {
    private var leases: [String: [String]] = [:]

    package init() {}

    package func add(_ id: String, for key: String) {
        leases[key, default: []].append(id)
    }

    /// The oldest lease this process holds under `key` (the first to expire), removed from the book.
    package func take(for key: String) -> String? {
        guard var ids = leases[key], !ids.isEmpty else { return nil }
        let id = ids.removeFirst()
        leases[key] = ids.isEmpty ? nil : ids
        return id
    }

    /// How many leases this process holds under `key`.
    package func count(for key: String) -> Int { leases[key]?.count ?? 0 }
}
