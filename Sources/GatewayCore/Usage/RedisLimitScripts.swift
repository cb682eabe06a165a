/// The Lua scripts behind `RedisLimitState`: each runs atomically in Redis, so replicas sharing a key
/// never interleave a read and a write.
///
/// Sliding windows are sorted sets: one member per admitted or recorded amount, scored by its time (the
/// caller's `now`, Unix seconds), the member `"<now>:<uuid>:<amount>"` (unique per call; the amount is
/// read back from after the last `:`). Leases are sorted sets of lease ids scored by their expiry.
/// Numbers go back to Swift as `"%.17g"` strings, since Redis turns a Lua number reply into an integer.
///
/// Usage:
/// ```swift
/// let reply = try connection.evaluate(RedisLimitScripts.admit, keys: ["gatewayhost:rpm:client:a"],
///     arguments: [now, window, amount, limit, member, ttlMilliseconds])
/// ```
package enum RedisLimitScripts {
    /// KEYS[1] the window; ARGV: now, window seconds, amount, limit, member, key TTL in ms.
    /// Drops members older than the window, sums the rest; when the sum plus `amount` fits under `limit`,
    /// adds the member and answers `{1, total after}`, else `{0, total, retry-after seconds}`: the time
    /// until enough of the oldest members leave for `amount` to fit (the whole window when it never can).
    package static let admit = RedisScript(
        """
        local key = KEYS[1]
        local now = tonumber(ARGV[1])
        local window = tonumber(ARGV[2])
        local amount = tonumber(ARGV[3])
        local limit = tonumber(ARGV[4])
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
        local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
        local total = 0
        local amounts = {}
        local scores = {}
        for i = 1, #entries, 2 do
          local a = tonumber(string.match(entries[i], ':([^:]*)$')) or 0
          total = total + a
          amounts[#amounts + 1] = a
          scores[#scores + 1] = tonumber(entries[i + 1])
        end
        if total + amount <= limit then
          redis.call('ZADD', key, ARGV[1], ARGV[5])
          redis.call('PEXPIRE', key, ARGV[6])
          return {1, string.format('%.17g', total + amount), '0'}
        end
        local remaining = total
        local retry = -1
        for i = 1, #amounts do
          remaining = remaining - amounts[i]
          if remaining + amount <= limit then
            retry = scores[i] + window - now
            break
          end
        end
        if retry < 0 then retry = window end
        return {0, string.format('%.17g', total), string.format('%.17g', retry)}
        """)

    /// KEYS[1] the window; ARGV: now, window seconds, member, key TTL in ms. Adds the member (its amount
    /// may be negative) without a check, after dropping members older than the window.
    package static let record = RedisScript(
        """
        local key = KEYS[1]
        redis.call('ZREMRANGEBYSCORE', key, '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
        redis.call('ZADD', key, ARGV[1], ARGV[3])
        redis.call('PEXPIRE', key, ARGV[4])
        return 1
        """)

    /// KEYS[1] the lease set; ARGV: now, limit, lease expiry, lease id, key TTL in ms. Drops expired
    /// leases (a crashed replica's), then takes one when fewer than `limit` are held: `{1, held}` or
    /// `{0, held}`. The set lives as long as its latest lease.
    package static let acquire = RedisScript(
        """
        local key = KEYS[1]
        redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
        local held = redis.call('ZCARD', key)
        if held < tonumber(ARGV[2]) then
          redis.call('ZADD', key, ARGV[3], ARGV[4])
          if redis.call('PTTL', key) < tonumber(ARGV[5]) then
            redis.call('PEXPIRE', key, ARGV[5])
          end
          return {1, held + 1}
        end
        return {0, held}
        """)

    /// KEYS[1] the counter; ARGV: amount, TTL in ms. `INCRBYFLOAT`, with the expiry set by the first write
    /// (or whenever the key has none); answers the new total as a string.
    package static let add = RedisScript(
        """
        local total = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
        if redis.call('PTTL', KEYS[1]) < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return total
        """)
}
