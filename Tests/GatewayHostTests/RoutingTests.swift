import Foundation
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// The routing pieces on their own: breakers, weighted round robin, latency scores, failure classes and
/// upstream wait hints, and the order each strategy gives.
@Suite struct RoutingTests {
    static let second: UInt64 = 1_000_000_000

    @Test func breakerOpensAfterConsecutiveFailuresAndRecoversThroughHalfOpen() {
        let breaker = CircuitBreaker(
            settings: BreakerSettings(failureThreshold: 3, cooldownSeconds: 10, halfOpenRequests: 2))
        var now: UInt64 = 1_000
        for _ in 0..<2 {
            #expect(breaker.admit(now: now))
            breaker.record(success: false, now: now)
        }
        #expect(breaker.admit(now: now))
        breaker.record(success: true, now: now)  // a success resets the count
        for _ in 0..<3 {
            #expect(breaker.admit(now: now))
            breaker.record(success: false, now: now)
        }
        #expect(breaker.phase(now: now) == .open)
        #expect(!breaker.admit(now: now + 9 * Self.second), "open during the cooldown")
        now += 10 * Self.second
        #expect(breaker.phase(now: now) == .halfOpen)
        #expect(breaker.admit(now: now) && breaker.admit(now: now), "two half-open requests")
        #expect(!breaker.admit(now: now), "no third while the two are out")
        breaker.record(success: true, now: now)
        breaker.record(success: true, now: now)
        #expect(breaker.phase(now: now) == .closed)
        // Half-open then a failure: open again for a whole cooldown.
        for _ in 0..<3 {
            _ = breaker.admit(now: now)
            breaker.record(success: false, now: now)
        }
        now += 10 * Self.second
        #expect(breaker.admit(now: now))
        breaker.record(success: false, now: now)
        #expect(breaker.phase(now: now) == .open)
        #expect(!breaker.admit(now: now + Self.second))
    }

    @Test func releasedHalfOpenSlotsAreGivenBack() {
        let breaker = CircuitBreaker(
            settings: BreakerSettings(failureThreshold: 1, cooldownSeconds: 1, halfOpenRequests: 1))
        _ = breaker.admit(now: 0)
        breaker.record(success: false, now: 0)
        #expect(breaker.admit(now: 2 * Self.second))
        breaker.release()  // the client left: no verdict
        #expect(breaker.admit(now: 2 * Self.second), "the slot is free again")
    }

    @Test func smoothWeightedRoundRobinFollowsTheWeightsEvenly() {
        let balancer = SmoothWeightedRoundRobin()
        let picks = (0..<8).compactMap { _ in balancer.pick([("a", 3), ("b", 1)]) }
        #expect(picks == ["a", "a", "b", "a", "a", "a", "b", "a"])
        var counts: [String: Int] = [:]
        for _ in 0..<10_000 { counts[balancer.pick([("a", 3), ("b", 1)])!, default: 0] += 1 }
        #expect(counts["a"] == 7_500)
        #expect(balancer.pick([("a", 0)]) == nil)
    }

    @Test func latencyScoreJumpsUpAndDecaysDown() {
        let tracker = LatencyTracker()
        let t0: UInt64 = 1_000
        tracker.record(milliseconds: 50, now: t0)
        tracker.record(milliseconds: 400, now: t0 + Self.second)
        #expect(tracker.score(now: t0 + Self.second) == 400, "a slower sample is taken at once")
        tracker.record(milliseconds: 50, now: t0 + 11 * Self.second)
        let after = tracker.averageMilliseconds ?? 0
        #expect(after < 200 && after > 50, "a faster sample pulls the average down by e^(-Δt/τ): \(after)")
        #expect(tracker.score(now: t0 + 200 * Self.second) < 1, "an idle target's score decays to zero")
    }

