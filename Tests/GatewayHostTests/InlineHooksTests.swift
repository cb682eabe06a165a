import Foundation
import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// PolicyABI 1.3's PAB_CAP_INLINE_SAFE: hooks of plugins that promise to stay short run on the exchange's
/// own thread; bodies over 32 KiB, a chain with a plugin that made no promise, `inline_hooks: false`, and
/// a plugin that broke the promise once all go to the policy threads ("policy-N").
@Suite struct InlineHooksTests {
    let probe: String
    let recorder: String

    init() async throws {
        probe = try await PluginBuilder.fixture("inline_probe")
        recorder = try await PluginBuilder.fixture("recorder")
    }

    func probeEntry(_ name: String = "probe", slowWord: String = "", sleepMicros: Int = 0) -> ChainHarness.Entry {
        .init(name: name, file: probe, config: "{\"slow_word\":\(jsonQuoted(slowWord)),\"sleep_us\":\(sleepMicros)}")
    }

    /// Runs one request through `chain` and returns the name of the thread the probe's on_request ran on.
    func threadOfRequest(_ chain: PolicyChain, _ text: String, policy: String = "probe") async -> String? {
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        let result = await run.request(ChainHarness.chatBody(text))
        #expect(result.decision == .proceed)
        await run.end(PAB_END_COMPLETED, status: 200)
        return exchange.tag("\(policy).thread")
    }

    @Test func aPromisingPluginRunsOnTheExchangesThread() async throws {
        let chain = try ChainHarness.load([probeEntry()])
        let thread = try #require(await threadOfRequest(chain, "hello"))
        #expect(!thread.hasPrefix("policy-"), "ran on \(thread)")
        #expect(chain.policies[0].inline.allowed)
    }

    @Test func inlineHooksOffUsesThePolicyThreads() async throws {
        let chain = try ChainHarness.load([probeEntry()], inline: .off)
        let thread = try #require(await threadOfRequest(chain, "hello"))
        #expect(thread.hasPrefix("policy-"), "ran on \(thread)")
    }

    @Test func aPluginWithoutThePromiseSendsTheWholeJobToThePolicyThreads() async throws {
        let journal = TestPaths.makeTemporaryFolder("inline") + "/journal.log"
        let chain = try ChainHarness.load([
            probeEntry(), .init(name: "recorder", file: recorder, config: "{\"journal\":\(jsonQuoted(journal))}"),
        ])
        let thread = try #require(await threadOfRequest(chain, "hello"))
        #expect(thread.hasPrefix("policy-"), "ran on \(thread)")
    }

    @Test func aBodyOverThirtyTwoKiBGoesToThePolicyThreads() async throws {
        let chain = try ChainHarness.load([probeEntry()])
        let big = String(repeating: "lorem ipsum ", count: InlineHooks.maxBodyBytes / 12 + 10)
        let thread = try #require(await threadOfRequest(chain, big))
        #expect(thread.hasPrefix("policy-"), "ran on \(thread)")
        // The small one right after still runs inline: size is not a broken promise.
        let small = try #require(await threadOfRequest(chain, "hello"))
        #expect(!small.hasPrefix("policy-"), "ran on \(small)")
    }

    @Test func repeatedCallsOverTheBudgetDemoteThePluginForGood() async throws {
        let chain = try ChainHarness.load(
            [probeEntry(slowWord: "slowly", sleepMicros: 3_000)],
            inline: InlineHooks(enabled: true, budgetNanos: 1_000_000))
        // A slow first call (a table faulted in, a file opened) is forgiven: it is part of the warm-up.
        _ = await threadOfRequest(chain, "answer slowly")
        for _ in 1..<InlineStatus.warmUpCalls { _ = await threadOfRequest(chain, "hello") }
        #expect(chain.policies[0].inline.allowed)
        for strike in 1...InlineStatus.minimumStrikes {
            let thread = try #require(await threadOfRequest(chain, "answer slowly"))
            #expect(!thread.hasPrefix("policy-"), "strike \(strike) still ran inline (it could not be known before)")
        }
        #expect(chain.policies[0].inline.isDemoted)
        for _ in 0..<3 {
            let next = try #require(await threadOfRequest(chain, "hello"))
            #expect(next.hasPrefix("policy-"), "after the demotion it ran on \(next)")
        }
    }

    @Test func rareSlowCallsAmongManyAreTheMachinesNotThePlugins() async throws {
        let chain = try ChainHarness.load(
            [probeEntry(slowWord: "slowly", sleepMicros: 2_000)],
            inline: InlineHooks(enabled: true, budgetNanos: 1_000_000))
        let fast = Int(InlineStatus.warmUpCalls + InlineStatus.minimumStrikes * InlineStatus.strikeRatio)
        for _ in 0..<fast { _ = await threadOfRequest(chain, "hello") }
        for _ in 0..<InlineStatus.minimumStrikes { _ = await threadOfRequest(chain, "answer slowly") }
        #expect(!chain.policies[0].inline.isDemoted, "8 slow calls in 328 are under one in 20")
    }

    @Test func aCallLongerThanItsTimeoutDemotesAtOnce() async throws {
        var entry = probeEntry(slowWord: "slowly", sleepMicros: 80_000)
        entry.timeoutMs = 30
        entry.onError = .failOpen
        let chain = try ChainHarness.load([entry])
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("answer slowly"))
        await run.end(PAB_END_COMPLETED, status: 200)
        #expect(chain.policies[0].inline.isDemoted)
        let next = try #require(await threadOfRequest(chain, "hello"))
        #expect(next.hasPrefix("policy-"), "after the demotion it ran on \(next)")
    }

    @Test func aPluginBuiltAgainstV1_0NeverRunsInline() async throws {
        let folder = TestPaths.makeTemporaryFolder("inline-v1_0")
        let old = try await PluginBuilder.fixture(
            "recorder", as: "recorder", into: folder, include: PluginBuilder.v1_0Include)
        let journal = folder + "/journal.log"
        let chain = try ChainHarness.load(
            [.init(name: "recorder", file: old, config: "{\"journal\":\(jsonQuoted(journal))}")], folder: folder)
        #expect(!chain.policies[0].inline.promised)
        #expect(!chain.runsInline(from: 0, bodyBytes: 10))
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        #expect(await run.request(ChainHarness.chatBody("hello")).decision == .proceed)
        await run.end(PAB_END_COMPLETED, status: 200)
        #expect(exchange.tag("recorder.seen") != nil)
    }

    @Test func configReadsAndRefusesTheInlineKeys() throws {
        let section = try ConfigFixture.load(
            ConfigFixture.minimal + "\ngateway:\n  inline_hooks: false\n  inline_hook_budget_us: 250\n"
        ).config.gateway
        #expect(section.inlineHooks == InlineHooks(enabled: false, budgetNanos: 250_000))
        #expect(try ConfigFixture.load(ConfigFixture.minimal).config.gateway.inlineHooks == .standard)
        let tooSmall = ConfigFixture.errors(ConfigFixture.minimal + "\ngateway:\n  inline_hook_budget_us: 5\n")
        #expect(tooSmall.contains { $0.contains("inline_hook_budget_us") })
        let typo = ConfigFixture.errors(ConfigFixture.minimal + "\ngateway:\n  inline_hook: false\n")
        #expect(typo.contains { $0.contains("did you mean") && $0.contains("inline_hooks") })
    }
}
