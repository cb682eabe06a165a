import Foundation
import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// Chain semantics with real plugins: order, short-circuit, mutation seen by the next policy, tags along
/// the chain, begin/end pairing on every path, and the fail modes.
@Suite struct ChainEngineTests {
    let recorder: String
    let journal: String

    init() async throws {
        recorder = try await PluginBuilder.fixture("recorder")
        journal = TestPaths.makeTemporaryFolder("journal") + "/journal.log"
    }

    func entry(_ name: String, _ config: String = "", onError: FailMode = .failClosed) -> ChainHarness.Entry {
        let extra = config.isEmpty ? "" : "," + config
        return .init(
            name: name, file: recorder, config: "{\"journal\":\(jsonQuoted(journal))\(extra)}", onError: onError)
    }

    func journalLines() -> [String] {
        ((try? String(contentsOfFile: journal, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    @Test func runsInOrderAndTagsFlowAlong() async throws {
        let chain = try ChainHarness.load([
            entry("first", #""tag_key":"finding","tag_value":"2""#), entry("second"), entry("third"),
        ])
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        let result = await run.request(ChainHarness.chatBody("hello"))
        #expect(result.decision == .proceed)
        await run.end(PAB_END_COMPLETED, status: 200)
        // Each policy saw the tags of the ones before it, in chain order.
        #expect(exchange.tag("second.seen")?.contains("first.finding") == true)
        #expect(exchange.tag("third.seen")?.contains("second.seen_request") == true)
        #expect(exchange.tag("first.seen") == "")
        let verdicts = exchange.verdicts.map { "\($0.policy):\($0.verdict)" }
        #expect(verdicts == ["first:allow", "second:allow", "third:allow"])
        #expect(
            journalLines() == [
                "begin first \(exchange.requestID)", "begin second \(exchange.requestID)",
                "begin third \(exchange.requestID)", "end first \(exchange.requestID) completed 200",
                "end second \(exchange.requestID) completed 200", "end third \(exchange.requestID) completed 200",
            ])
    }

    @Test func firstDenyStopsTheChain() async throws {
        let chain = try ChainHarness.load([
            entry("first"), entry("second", #""deny_if_contains":"forbidden","message":"no forbidden words""#),
            entry("third"),
        ])
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        let result = await run.request(ChainHarness.chatBody("a forbidden thing"))
        #expect(
            result.decision
                == .deny(
                    policy: "second",
                    payload: DenyPayload(status: 409, code: "input_blocked", message: "no forbidden words")))
        await run.end(PAB_END_DENIED, status: 409)
        #expect(exchange.tag("third.seen_request") == nil, "the third policy's on_request never ran")
        // Every policy began before the first on_request, so every one gets its end, exactly once, with
        // the reason: a policy after the denying one (an audit logger placed last) still sees the exchange.
        let id = exchange.requestID
        #expect(
            journalLines() == [
                "begin first \(id)", "begin second \(id)", "begin third \(id)", "end first \(id) denied 409",
                "end second \(id) denied 409", "end third \(id) denied 409",
            ])
    }

    @Test func mutationIsWhatTheNextPolicySees() async throws {
        let chain = try ChainHarness.load([
            entry("first", #""replace":"secret","with":"[X]""#),
            entry("second", #""deny_if_contains":"secret""#),
        ])
        let run = chain.start(ChainHarness.exchange())
        let result = await run.request(ChainHarness.chatBody("my secret is secret"))
        #expect(result.decision == .proceed, "the second policy saw the redacted text, so it did not deny")
        #expect(result.changed)
        let text = ChainHarness.text(result.body)
        #expect(text.contains(#""content":"my [X] is [X]""#))
        // Everything else is byte-for-byte what the client sent.
        #expect(text.contains(#""x_unknown":{"keep":[1,2.50,"as is"]}"#))
        await run.end(PAB_END_COMPLETED, status: 200)
    }

    @Test func beginEndPairedAcrossManyConcurrentExchanges() async throws {
        let chain = try ChainHarness.load([
            entry("first"), entry("second", #""deny_if_contains":"deny-me""#), entry("third"),
        ])
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                group.addTask {
                    let run = chain.start(ChainHarness.exchange(id: "req-\(index)"))
                    let result = await run.request(ChainHarness.chatBody(index % 3 == 0 ? "deny-me" : "fine"))
                    let denied = result.decision != .proceed
                    await run.end(denied ? PAB_END_DENIED : PAB_END_COMPLETED, status: denied ? 409 : 200)
                    await run.end(PAB_END_COMPLETED, status: 200)  // a second end is ignored
                }
            }
        }
        var begins: [String: Int] = [:]
        var ends: [String: Int] = [:]
        for line in journalLines() {
            let parts = line.split(separator: " ")
            let key = "\(parts[1]) \(parts[2])"
            if parts[0] == "begin" { begins[key, default: 0] += 1 } else { ends[key, default: 0] += 1 }
        }
        #expect(begins.count == 60 * 3, "every policy begins every exchange, denied ones included")
        #expect(begins == ends, "every begin has exactly one end")
    }

    @Test func failClosedRefusesAndFailOpenContinues() async throws {
        let broken = try await PluginBuilder.fixture("error_verdict")
        let closed = try ChainHarness.load([
            .init(name: "error-verdict", file: broken, onError: .failClosed), entry("after"),
        ])
        let exchange = ChainHarness.exchange()
        let result = await closed.start(exchange).request(ChainHarness.chatBody("x"))
        guard case .failure(let policy, let reason) = result.decision else {
            Issue.record("expected a failure, got \(result.decision)")
            return
        }
        #expect(policy == "error-verdict")
        #expect(reason == "plugin error: boom")
        #expect(exchange.tag("after.seen_request") == nil)

        let open = try ChainHarness.load([
            .init(name: "error-verdict", file: broken, onError: .failOpen), entry("after"),
        ])
        let openExchange = ChainHarness.exchange()
        let openResult = await open.start(openExchange).request(ChainHarness.chatBody("x"))
        #expect(openResult.decision == .proceed)
        #expect(openExchange.tag("after.seen_request") == "1", "the chain continued")
        #expect(open.policies[0].errorCount.load(ordering: .relaxed) == 1)
        #expect(openExchange.verdicts.first?.verdict == "error_fail_open")
    }

    @Test(arguments: [
        ("unknown_verdict", "unknown verdict 77"),
        ("deny_without_payload", "DENY verdict without a deny() payload"),
        ("mutate_without_capability", "MUTATE after replace_body without the MUTATES_REQUEST capability"),
    ])
    func misbehaviourIsAnError(fixture: String, reason: String) async throws {
        let name = fixture.replacingOccurrences(of: "_", with: "-")
        let chain = try ChainHarness.load([.init(name: name, file: try await PluginBuilder.fixture(fixture))])
        let result = await chain.start(ChainHarness.exchange()).request(ChainHarness.chatBody("x"))
        #expect(result.decision == .failure(policy: name, reason: reason))
    }

    @Test func slowHookTimesOutWithoutHoldingTheRequest() async throws {
        let slow = try await PluginBuilder.fixture("slow_hook")
        let chain = try ChainHarness.load([
            .init(name: "slow-hook", file: slow, config: #"{"sleep_ms":6000}"#, onError: .failOpen, timeoutMs: 100),
            entry("after"),
        ])
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        let started = Date()
        let result = await run.request(ChainHarness.chatBody("x"))
        let waited = Date().timeIntervalSince(started)
        #expect(result.decision == .proceed, "fail_open: the chain went on")
        // Generous bound: the parallel test suite can delay scheduling, but never by the hook's 6 s.
        #expect(waited < 3.0, "the request did not wait for the stuck hook (\(waited) s)")
        #expect(exchange.tag("after.seen_request") == "1")
        await run.end(PAB_END_COMPLETED, status: 200)

        let closed = try ChainHarness.load([
            .init(name: "slow-hook", file: slow, config: #"{"sleep_ms":300}"#, timeoutMs: 50)
        ])
        let closedResult = await closed.start(ChainHarness.exchange()).request(ChainHarness.chatBody("x"))
        guard case .failure(_, let reason) = closedResult.decision else {
            Issue.record("expected a timeout failure, got \(closedResult.decision)")
            return
        }
        #expect(reason.hasPrefix("timeout"))
    }

    @Test func requestsTimeOutWhenEveryPolicyThreadIsHeldByAStuckHook() async throws {
        let slow = try await PluginBuilder.fixture("slow_hook")
        let single = PolicyExecutor(threads: 1)
        defer { single.shutdown() }
        let chain = try ChainHarness.load(
            [.init(name: "slow-hook", file: slow, config: #"{"sleep_ms":2500}"#, timeoutMs: 100)], executor: single)
        // The first request's hook takes the only thread for 2.5 s.
        let first = await chain.start(ChainHarness.exchange()).request(ChainHarness.chatBody("x"))
        #expect(
            first.decision
                == .failure(policy: "slow-hook", reason: "timeout: the hook did not return within its budget"))
        // The second cannot get a thread: it fails by its own budget instead of queueing behind the stuck one.
        let started = ContinuousClock.now
        let second = await chain.start(ChainHarness.exchange()).request(ChainHarness.chatBody("x"))
        let waited = ContinuousClock.now - started
        #expect(
            second.decision
                == .failure(
                    policy: "slow-hook",
                    reason: "timeout: no policy thread became free within the hook's budget (all are busy)"))
        #expect(waited < .milliseconds(2000), "waited \(waited) for a thread")
    }

    @Test func streamEventsPassTheChainAndADenyStopsIt() async throws {
        let chain = try ChainHarness.load([
            entry("first", #""replace":"bad","with":"good""#),
            entry("second", #""deny_stream_if_contains":"stop""#),
        ])
        let exchange = ChainHarness.exchange(stream: true)
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("hi"))
        let one = await run.streamEvent(ChainHarness.chunk("a bad word"), event: nil, index: 0)
        #expect(one.decision == .proceed)
        #expect(ChainHarness.text(one.body).contains(#""content":"a good word""#))
        let two = await run.streamEvent(ChainHarness.chunk("now stop"), event: nil, index: 1)
        #expect(
            two.decision
                == .deny(
                    policy: "second",
                    payload: DenyPayload(status: 409, code: "output_blocked", message: "blocked by recorder")))
        _ = await run.streamEnd(reason: PAB_END_DENIED, status: 409, events: 2, bytes: 10)
        await run.end(PAB_END_DENIED, status: 409)
        #expect(exchange.tag("first.chunks") == "2")
        #expect(exchange.tag("first.stream_end_reason") == "denied")
    }

    private func events(_ texts: [String], from first: UInt64 = 0) -> [ChainRun.StreamEventInput] {
        texts.enumerated().map { offset, text in
            ChainRun.StreamEventInput(data: ChainHarness.chunk(text), event: nil, index: first + UInt64(offset))
        }
    }

    @Test func aBatchOfEventsIsTheSameAsEventsOneByOne() async throws {
        let chain = try ChainHarness.load([
            entry("first", #""replace":"bad","with":"good""#), entry("second", #""replace":"good","with":"fine""#),
        ])
        let exchange = ChainHarness.exchange(stream: true)
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("hi"))
        let results = await run.streamEvents(events(["one bad", "two", "three bad bad"]))
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0.decision == .proceed })
        // Each event passed both policies in order: the second saw the first's replacement.
        #expect(ChainHarness.text(results[0].body).contains(#""content":"one fine""#))
        #expect(!results[1].changed)
        #expect(ChainHarness.text(results[2].body).contains(#""content":"three fine fine""#))
        #expect(exchange.tag("first.chunks") == "3")
        #expect(exchange.tag("second.chunks") == "3")
        await run.end(PAB_END_COMPLETED, status: 200)
    }

    @Test func aDenyInABatchStopsItThere() async throws {
        let chain = try ChainHarness.load([entry("first"), entry("second", #""deny_stream_if_contains":"stop""#)])
        let exchange = ChainHarness.exchange(stream: true)
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("hi"))
        let results = await run.streamEvents(events(["a", "b", "now stop", "never seen", "nor this"]))
        #expect(results.count == 3, "results up to and including the denied event")
        #expect(results[0].decision == .proceed && results[1].decision == .proceed)
        #expect(
            results[2].decision
                == .deny(
                    policy: "second",
                    payload: DenyPayload(status: 409, code: "output_blocked", message: "blocked by recorder")))
        // No policy saw the events after the deny.
        #expect(exchange.tag("first.chunks") == "3")
        #expect(exchange.tag("second.chunks") == "3")
        await run.end(PAB_END_DENIED, status: 409)
    }

    @Test func aHookStuckInTheMiddleOfABatchIsAbandonedAndTheRestGoOn() async throws {
        let slow = try await PluginBuilder.fixture("slow_hook")
        let chain = try ChainHarness.load([
            entry("before"),
            .init(
                name: "slow-hook", file: slow, config: #"{"sleep_ms":2000,"stuck_chunk":1}"#, onError: .failOpen,
                timeoutMs: 100),
            entry("after", #""replace":"x","with":"y""#),
        ])
        let exchange = ChainHarness.exchange(stream: true)
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("hi"))
        let started = ContinuousClock.now
        let results = await run.streamEvents(events(["x0", "x1", "x2", "x3"]))
        #expect(ContinuousClock.now - started < .milliseconds(1500), "the batch did not wait for the stuck hook")
        #expect(results.count == 4)
        #expect(results.allSatisfy { $0.decision == .proceed }, "fail_open")
        // Every event still passed the policies after the stuck one, with their changes.
        for (offset, result) in results.enumerated() {
            #expect(ChainHarness.text(result.body).contains(#""content":"y\#(offset)""#), "event \(offset)")
        }
        #expect(exchange.tag("before.chunks") == "4")
        #expect(exchange.tag("after.chunks") == "4")
        #expect(exchange.verdicts.contains { $0.policy == "slow-hook" && $0.verdict == "error_fail_open" })
        // The stuck policy gets no further events of this exchange.
        let later = await run.streamEvents(events(["x4"], from: 4))
        #expect(later.count == 1 && later[0].decision == .proceed)
        #expect(exchange.tag("after.chunks") == "5")
        await run.end(PAB_END_COMPLETED, status: 200)
    }

    @Test func aFailClosedTimeoutInABatchStopsItThere() async throws {
        let slow = try await PluginBuilder.fixture("slow_hook")
        let chain = try ChainHarness.load([
            .init(name: "slow-hook", file: slow, config: #"{"sleep_ms":1000,"stuck_chunk":2}"#, timeoutMs: 50),
            entry("after"),
        ])
        let exchange = ChainHarness.exchange(stream: true)
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("hi"))
        let results = await run.streamEvents(events(["a", "b", "c", "d"]))
        #expect(results.count == 3)
        #expect(
            results[2].decision
                == .failure(policy: "slow-hook", reason: "timeout: the hook did not return within its budget"))
        #expect(exchange.tag("after.chunks") == "2", "the policy after the stuck one saw the events before it only")
        await run.end(PAB_END_POLICY_ERROR, status: 503)
    }

    @Test func aFailedBeginStopsTheExchangeBeforeAnyRequestHookOrIsSkippedWhenFailOpen() async throws {
        let closed = try ChainHarness.load([
            entry("first"), entry("broken", #""fail_begin":true"#), entry("third"),
        ])
        let exchange = ChainHarness.exchange()
        let run = closed.start(exchange)
        let result = await run.request(ChainHarness.chatBody("hello"))
        #expect(result.decision == .failure(policy: "broken", reason: "exchange_begin returned \(PAB_ERR_FAILED)"))
        // No on_request ran, and the policies whose begin succeeded still get their end.
        #expect(exchange.tag("first.seen_request") == nil)
        await run.end(PAB_END_POLICY_ERROR, status: 503)
        let id = exchange.requestID
        #expect(
            journalLines() == [
                "begin first \(id)", "beginfail broken", "end first \(id) policy_error 503",
            ])

        let open = try ChainHarness.load([
            entry("first"), entry("broken", #""fail_begin":true"#, onError: .failOpen), entry("third"),
        ])
        let second = ChainHarness.exchange()
        let secondRun = open.start(second)
        let allowed = await secondRun.request(ChainHarness.chatBody("hello"))
        #expect(allowed.decision == .proceed)
        #expect(second.tag("first.seen_request") == "1")
        #expect(second.tag("broken.seen_request") == nil, "no hook runs without its exchange state")
        #expect(second.tag("third.seen_request") == "1")
        await secondRun.end(PAB_END_COMPLETED, status: 200)
    }

    @Test func aDenyEndsTheExchangeInTheSameHandOff() async throws {
        let chain = try ChainHarness.load([entry("first"), entry("second", #""deny_if_contains":"stop""#)])
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        let result = await run.request(ChainHarness.chatBody("please stop"))
        #expect(
            result.decision
                == .deny(
                    policy: "second",
                    payload: DenyPayload(status: 409, code: "input_blocked", message: "blocked by recorder")))
        let id = exchange.requestID
        let ends = ["end first \(id) denied 409", "end second \(id) denied 409"]
        // Already ended when request() returns, without a call to end().
        #expect(journalLines().filter { $0.hasPrefix("end ") } == ends)
        await run.end(PAB_END_DENIED, status: 409)  // what the handler does anyway: a no-op now
        #expect(journalLines().filter { $0.hasPrefix("end ") } == ends)
    }

    @Test func responseCanEndTheExchangeInTheSameHandOff() async throws {
        let chain = try ChainHarness.load([entry("first"), entry("second")])
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("hello"))
        #expect(journalLines().filter { $0.hasPrefix("end ") }.isEmpty)
        let answer = PhaseBody(
            bytes: Array(#"{"choices":[{"message":{"role":"assistant","content":"hi"}}]}"#.utf8),
            segmentPhase: .response(.chatCompletions))
        let result = await run.response(answer, status: 201, contentType: "application/json", endsExchange: true)
        #expect(result.decision == .proceed)
        let id = exchange.requestID
        #expect(
            journalLines().filter { $0.hasPrefix("end ") } == [
                "end first \(id) completed 201", "end second \(id) completed 201",
            ])
        #expect(exchange.state.withLock { $0.status } == 201)
    }

    @Test func aStuckExchangeEndAfterAResponseDoesNotHoldTheAnswer() async throws {
        let slow = try await PluginBuilder.fixture("slow_hook")
        let chain = try ChainHarness.load([
            entry("first"),
            .init(name: "slow-hook", file: slow, config: #"{"sleep_ms":3000,"end_sleeps":true}"#, timeoutMs: 100),
        ])
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("hello"))
        let started = ContinuousClock.now
        let answer = PhaseBody(
            bytes: Array(#"{"choices":[{"message":{"role":"assistant","content":"hi"}}]}"#.utf8),
            segmentPhase: .response(.chatCompletions))
        let result = await run.response(answer, status: 200, contentType: "application/json", endsExchange: true)
        #expect(result.decision == .proceed, "a slow exchange_end is not a policy failure")
        #expect(ContinuousClock.now - started < .milliseconds(2000), "the answer did not wait for the stuck end")
        #expect(journalLines().contains("end first \(exchange.requestID) completed 200"))
    }
}
