import Logging
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// Rate limits and budgets over the in-memory state, usage figures and cost, and the stream-usage rewrite.
@Suite struct UsageLimiterTests {
    struct DeadState: LimitState {
        func admit(_ key: String, amount: Double, limit: Double, windowSeconds: Double, now: Double)
            async throws(LimitStateError) -> WindowVerdict
        { throw LimitStateError("down") }
        func record(_ key: String, amount: Double, windowSeconds: Double, now: Double) async throws(LimitStateError) {
            throw LimitStateError("down")
        }
        func acquire(_ key: String, limit: Int, leaseSeconds: Double, now: Double) async throws(LimitStateError) -> (
            acquired: Bool, held: Int
        ) { throw LimitStateError("down") }
        func release(_ key: String) async throws(LimitStateError) { throw LimitStateError("down") }
        func add(_ key: String, amount: Double, ttlSeconds: Double) async throws(LimitStateError) -> Double {
            throw LimitStateError("down")
        }
        func totals(_ keys: [String]) async throws(LimitStateError) -> [Double] { throw LimitStateError("down") }
    }

    private func limiter(
        state: any LimitState = MemoryLimitState(), client: RateLimits = RateLimits(), budget: Budget = Budget(),
        global: RateLimits = RateLimits(), onError: StateSettings.OnError = .failClosed
    ) -> UsageLimiter {
        UsageLimiter(
            state: state, onError: onError, global: global, packBudget: Budget(), pack: "p",
            clients: ["a": (client, budget)], metrics: GatewayMetrics(), logger: Logger(label: "test"))
    }

    @Test func rpmAdmitsTheLimitThenRefusesWithOpenAIHeaders() async {
        let limits = limiter(client: RateLimits(rpm: 2))
        for expected in ["1", "0"] {
            guard case .admitted(let admission) = await limits.admit(client: "a", tokens: 10, now: 1000) else {
                Issue.record("refused too early")
                return
            }
            #expect(admission.headers.first { $0.name == "x-ratelimit-remaining-requests" }?.value == expected)
        }
        guard case .refused(let error, let headers) = await limits.admit(client: "a", tokens: 10, now: 1030) else {
            Issue.record("a third request in the window was admitted")
            return
        }
        #expect(error.status == 429 && error.code == "rate_limit_exceeded" && error.type == "requests")
        #expect(headers.first { $0.name == "retry-after" }?.value == "30")
        #expect(headers.first { $0.name == "x-ratelimit-limit-requests" }?.value == "2")
        #expect(error.message.contains("Limit 2, Used 2, Requested 1"))
        // The window slides: 60 s after the first request, one fits again.
        if case .refused = await limits.admit(client: "a", tokens: 10, now: 1060.001) { Issue.record("not admitted") }
    }

    @Test func aLaterRefusalGivesBackWhatEarlierChecksTook() async throws {
        let state = MemoryLimitState()
        let limits = limiter(state: state, client: RateLimits(rpm: 10), global: RateLimits(tpm: 100))
        guard case .refused = await limits.admit(client: "a", tokens: 500, now: 1000) else {
            Issue.record("a request over the gateway's tpm was admitted")
            return
        }
        let rpm = try await state.admit("rpm:client:a", amount: 0, limit: 0, windowSeconds: 60, now: 1001)
        #expect(rpm.total == 0, "the refused request still counts against the client's rpm")
    }

    @Test func finishCorrectsTheTokenEstimateAndChargesTheBudget() async throws {
        let state = MemoryLimitState()
        let limits = limiter(state: state, client: RateLimits(tpm: 1000), budget: Budget(usdPerDay: 0.01))
        guard case .admitted(let admission) = await limits.admit(client: "a", tokens: 600, now: 1000) else {
            Issue.record("refused")
            return
        }
        await limits.finish(admission, tokens: 100, cost: 0.02, now: 1001)
        let window = try await state.admit("tpm:client:a", amount: 0, limit: 10_000, windowSeconds: 60, now: 1002)
        #expect(window.total == 100)
        guard case .refused(let error, _) = await limits.admit(client: "a", tokens: 10, now: 1003) else {
            Issue.record("a client over its daily budget was admitted")
            return
        }
        #expect(error.status == 429 && error.code == "insufficient_quota" && error.type == "insufficient_quota")
    }