    @Test(arguments: [
        (429, "", AttemptOutcome.retryable(.rateLimit)), (503, "", .retryable(.serverError)),
        (408, "", .retryable(.serverError)), (529, "", .retryable(.overloaded)),
        (400, #"{"error":{"type":"overloaded_error"}}"#, .retryable(.overloaded)),
        (400, #"{"error":{"message":"bad"}}"#, .final), (404, "", .final),
    ])
    func statusesAreClassified(status: Int, body: String, expected: AttemptOutcome) {
        #expect(FailureClassifier.classify(status: status, body: Array(body.utf8)) == expected)
    }

    @Test func upstreamWaitHints() {
        func delay(_ headers: [String: String]) -> Double? { FailureClassifier.retryDelay { headers[$0] } }
        #expect(delay(["retry-after": "1"]) == 1)
        #expect(delay(["retry-after-ms": "250", "retry-after": "9"]) == 0.25)
        #expect(delay(["x-ratelimit-reset-requests": "1m30s", "x-ratelimit-reset-tokens": "20ms"]) == 90)
        let inTwoMinutes = Date().addingTimeInterval(120)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let fromDate = delay(["retry-after": formatter.string(from: inTwoMinutes)]) ?? 0
        #expect(fromDate > 115 && fromDate <= 121)
        #expect(delay([:]) == nil)
        #expect(FailureClassifier.duration("6m0s") == 360)
        #expect(FailureClassifier.duration("1h2m3.5s") == 3723.5)
        #expect(FailureClassifier.duration("soon") == nil)
    }

    // MARK: - plans

    func target(
        _ id: String, model: String = "m", weight: Double = 1, price: Double? = nil, zdr: Bool = false,
        region: String? = nil
    ) throws -> Target {
        var config = TargetConfig(
            id: id, provider: "openai-compatible", model: model, baseURL: "http://127.0.0.1:9/v1", secretEnvName: nil,
            secret: nil, unavailableReason: nil, apiKeyHeader: nil, apiKeyPrefix: nil, apiVersion: nil,
            timeoutSeconds: 60, streamTimeoutSeconds: nil, maxContextTokens: nil, maxMessages: nil, headers: [:],
            format: .openai, providerType: nil, description: nil, weight: weight, dataPolicy: nil,
            pricing: price.map { PricingConfig(prompt: $0, completion: $0) }, dataCollection: nil, zdr: zdr,
            region: region, healthProbe: nil, line: 1, column: 1)
        config.forwardClientOrgHeaders = false
        return try ProviderRegistry.resolve(config, file: "t.yaml")
    }

    func order(_ pool: TargetPool, _ model: String = "m", estimate: RequestEstimate = RequestEstimate()) throws
        -> [String]
    {
        try pool.plan(model: model, api: .chatCompletions, estimate: estimate).candidates.map(\.target.id)
    }

    @Test func strategiesOrderTheCandidates() throws {
        let (a, b, c) = (try target("a", price: 5), try target("b", weight: 3, price: 1), try target("c"))
        #expect(try order(TargetPool(strategy: .single, targets: [a, b, c])) == ["a"])
        #expect(try order(TargetPool(strategy: .fallback, targets: [a, b, c])) == ["a", "b", "c"])
        #expect(
            try order(TargetPool(strategy: .fallback, targets: [a, b, c], maxFallbackAttempts: 2)) == ["a", "b"])
        #expect(try order(TargetPool(strategy: .cost, targets: [a, b, c])) == ["b", "a", "c"], "unpriced last")
        let wrr = TargetPool(strategy: .weightedRoundRobin, targets: [a, b])
        #expect(try order(wrr) == ["b", "a"])
        #expect(try order(wrr) == ["a", "b"], "the pick rotates; the rest follow by weight")
        // latency: the faster measured target first.
        a.health.latency.record(milliseconds: 200, now: MonotonicClock.nanos())
        b.health.latency.record(milliseconds: 50, now: MonotonicClock.nanos())
        let latency = TargetPool(strategy: .latency, targets: [a, b])
        let firsts = (0..<40).map { _ in try? order(latency).first }
        #expect(firsts.filter { $0 == "b" }.count == 38, "all but the exploration picks")
    }

    @Test func openBreakersGoLastAndPanicRoutingTriesEveryone() throws {
        let (a, b) = (try target("a"), try target("b"))
        for _ in 0..<5 {
            _ = a.health.breaker.admit(now: MonotonicClock.nanos())
            a.health.breaker.record(success: false, now: MonotonicClock.nanos())
        }
        #expect(try order(TargetPool(strategy: .fallback, targets: [a, b])) == ["b", "a"])
        #expect(
            try order(TargetPool(strategy: .fallback, targets: [a])) == ["a"], "tried anyway when it is all there is")
    }

    @Test func modelGroupsAliasesAndFallbackGroups() throws {
        let (a, b, c) = (try target("a", model: "x"), try target("b", model: "y"), try target("c", model: "z"))
        let pool = TargetPool(
            strategy: .fallback, targets: [a, b, c],
            groups: [
                ModelGroupConfig(name: "smart", targets: ["b", "a"], aliases: ["clever"], fallbackGroup: "cheap"),
                ModelGroupConfig(name: "cheap", targets: ["c"]),
            ], maxFallbackAttempts: 5)
        let plan = try pool.plan(model: "clever", api: .chatCompletions)
        #expect(plan.candidates.map(\.target.id) == ["b", "a", "c"])
        #expect(plan.candidates.map(\.upstreamModel) == ["y", "x", "z"])
        #expect(pool.models.map(\.id).prefix(3) == ["smart", "clever", "cheap"])
        // The fallback cap is per group: a group larger than it still reaches its fallback group.
        let capped = TargetPool(strategy: .fallback, targets: [a, b, c], groups: pool.groups, maxFallbackAttempts: 1)
        #expect(try capped.plan(model: "smart", api: .chatCompletions).candidates.map(\.target.id) == ["b", "c"])
    }

