/// Where rate-limit and budget counters live: in this process (`MemoryLimitState`) or shared by every
/// replica (`RedisLimitState`). Every operation is atomic on its key, so two gateways counting one client
/// never admit more than the limit between them.
///
/// Keys are opaque strings made by the limiter (`rpm:client:team-a`, `spend:pack:demo:day:2026-12-03`); a
/// backend may prefix them. Amounts are requests, tokens or USD.
///
/// Usage:
/// ```swift
/// let state: any LimitState = MemoryLimitState()
/// let verdict = try await state.admit("rpm:client:team-a", amount: 1, limit: 60, windowSeconds: 60, now: now)
/// if !verdict.admitted { /* 429, Retry-After: verdict.retryAfterSeconds */ }
/// ```
package protocol LimitState: Sendable {
    /// Sliding-window admission: when the amounts admitted under `key` in the last `windowSeconds`
    /// (before `now`, Unix seconds) plus `amount` stay within `limit`, records `amount` at `now` and
    /// admits; otherwise records nothing. Returns the window's total after the decision and how long
    /// until enough of the window expires for `amount` to fit (0 when admitted).
    func admit(_ key: String, amount: Double, limit: Double, windowSeconds: Double, now: Double)
        async throws(LimitStateError) -> WindowVerdict

    /// Records `amount` (may be negative: an estimate corrected by the real usage) at `now` without a
    /// limit check.
    func record(_ key: String, amount: Double, windowSeconds: Double, now: Double) async throws(LimitStateError)

    /// Concurrency: takes a slot under `key` when fewer than `limit` are held; slots a crashed replica
    /// never gave back expire after `leaseSeconds`. Returns whether a slot was taken and how many are held.
    func acquire(_ key: String, limit: Int, leaseSeconds: Double, now: Double) async throws(LimitStateError) -> (
        acquired: Bool, held: Int
    )
    func release(_ key: String) async throws(LimitStateError)

    /// Adds `amount` to a plain counter (spend in USD) that expires `ttlSeconds` after its first write;
    /// returns the new total.
    func add(_ key: String, amount: Double, ttlSeconds: Double) async throws(LimitStateError) -> Double
    /// The counters' current totals (0 for a key never written or expired), in the order asked.
    func totals(_ keys: [String]) async throws(LimitStateError) -> [Double]
}

package struct WindowVerdict: Sendable, Equatable {
    package var admitted: Bool
    /// The amount in the window after the decision.
    package var total: Double
    /// Seconds until the request could be admitted (0 when it was); the 429's `Retry-After`.
    package var retryAfterSeconds: Double

    package init(admitted: Bool, total: Double, retryAfterSeconds: Double) {
        self.admitted = admitted
        self.total = total
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// The state backend could not be reached or answered nonsense; `on_state_error` decides what happens.
package struct LimitStateError: Error, Sendable, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
