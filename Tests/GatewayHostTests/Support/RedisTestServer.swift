import Foundation
import Testing

@testable import GatewayCore

/// A `redis-server` of the test's own: 127.0.0.1, a free port, no persistence, killed by `stop()`.
/// `runnable`/`skipMessage` gate the tests: skipped when `redis-server` is not on PATH, failed under `CI=true`.
///
/// Usage:
/// ```swift
/// @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
/// func something() async throws {
///     guard let server = try await RedisTestServer.launch() else { return }
///     defer { server.stop() }
///     let state = try RedisLimitState(url: server.url, keyPrefix: "gw:")
///     _ = try await server.command(["PTTL", "gw:key"])  // raw commands, off the cooperative pool
/// }
/// ```
final class RedisTestServer: @unchecked Sendable {
    /// Time limits in these tests are multiplied by `GATEWAYHOST_TIMING_SCALE` (scripts/test-tsan.sh sets
    /// it: ThreadSanitizer slows everything several times over); 1 otherwise.
    static let timingScale: Double = {
        guard let raw = ProcessInfo.processInfo.environment["GATEWAYHOST_TIMING_SCALE"], let value = Double(raw),
            value >= 1
        else { return 1 }
        return value
    }()

    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/redis-server" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
    static let isCI = ProcessInfo.processInfo.environment["CI"] == "true"
    /// Run the Redis tests when redis-server is there, and under CI always (so its absence fails).
    static let runnable = executable != nil || isCI
    static let skipMessage: Comment = "redis-server is not on PATH (apt-get install redis-server); skipped"

    let port: Int
    let password: String?
    private let lock = NSLock()
    private var process: Process?  // under `lock`

    var url: String { "redis://127.0.0.1:\(port)" }

    private init(port: Int, password: String?) {
        self.port = port
        self.password = password
    }

    /// A started server, or `nil` after recording an issue when redis-server is missing under CI.
    static func launch(password: String? = nil) async throws -> RedisTestServer? {
        guard executable != nil else {
            Issue.record("CI=true but redis-server is not on PATH: install it (apt-get install redis-server)")
            return nil
        }
        var lastError: Error?
        for _ in 0..<5 {  // another test may take the free port between the check and the start
            let server = RedisTestServer(port: freePort(), password: password)
            do {
                try await server.start()
                return server
            } catch {
                server.stop()
                lastError = error
            }
        }
        throw lastError ?? LimitStateError("redis-server did not start")
    }

    func start() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable ?? "/usr/bin/redis-server")
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--loglevel", "warning",
        ]
        if let password { arguments += ["--requirepass", password] }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        lock.withLock { self.process = process }
        for _ in 0..<300 {
            if !process.isRunning { throw LimitStateError("redis-server exited at start (port \(port) taken?)") }
            if Self.accepts(port: port) {
                // Another test (or process) may own the port and ours failed to bind: make sure the server
                // answering is this process.
                guard case .string(let info) = try await command(["INFO", "server"]),
                    info.contains("process_id:\(process.processIdentifier)\r\n")
                else { throw LimitStateError("port \(port) is served by another redis-server") }
                return
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        throw LimitStateError("redis-server did not listen on \(port) within 3 s")
    }

    /// SIGKILL, without waiting (Foundation reaps the child).
    func stop() {
        let process = lock.withLock { () -> Process? in
            defer { self.process = nil }
            return self.process
        }
        if let process, process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// SIGKILL and wait until it is gone (its port free again).
    func kill() async throws {
        let process = lock.withLock { self.process }
        stop()
        guard let process else { return }
        while process.isRunning { try await Task.sleep(nanoseconds: 5_000_000) }
    }

    func restart() async throws {
        var lastError: Error?
        for _ in 0..<50 {  // the port may linger a moment after the kill
            do {
                try await start()
                return
            } catch {
                lastError = error
                try? await kill()
                try await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        throw lastError ?? LimitStateError("redis-server did not restart")
    }

    func signal(_ signal: Int32) {
        if let process = lock.withLock({ self.process }) { Foundation.kill(process.processIdentifier, signal) }
    }

    /// One command on a fresh connection of its own, made and used off the cooperative pool.
    func command(_ arguments: [String], database: Int = 0) async throws -> RedisValue {
        let endpoint = RedisEndpoint(host: "127.0.0.1", port: port, password: password, database: database)
        return try await Shell.offPool {
            let connection = try RedisConnection(endpoint: endpoint, timeout: 1)
            return try connection.command(arguments)
        }
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
