import Foundation
import Testing

@testable import GatewayCore

/// `RedisLimitState` against a real `redis-server` (Debian's), started by each test on 127.0.0.1 and a free
/// port, without persistence, and killed at the end. Skipped with a message when `redis-server` is not on
/// PATH, except under `CI=true`, where that is a failure.
@Suite struct RedisLimitStateTests {
    static let t0 = 1_800_000_000.0

    // MARK: scripts and URLs

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func scriptDigestsEqualRedisScriptLoad() async throws {
        guard let server = try await RedisTestServer.launch() else { return }
        defer { server.stop() }
        for script in [
            RedisLimitScripts.admit, RedisLimitScripts.record, RedisLimitScripts.acquire, RedisLimitScripts.add,
        ] {
            let loaded = try await server.command(["SCRIPT", "LOAD", script.source])
            #expect(loaded == .string(script.sha1))
        }
        #expect(RedisScript.sha1Hex([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test func urlsParseAndErrorsNeverShowThePassword() throws {
        let full = try RedisEndpoint(url: "redis://:p%40ss@db.example:6380/3")
        #expect(full.host == "db.example" && full.port == 6380 && full.password == "p@ss" && full.database == 3)
        #expect(full.description == "redis://:***@db.example:6380/3")
        let plain = try RedisEndpoint(url: "redis://localhost")
        #expect(plain.port == 6379 && plain.database == 0 && plain.password == nil)
        let user = try RedisEndpoint(url: "redis://alice:pw@[::1]:7000/1")
        #expect(user.host == "::1" && user.port == 7000 && user.username == "alice" && user.password == "pw")
        for bad in [
            "http://:hunter2@h:1", "rediss://:hunter2@h:1", "redis://:hunter2@h:99999", "redis://:hunter2@h:1/x",
            "hunter2@h:1", "redis://:hunter2@",
        ] {
            do {
                _ = try RedisLimitState(url: bad, keyPrefix: "x")
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(!error.description.contains("hunter2"), "\(error)")
                #expect(error.description.contains("state.url"), "\(error)")
            }
        }
    }

