import CHiredis
import Foundation

/// One blocking hiredis connection (`redisConnectWithTimeout`, `redisSetTimeout`, `redisCommandArgv`),
/// logged in (`AUTH`) and on its database (`SELECT`) once `init` returns.
///
/// Not thread-safe and blocking: `RedisConnectionPool` owns every connection and uses each from its own
/// serial `DispatchQueue`, one command at a time, never from Swift's cooperative pool or an event loop.
/// Every call is bounded by `timeout` (connect, send and receive), so a hung Redis fails within it.
/// Once a command fails at the connection level (I/O error, timeout, EOF) `isBroken` is set and the pool
/// drops the connection; an error *reply* (`-ERR ...`) leaves it usable.
///
/// Usage (on a thread that may block):
/// ```swift
/// let connection = try RedisConnection(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:6379"), timeout: 0.2)
/// let value = try connection.command(["INCRBYFLOAT", "gatewayhost:spend", "0.25"])
/// ```
package final class RedisConnection {
    package let endpoint: RedisEndpoint
    package let timeout: Double
    /// The pool generation this connection was made in; the pool replaces connections older than its own.
    package let generation: Int
    private var context: UnsafeMutablePointer<redisContext>?
    /// The connection-level failure that closed this connection, if one did.
    package private(set) var failure: LimitStateError?
    package var isBroken: Bool { failure != nil }

    /// Connects, then `AUTH` (when the endpoint has a password) and `SELECT` (when its database is not 0).
    /// Throws a `LimitStateError` naming the address (never the password) when any step fails.
    package init(endpoint: RedisEndpoint, timeout: Double, generation: Int = 0) throws(LimitStateError) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.generation = generation
        let tv = Self.makeTimeval(seconds: timeout)
        guard let context = redisConnectWithTimeout(endpoint.host, Int32(endpoint.port), tv) else {
            throw LimitStateError("Redis at \(endpoint.address): could not allocate a connection")
        }
        self.context = context
        if gw_redis_error_code(context) != 0 {
            let why = Self.describe(context: context, timeout: timeout)
            close()
            throw LimitStateError("Redis at \(endpoint.address): cannot connect: \(why)")
        }
        if redisSetTimeout(context, tv) != REDIS_OK {
            close()
            throw LimitStateError("Redis at \(endpoint.address): cannot set the \(Self.milliseconds(timeout)) timeout")
        }
        if let password = endpoint.password {
            let auth = endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            let reply = try command(auth)
            if case .error(let message) = reply {
                close()
                throw LimitStateError(
                    "Redis at \(endpoint.address) refused the password in state.url: \(endpoint.scrub(message))")
            }
        }
        if endpoint.database != 0 {
            let reply = try command(["SELECT", String(endpoint.database)])
            if case .error(let message) = reply {
                close()
                throw LimitStateError(
                    "Redis at \(endpoint.address) refused database \(endpoint.database): \(endpoint.scrub(message))")
            }
        }
    }

    deinit { close() }

    /// Sends one command and waits (at most `timeout`) for its reply. Error replies come back as
    /// `.error`; a connection failure throws and marks the connection broken.
    package func command(_ arguments: [String]) throws(LimitStateError) -> RedisValue {
        guard let context, !isBroken else {
            throw LimitStateError("Redis at \(endpoint.address): the connection is closed")
        }
        let cStrings = arguments.map { strdup($0) }
        defer { for pointer in cStrings { free(pointer) } }
        var argv: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
        var lengths: [Int] = arguments.map { $0.utf8.count }
        let reply = argv.withUnsafeMutableBufferPointer { argvBuffer in
            lengths.withUnsafeMutableBufferPointer { lengthBuffer in
                gw_redis_command_argv(
                    context, Int32(arguments.count), argvBuffer.baseAddress, lengthBuffer.baseAddress)
            }
        }
        guard let reply else {
            let why = Self.describe(context: context, timeout: timeout)
            let error = LimitStateError("Redis at \(endpoint.address): \(arguments.first ?? "command") failed: \(why)")
            failure = error
            close()
            throw error
        }
        defer { freeReplyObject(reply) }
        return RedisValue(copying: reply)
    }

    /// Runs `script` with `EVALSHA`, falling back to `EVAL` (which also caches it) on `NOSCRIPT`.
    /// An error reply from the script throws (the connection stays usable).
    package func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) throws(LimitStateError)
        -> RedisValue
    {
        let tail = [String(keys.count)] + keys + arguments
        var reply = try command(["EVALSHA", script.sha1] + tail)
        if case .error(let message) = reply, message.hasPrefix("NOSCRIPT") {
            reply = try command(["EVAL", script.source] + tail)
        }
        if case .error(let message) = reply {
            throw LimitStateError("Redis at \(endpoint.address) answered an error: \(endpoint.scrub(message))")
        }
        return reply
    }

    private func close() {
        if let context { redisFree(context) }
        context = nil
    }

    private static func describe(context: UnsafeMutablePointer<redisContext>, timeout: Double) -> String {
        let code = gw_redis_error_code(context)
        let text = gw_redis_error_text(context).map { String(cString: $0) } ?? "unknown error"
        // hiredis reports a socket timeout as EAGAIN's text ("Resource temporarily unavailable").
        if code == REDIS_ERR_IO, text.contains("temporarily unavailable") || text.contains("timed out") {
            return "no answer within \(milliseconds(timeout))"
        }
        if code == REDIS_ERR_EOF { return "the server closed the connection" }
        return text
    }

    private static func milliseconds(_ seconds: Double) -> String { "\(Int((seconds * 1000).rounded())) ms" }

    private static func makeTimeval(seconds: Double) -> timeval {
        let whole = max(0, seconds.rounded(.down))
        return timeval(tv_sec: Int(whole), tv_usec: Int(((seconds - whole) * 1_000_000).rounded()))
    }
}