    @Test func maxConcurrentSlotsComeBackWhenExchangesFinish() async {
        let limits = limiter(client: RateLimits(maxConcurrent: 1))
        guard case .admitted(let first) = await limits.admit(client: "a", tokens: 1) else {
            Issue.record("refused")
            return
        }
        if case .admitted = await limits.admit(client: "a", tokens: 1) { Issue.record("two at once with a limit of 1") }
        await limits.finish(first, tokens: nil, cost: nil)
        if case .refused = await limits.admit(client: "a", tokens: 1) { Issue.record("the slot did not come back") }
    }

    @Test func anUnreachableStateFailsClosedOrOpenAsConfigured() async {
        let closed = limiter(state: DeadState(), client: RateLimits(rpm: 5))
        guard case .refused(let error, _) = await closed.admit(client: "a", tokens: 1) else {
            Issue.record("fail_closed admitted")
            return
        }
        #expect(error.status == 503 && error.code == "limit_state_unavailable")
        let open = limiter(state: DeadState(), client: RateLimits(rpm: 5), onError: .failOpen)
        if case .refused = await open.admit(client: "a", tokens: 1) { Issue.record("fail_open refused") }
    }

    @Test func usageFiguresAndCost() throws {
        let chat = try #require(
            UsageFigures(
                usageJSON:
                    #"{"prompt_tokens":1000,"completion_tokens":200,"prompt_tokens_details":{"cached_tokens":400}}"#))
        #expect(chat.cachedTokens == 400 && chat.totalTokens == 1200)
        let usd = try #require(chat.cost(pricing: (prompt: 2.5, completion: 10, cachedInput: 1.25)))
        #expect(abs(usd - (600 * 2.5 + 400 * 1.25 + 200 * 10) / 1e6) < 1e-12)
        let responses = try #require(UsageFigures(usageJSON: #"{"input_tokens":7,"output_tokens":3,"cost":0.5}"#))
        #expect(responses.promptTokens == 7 && responses.cost(pricing: nil) == 0.5, "the provider's own cost wins")
        #expect(UsageFigures(usageJSON: "[]") == nil)
    }

    @Test func aStreamedChatRequestIsMadeToAskForUsageAndNothingElseChanges() throws {
        func asked(_ json: String) throws -> String? {
            let document = try JSONDocument(parsing: Array(json.utf8))
            return StreamUsageRequest.asking(Array(json.utf8), document: document).map {
                String(decoding: $0.bytes, as: UTF8.self)
            }
        }
        #expect(
            try asked(#"{"model":"m","stream":true}"#)?.contains(#""stream_options":{"include_usage":true}"#) == true)
        #expect(
            try asked(#"{"stream_options":{"include_obfuscation":false},"stream":true}"#)
                == #"{"stream_options":{"include_usage":true,"include_obfuscation":false},"stream":true}"#)
        #expect(
            try asked(#"{"stream_options":{"include_usage":false}}"#) == #"{"stream_options":{"include_usage":true}}"#)
        #expect(try asked(#"{"stream_options":{"include_usage":true}}"#) == nil)
    }

    @Test func usageNullMembersAreRemovedByteForByte() throws {
        for (chunk, expected) in [
            (#"{"id":"x", "usage": null, "choices":[]}"#, #"{"id":"x", "choices":[]}"#),
            (#"{"usage":null,"id":"x"}"#, #"{"id":"x"}"#),
            (#"{"id":"x","usage":null}"#, #"{"id":"x"}"#),
        ] {
            let bytes = Array(chunk.utf8)
            let trimmed = try #require(removingMember("usage", from: bytes, doc: try JSONDocument(parsing: bytes)))
            #expect(String(decoding: trimmed, as: UTF8.self) == expected)
        }
    }
}