    // MARK: windows

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func admitsExactlyTheLimitThenAgainOnceTheWindowSlides() async throws {
        guard let server = try await RedisTestServer.launch() else { return }
        defer { server.stop() }
        let state = try RedisLimitState(url: server.url, keyPrefix: "gw:")
        for i in 0..<5 {
            let verdict = try await state.admit("rpm", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0 + Double(i))
            #expect(verdict == WindowVerdict(admitted: true, total: Double(i + 1), retryAfterSeconds: 0))
        }
        let refused = try await state.admit("rpm", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0 + 10)
        #expect(!refused.admitted && refused.total == 5)
        #expect(abs(refused.retryAfterSeconds - 50) < 1e-6, "the oldest (t0) leaves at t0 + 60")
        let justBefore = try await state.admit("rpm", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0 + 59.999)
        #expect(!justBefore.admitted)
        let slid = try await state.admit("rpm", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0 + 60)
        #expect(slid.admitted && slid.total == 5)
        guard case .integer(let ttl) = try await server.command(["PTTL", "gw:rpm"]) else {
            Issue.record("the window key has no TTL"); return
        }
        #expect(ttl > 59_000 && ttl <= 61_000)
    }

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func retryAfterCountsAmountsAndNegativeRecordsCorrect() async throws {
        guard let server = try await RedisTestServer.launch() else { return }
        defer { server.stop() }
        let state = try RedisLimitState(url: server.url, keyPrefix: "gw:")
        let t0 = Self.t0
        _ = try await state.admit("tpm", amount: 30, limit: 100, windowSeconds: 60, now: t0)
        _ = try await state.admit("tpm", amount: 50, limit: 100, windowSeconds: 60, now: t0 + 10)
        let one = try await state.admit("tpm", amount: 40, limit: 100, windowSeconds: 60, now: t0 + 20)
        #expect(!one.admitted && one.total == 80 && abs(one.retryAfterSeconds - 40) < 1e-6, "\(one)")
        let both = try await state.admit("tpm", amount: 90, limit: 100, windowSeconds: 60, now: t0 + 20)
        #expect(!both.admitted && abs(both.retryAfterSeconds - 50) < 1e-6, "\(both)")
        let never = try await state.admit("tpm", amount: 101, limit: 100, windowSeconds: 60, now: t0 + 20)
        #expect(!never.admitted && never.retryAfterSeconds == 60, "more than the limit: the whole window")

        try await state.record("tpm", amount: -45, windowSeconds: 60, now: t0 + 21)
        let corrected = try await state.admit("tpm", amount: 40, limit: 100, windowSeconds: 60, now: t0 + 22)
        #expect(corrected.admitted && corrected.total == 75, "\(corrected)")
        try await state.record("tpm", amount: 500, windowSeconds: 60, now: t0 + 23)
        let over = try await state.admit("tpm", amount: 1, limit: 100, windowSeconds: 60, now: t0 + 23)
        #expect(!over.admitted && over.total == 575, "record adds without a check")

        _ = try await state.admit("frac", amount: 0.1, limit: 1, windowSeconds: 60, now: t0 + 0.125)
        let fraction = try await state.admit("frac", amount: 0.2, limit: 1, windowSeconds: 60, now: t0 + 0.25)
        #expect(fraction.admitted && abs(fraction.total - 0.3) < 1e-12)
    }

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func twoReplicasShareCountsAndConcurrentAdmitsNeverExceedTheLimit() async throws {
        guard let server = try await RedisTestServer.launch() else { return }
        defer { server.stop() }
        let a = try RedisLimitState(url: server.url, keyPrefix: "gw:")
        let b = try RedisLimitState(url: server.url, keyPrefix: "gw:")
        let t0 = Self.t0
        for i in 0..<3 { _ = try await a.admit("shared", amount: 1, limit: 5, windowSeconds: 60, now: t0 + Double(i)) }
        #expect(try await b.admit("shared", amount: 1, limit: 5, windowSeconds: 60, now: t0 + 3).admitted)
        #expect(try await b.admit("shared", amount: 1, limit: 5, windowSeconds: 60, now: t0 + 4).total == 5)
        #expect(try await !b.admit("shared", amount: 1, limit: 5, windowSeconds: 60, now: t0 + 5).admitted)
        #expect(try await !a.admit("shared", amount: 1, limit: 5, windowSeconds: 60, now: t0 + 6).admitted)

        let admitted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<64 {
                let replica = i % 2 == 0 ? a : b
                group.addTask {
                    try await replica.admit("burst", amount: 1, limit: 10, windowSeconds: 60, now: t0).admitted
                }
            }
            var count = 0
            for try await ok in group where ok { count += 1 }
            return count
        }
        #expect(admitted == 10)
        #expect(try await server.command(["ZCARD", "gw:burst"]) == .integer(10))
    }

    // MARK: concurrency slots

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func concurrencySlotsAreSharedReleasedAndExpireWithTheirLease() async throws {
        guard let server = try await RedisTestServer.launch() else { return }
        defer { server.stop() }
        let a = try RedisLimitState(url: server.url, keyPrefix: "gw:")
        let b = try RedisLimitState(url: server.url, keyPrefix: "gw:")
        let t0 = Self.t0
        let first = try await a.acquire("conc", limit: 2, leaseSeconds: 30, now: t0)
        let second = try await b.acquire("conc", limit: 2, leaseSeconds: 30, now: t0)
        let third = try await a.acquire("conc", limit: 2, leaseSeconds: 30, now: t0)
        #expect(first == (true, 1) && second == (true, 2) && third == (false, 2))
        try await a.release("conc")
        #expect(try await b.acquire("conc", limit: 2, leaseSeconds: 30, now: t0 + 1) == (true, 2))
        try await a.release("conc")  // `a` holds none now: must not free one of `b`'s
        #expect(try await a.acquire("conc", limit: 2, leaseSeconds: 30, now: t0 + 2) == (false, 2))
        // `b` "dies" holding both slots: they come back when their lease ends.
        #expect(try await a.acquire("conc", limit: 2, leaseSeconds: 30, now: t0 + 31.5) == (true, 1))
        try await a.release("conc")
        #expect(try await server.command(["ZCARD", "gw:conc"]) == .integer(0))

        let taken = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<32 {
                let replica = i % 2 == 0 ? a : b
                group.addTask { try await replica.acquire("conc2", limit: 4, leaseSeconds: 30, now: t0).acquired }
            }
            var count = 0
            for try await ok in group where ok { count += 1 }
            return count
        }
        #expect(taken == 4)
    }

    // MARK: counters

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func countersAddUpReadBackAndExpireAfterTheirFirstWrite() async throws {
        guard let server = try await RedisTestServer.launch() else { return }
        defer { server.stop() }
        let a = try RedisLimitState(url: server.url, keyPrefix: "gw:")
        let b = try RedisLimitState(url: server.url, keyPrefix: "gw:")
        // 6 s: the second write must come within the first one's TTL even when a loaded CI machine stalls
        // this task for seconds (2 s flaked there).
        #expect(try await a.add("spend", amount: 0.5, ttlSeconds: 6 * RedisTestServer.timingScale) == 0.5)
        #expect(try await b.add("spend", amount: 0.25, ttlSeconds: 100) == 0.75)
        guard case .integer(let ttl) = try await server.command(["PTTL", "gw:spend"]) else {
            Issue.record("the counter has no TTL"); return
        }
        #expect(ttl > 0 && Double(ttl) <= 6000 * RedisTestServer.timingScale, "the first write's TTL stays")
        #expect(try await a.add("refund", amount: -1.5, ttlSeconds: 60) == -1.5)
        #expect(try await a.totals(["spend", "never-written", "refund"]) == [0.75, 0, -1.5])
        #expect(try await a.totals([]) == [])
        try await Task.sleep(for: .milliseconds(Int64(6200 * RedisTestServer.timingScale)))
        #expect(try await b.totals(["spend", "refund"]) == [0, -1.5])
    }

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func selectsTheDatabaseAndSurvivesAnErrorReply() async throws {
        guard let server = try await RedisTestServer.launch() else { return }
        defer { server.stop() }
        let db3 = try RedisLimitState(url: server.url + "/3", keyPrefix: "gw:")
        _ = try await db3.add("indb3", amount: 1, ttlSeconds: 60)
        #expect(try await server.command(["EXISTS", "gw:indb3"]) == .integer(0))
        #expect(try await server.command(["EXISTS", "gw:indb3"], database: 3) == .integer(1))

        _ = try await server.command(["SET", "gw:text", "x"], database: 3)
        do {
            _ = try await db3.admit("text", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0)
            Issue.record("a window over a string key was accepted")
        } catch {
            #expect(error.description.contains("WRONGTYPE"), "\(error)")
        }
        #expect(try await db3.admit("fine", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0).admitted)
    }

    // MARK: failures

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func killedRedisFailsFastAndTheSameStateWorksAfterARestart() async throws {
        guard let server = try await RedisTestServer.launch() else { return }
        defer { server.stop() }
        let state = try RedisLimitState(url: server.url, keyPrefix: "gw:")
        #expect(try await state.admit("k", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0).admitted)

        try await server.kill()
        for _ in 0..<3 {
            let start = ContinuousClock.now
            await #expect(throws: LimitStateError.self) {
                _ = try await state.admit("k", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0)
            }
            #expect(
                ContinuousClock.now - start < .milliseconds(Int64(2000 * RedisTestServer.timingScale)),
                "a dead Redis answers at once")
        }
        let start = ContinuousClock.now
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 { group.addTask { (try? await state.totals(["k"])) == nil } }
            var count = 0
            for await failed in group where failed { count += 1 }
            return count
        }
        #expect(
            failures == 64 && ContinuousClock.now - start < .milliseconds(Int64(2000 * RedisTestServer.timingScale)))

        try await server.restart()
        #expect(
            await eventually { () throws(LimitStateError) in
                _ = try await state.admit("k2", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0)
            }, "reconnected by itself")
    }

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func hungRedisFailsWithinTheTimeoutAndRecovers() async throws {
        guard let server = try await RedisTestServer.launch() else { return }
        defer { server.stop() }
        let state = try RedisLimitState(url: server.url, keyPrefix: "gw:", timeout: 0.2)
        try await state.ping()
        server.signal(SIGSTOP)
        let start = ContinuousClock.now
        do {
            _ = try await state.admit("k", amount: 1, limit: 5, windowSeconds: 60, now: Self.t0)
            Issue.record("a hung Redis admitted")
        } catch {
            #expect(error.description.contains("no answer within 200 ms"), "\(error)")
        }
        #expect(
            ContinuousClock.now - start < .milliseconds(Int64(2500 * RedisTestServer.timingScale)),
            "fails within about the 200 ms timeout")
        let burstStart = ContinuousClock.now
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<64 { group.addTask { (try? await state.totals(["k"])) == nil } }
            var count = 0
            for await failed in group where failed { count += 1 }
            return count
        }
        #expect(
            failures == 64
                && ContinuousClock.now - burstStart < .milliseconds(Int64(3000 * RedisTestServer.timingScale)),
            "the queue fails with the first")
        server.signal(SIGCONT)
        #expect(await eventually { () throws(LimitStateError) in try await state.ping() })
    }

    @Test(.enabled(if: RedisTestServer.runnable, RedisTestServer.skipMessage))
    func wrongPasswordIsAClearErrorWithoutThePassword() async throws {
        guard let server = try await RedisTestServer.launch(password: "s3cr3t-Pa55") else { return }
        defer { server.stop() }
        let wrong = try RedisLimitState(url: "redis://:wrong-hunter2@127.0.0.1:\(server.port)", keyPrefix: "gw:")
        do {
            try await wrong.ping()
            Issue.record("a wrong password was accepted")
        } catch {
            #expect(error.description.contains("refused the password"), "\(error)")
            #expect(!error.description.contains("hunter2") && !error.description.contains("s3cr3t"), "\(error)")
        }
        let none = try RedisLimitState(url: "redis://127.0.0.1:\(server.port)", keyPrefix: "gw:")
        await #expect(throws: LimitStateError.self) { _ = try await none.totals(["a"]) }
        let right = try RedisLimitState(url: "redis://:s3cr3t-Pa55@127.0.0.1:\(server.port)/2", keyPrefix: "gw:")
        #expect(try await right.admit("k", amount: 1, limit: 1, windowSeconds: 60, now: Self.t0).admitted)
        let user = try RedisLimitState(url: "redis://default:s3cr3t-Pa55@127.0.0.1:\(server.port)", keyPrefix: "gw:")
        try await user.ping()
    }

    /// Retries `operation` until it succeeds or `seconds` pass.
    private func eventually(
        _ seconds: Double = 5, _ operation: @Sendable () async throws(LimitStateError) -> Void
    ) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            do throws(LimitStateError) {
                try await operation()
                return true
            } catch {
                try? await Task.sleep(nanoseconds: 50_000_000)
            }
        }
        return false
    }
}