    @Test func dataRequirementsExcludeTargetsThatDoNotMeetThem() throws {
        let (plain, zdr) = (try target("plain"), try target("private", zdr: true, region: "eu"))
        let pool = TargetPool(
            strategy: .fallback, targets: [plain, zdr],
            requirements: DataRequirements(zeroDataRetention: true, allowedRegions: ["eu"]))
        #expect(try order(pool) == ["private"])
        // A client key's own requirements add to the providers' ones for that client's exchanges.
        let open = TargetPool(strategy: .fallback, targets: [plain, zdr])
        #expect(try order(open) == ["plain", "private"])
        let forClient = try open.plan(
            model: "m", api: .chatCompletions, clientRequirements: DataRequirements(allowedRegions: ["eu"]))
        #expect(forClient.candidates.map(\.target.id) == ["private"])
        let merged = DataRequirements(maxRetentionDays: 30, allowedRegions: ["eu", "us"]).merged(
            with: DataRequirements(noTraining: true, maxRetentionDays: 7, allowedRegions: ["us"]))
        #expect(merged == DataRequirements(noTraining: true, maxRetentionDays: 7, allowedRegions: ["us"]))
        // data_collection: deny counts as a no-training promise (the key acts, it is not merely parsed).
        var denying = ConfigFixture.targetConfig(id: "denying")
        denying.dataCollection = .deny
        let noCollection = try ProviderRegistry.resolve(denying, file: "t.yaml")
        let training = TargetPool(
            strategy: .fallback, targets: [plain, noCollection], requirements: DataRequirements(noTraining: true))
        #expect(try order(training) == ["denying"])
        let none = TargetPool(strategy: .fallback, targets: [plain], requirements: DataRequirements(noTraining: true))
        #expect(throws: GatewayError.self) { try order(none) }
        #expect(
            AttemptLoop.withStoreFalse(Array(#"{"model":"m","store":true}"#.utf8))
                == Array(#"{"model":"m","store":false}"#.utf8))
        #expect(
            AttemptLoop.withStoreFalse(Array(#"{"model":"m"}"#.utf8)) == Array(#"{"store":false,"model":"m"}"#.utf8))
    }

    @Test func contextLimitsTrimOrRefuseBeforeAnyUpstreamCall() async throws {
        var config = ConfigFixture.targetConfig(id: "small")
        config.maxMessages = 2
        let trimming = try ProviderRegistry.resolve(config, file: "t.yaml")
        config.maxMessages = nil
        config.maxContextTokens = 20
        let tiny = try ProviderRegistry.resolve(config, file: "t.yaml")
        config.contextOverflow = .nextTarget
        let tinyNext = try ProviderRegistry.resolve(config, file: "t.yaml")
        let body = Array(
            #"{"model":"m","messages":[{"role":"system","content":"s"},{"role":"user","content":"one"},{"role":"assistant","content":"two"},{"role":"user","content":"three \#(String(repeating: "long ", count: 60))"}]}"#
                .utf8)
        let client = UpstreamClient()
        defer { client.shutdown() }
        let loop = AttemptLoop(
            settings: ProvidersConfig(strategy: .fallback, targets: []), client: client, logger: ChainHarness.logger)
        let request = AttemptLoop.Request(
            api: .chatCompletions, body: body, document: try JSONDocument(parsing: body), stream: false,
            context: UpstreamContext(
                requestID: "r", stream: false, clientAuthorization: nil, policyHeaders: [], forwardedHeaders: []),
            deadline: MonotonicClock.nanos() + 2_000_000_000, registerCancel: { _ in }, isAbandoned: { false })
        let records = Locked<[AttemptRecord]>([])
        // Too long for a 20-token window, even trimmed: 400 context_length_exceeded, no upstream call.
        let refused = await loop.run(
            RoutePlan(candidates: [.init(target: tiny, upstreamModel: nil)], strategy: .fallback), request
        ) { r in records.withLock { $0.append(r) } }
        guard case .failed(let error, _, _) = refused else {
            Issue.record("expected a refusal, got \(refused)"); return
        }
        #expect(error.status == 400 && error.code == "context_length_exceeded" && error.param == "messages")
        #expect(records.withLock { $0.map(\.outcome) } == ["context_too_long"])
        // next_target: the small target is skipped; the next one (max_messages 2) is tried with a trimmed body.
        records.withLock { $0 = [] }
        let plan = RoutePlan(
            candidates: [.init(target: tinyNext, upstreamModel: nil), .init(target: trimming, upstreamModel: nil)],
            strategy: .fallback)
        _ = await loop.run(plan, request) { r in records.withLock { $0.append(r) } }
        let outcomes = records.withLock { $0.map(\.outcome) }
        #expect(outcomes.first == "context_too_long")
        #expect(
            outcomes.dropFirst().allSatisfy { $0.hasPrefix("retryable") }, "then sent (to a port nothing listens on)")
    }
}
