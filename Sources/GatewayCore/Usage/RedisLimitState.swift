import Foundation

/// `LimitState` in Redis, shared by every replica pointed at the same server and `keyPrefix`
/// (`state: {backend: redis, url: ..., key_prefix: ...}`).
///
/// Every operation is one atomic Redis call (a Lua script, `ZREM` or `MGET`; see `RedisLimitScripts`),
/// through hiredis on a small pool of blocking connections driven by their own serial queues
/// (`RedisConnectionPool`): nothing blocks Swift's cooperative pool or an event loop. Connect and every
/// command are bounded by `timeout` (200 ms by default), so a dead or hung Redis answers with a
/// `LimitStateError` quickly; the pool reconnects by itself (with a backoff from 50 ms to 1 s), and `init`
/// does not connect, so the gateway starts while Redis is down (`ping()` checks it).
///
/// Times are the callers' `now`, not Redis's `TIME`: the limiter already has a clock, tests can pass any
/// `now`, and replicas on one machine (or NTP-synced hosts) agree to within milliseconds, which moves a
/// 60 s window by as much. A replica whose clock is off by *s* seconds counts its own entries *s* seconds
/// early or late.
///
/// Concurrency slots are leases in a sorted set scored by expiry: a replica that dies holding slots never
/// leaks them past `leaseSeconds`. `release(_:)` gives back one of this instance's own leases for the key
/// (remembered in a `RedisLeaseBook`); releasing with none held is a no-op.
///
/// Usage:
/// ```swift
/// let state: any LimitState = try RedisLimitState(url: "redis://:secret@127.0.0.1:6379/0", keyPrefix: "gatewayhost:")
/// let verdict = try await state.admit("rpm:client:team-a", amount: 1, limit: 60, windowSeconds: 60, now: now)
/// if !verdict.admitted { /* 429, Retry-After: ceil(verdict.retryAfterSeconds) */ }
/// ```
package final class RedisLimitState: LimitState {
    package let endpoint: RedisEndpoint
    package let keyPrefix: String
    private let pool: RedisConnectionPool
    private let leases = RedisLeaseBook()

    /// Parses `url` (`redis://[[user]:password@]host[:port][/db]`; other schemes are refused with an error
    /// that never shows the password). Does not connect: the first operation does.
    package init(url: String, keyPrefix: String, connections: Int = 4, timeout: Double = 0.2) throws(LimitStateError) {
        let endpoint = try RedisEndpoint(url: url)
        self.endpoint = endpoint
        self.keyPrefix = keyPrefix
        self.pool = RedisConnectionPool(endpoint: endpoint, size: connections, timeout: timeout)
    }

    /// Connects (if needed) and sends `PING`: for a start-up check or a health probe.
    package func ping() async throws(LimitStateError) {
        let reply = try await pool.run { connection throws(LimitStateError) in try connection.command(["PING"]) }
        guard case .status("PONG") = reply else {
            throw LimitStateError("Redis at \(endpoint.address) answered PING with \(reply)")
        }
    }

    package func admit(_ key: String, amount: Double, limit: Double, windowSeconds: Double, now: Double)
        async throws(LimitStateError) -> WindowVerdict
    {
        try Self.check(finite: ["amount": amount, "limit": limit, "now": now])
        try Self.check(positive: windowSeconds, "windowSeconds")
        let arguments = [
            Self.number(now), Self.number(windowSeconds), Self.number(amount), Self.number(limit),
            Self.member(now: now, amount: amount), Self.ttlMilliseconds(windowSeconds),
        ]
        let fullKey = keyPrefix + key
        let reply = try await pool.run { connection throws(LimitStateError) in
            try connection.evaluate(RedisLimitScripts.admit, keys: [fullKey], arguments: arguments)
        }
        guard let items = reply.array, items.count == 3, case .integer(let flag) = items[0],
            let total = items[1].double, let retry = items[2].double
        else { throw unexpected(reply, from: "admit") }
        return WindowVerdict(admitted: flag == 1, total: total, retryAfterSeconds: flag == 1 ? 0 : max(0, retry))
    }

    package func record(_ key: String, amount: Double, windowSeconds: Double, now: Double)
        async throws(LimitStateError)
    {
        try Self.check(finite: ["amount": amount, "now": now])
        try Self.check(positive: windowSeconds, "windowSeconds")
        guard amount != 0 else { return }
        let arguments = [
            Self.number(now), Self.number(windowSeconds), Self.member(now: now, amount: amount),
            Self.ttlMilliseconds(windowSeconds),
        ]
        let fullKey = keyPrefix + key
        _ = try await pool.run { connection throws(LimitStateError) in
            try connection.evaluate(RedisLimitScripts.record, keys: [fullKey], arguments: arguments)
        }
    }

    package func acquire(_ key: String, limit: Int, leaseSeconds: Double, now: Double) async throws(LimitStateError)
        -> (acquired: Bool, held: Int)
    {
        try Self.check(finite: ["now": now])
        try Self.check(positive: leaseSeconds, "leaseSeconds")
        let id = UUID().uuidString
        let arguments = [
            Self.number(now), String(limit), Self.number(now + leaseSeconds), id, Self.ttlMilliseconds(leaseSeconds),
        ]
        let fullKey = keyPrefix + key
        let reply = try await pool.run { connection throws(LimitStateError) in
            try connection.evaluate(RedisLimitScripts.acquire, keys: [fullKey], arguments: arguments)
        }
        guard let items = reply.array, items.count == 2, case .integer(let flag) = items[0],
            case .integer(let held) = items[1]
        else { throw unexpected(reply, from: "acquire") }
        if flag == 1 { await leases.add(id, for: fullKey) }
        return (flag == 1, Int(held))
    }

    package func release(_ key: String) async throws(LimitStateError) {
        let fullKey = keyPrefix + key
        guard let id = await leases.take(for: fullKey) else { return }
        // When Redis cannot be reached the lease is forgotten here and expires there by itself.
        let reply = try await pool.run { connection throws(LimitStateError) in
            try connection.command(["ZREM", fullKey, id])
        }
        if case .error(let message) = reply {
            throw LimitStateError("Redis at \(endpoint.address) answered an error: \(endpoint.scrub(message))")
        }
    }

    package func add(_ key: String, amount: Double, ttlSeconds: Double) async throws(LimitStateError) -> Double {
        try Self.check(finite: ["amount": amount])
        try Self.check(positive: ttlSeconds, "ttlSeconds")
        let arguments = [Self.number(amount), Self.ttlMilliseconds(ttlSeconds, margin: 0)]
        let fullKey = keyPrefix + key
        let reply = try await pool.run { connection throws(LimitStateError) in
            try connection.evaluate(RedisLimitScripts.add, keys: [fullKey], arguments: arguments)
        }
        guard let total = reply.double else { throw unexpected(reply, from: "add") }
        return total
    }

    package func totals(_ keys: [String]) async throws(LimitStateError) -> [Double] {
        guard !keys.isEmpty else { return [] }
        let arguments = ["MGET"] + keys.map { keyPrefix + $0 }
        let reply = try await pool.run { connection throws(LimitStateError) in try connection.command(arguments) }
        guard let items = reply.array, items.count == keys.count else { throw unexpected(reply, from: "totals") }
        var result: [Double] = []
        result.reserveCapacity(items.count)
        for item in items {
            if case .null = item {
                result.append(0)
            } else if let value = item.double {
                result.append(value)
            } else {
                throw unexpected(reply, from: "totals")
            }
        }
        return result
    }

    // MARK: helpers

    private func unexpected(_ reply: RedisValue, from operation: String) -> LimitStateError {
        if case .error(let message) = reply {
            return LimitStateError(
                "Redis at \(endpoint.address) answered an error to \(operation): \(endpoint.scrub(message))")
        }
        return LimitStateError("Redis at \(endpoint.address) answered \(operation) with an unexpected \(reply)")
    }

    /// A Double as Redis and Lua read it back exactly (Swift prints the shortest round-tripping form).
    private static func number(_ value: Double) -> String { "\(value)" }

    /// A window member, unique per call, carrying its amount after the last `:`.
    private static func member(now: Double, amount: Double) -> String { "\(now):\(UUID().uuidString):\(amount)" }

    /// A key's lifetime in whole milliseconds: the span plus a second's margin for callers' clock skew.
    private static func ttlMilliseconds(_ seconds: Double, margin: Double = 1) -> String {
        String(max(1, Int64(((seconds + margin) * 1000).rounded(.up))))
    }

    private static func check(finite values: KeyValuePairs<String, Double>) throws(LimitStateError) {
        for (name, value) in values where !value.isFinite {
            throw LimitStateError("RedisLimitState: \(name) must be a finite number, got \(value)")
        }
    }

    private static func check(positive value: Double, _ name: String) throws(LimitStateError) {
        guard value.isFinite, value > 0 else {
            throw LimitStateError("RedisLimitState: \(name) must be a finite number > 0, got \(value)")
        }
    }
}
