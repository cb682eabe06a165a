import Foundation
import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// PolicyABI v1.1 on a v1.1 host: plugins built against the v1.0 header keep loading and working exactly
/// as before (they never see a v1.1 segment kind), and a plugin that opts in sees and edits them.
@Suite struct ABIv1_1Tests {
    static let request = WireToolSegmentTests.chatRequest.replacingOccurrences(
        of: #""content":"book it""#, with: #""content":"book it for alice@example.com""#)

    @Test func aPluginBuiltAgainstV1_0LoadsAndSeesOnlyTheV1_0Kinds() async throws {
        let folder = TestPaths.makeTemporaryFolder("v10plugins")
        let recorder = try await PluginBuilder.fixture("recorder", into: folder, include: PluginBuilder.v1_0Include)
        let journal = folder + "/journal.log"
        let chain = try ChainHarness.load(
            [
                .init(
                    name: "recorder", file: recorder,
                    config: "{\"journal\":\(jsonQuoted(journal)),\"replace\":\"alice@example.com\",\"with\":\"[X]\"}")
            ], folder: folder)
        #expect(chain.policies[0].descriptor.abi_minor == 0, "built against the released v1.0 header")
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        let result = await run.request(
            PhaseBody(bytes: Array(Self.request.utf8), segmentPhase: .request(.chatCompletions)))
        #expect(result.decision == .proceed)
        let after = try #require(result.body?.document?.root)
        // The message text (a v1.0 kind) was edited; the tool-call arguments (v1.1) were never shown.
        #expect(after["messages"]?[0]?["content"]?.string == "book it for [X]")
        #expect(
            after["messages"]?[1]?["tool_calls"]?[0]?["function"]?["arguments"]?.string?.contains("alice@example.com")
                == true)
        await run.end(PAB_END_COMPLETED, status: 200)
        #expect(ChainHarnessJournal.lines(journal).count == 2, "begin and end, as on a v1.0 host")
    }

    @Test func aPluginThatOptsInSeesAndRedactsToolArgumentsValidly() async throws {
        let redactor = try await PluginBuilder.fixture("extended_redactor")
        let chain = try ChainHarness.load([.init(name: "extended-redactor", file: redactor)])
        let exchange = ChainHarness.exchange()
        let run = chain.start(exchange)
        let result = await run.request(
            PhaseBody(bytes: Array(Self.request.utf8), segmentPhase: .request(.chatCompletions)))
        #expect(result.decision == .proceed)
        #expect(exchange.tag("extended-redactor.kinds") == "1,5,5,5,1,7,7")
        let after = try #require(result.body?.document?.root)
        #expect(after["messages"]?[0]?["content"]?.string == "book it for [EMAIL]")
        let arguments = try #require(after["messages"]?[1]?["tool_calls"]?[0]?["function"]?["arguments"]?.string)
        let parsed = try JSONDocument(parsing: arguments)
        #expect(parsed.root["email"]?.string == "[EMAIL]")
        #expect(parsed.root["seats"]?.int == 2, "values the plugin did not change keep their type")
        await run.end(PAB_END_COMPLETED, status: 200)
    }

    @Test func policiesSeeAndExcludeCandidateTargets() async throws {
        let picker = try await PluginBuilder.fixture("candidate_picker")
        let chain = try ChainHarness.load([.init(name: "candidate-picker", file: picker)])
        let routing = RoutingTests()
        let pool = TargetPool(
            strategy: .fallback,
            targets: [
                try routing.target("bad-one", zdr: true, region: "eu"), try routing.target("good"),
                try routing.target("other", model: "elsewhere"),
            ])
        let exchange = Exchange(
            requestID: RequestIdentity.generate(), route: "/v1/chat/completions", api: .chatCompletions,
            model: "m", clientID: "c", clientIP: "127.0.0.1", stream: false, packName: "p", packVersion: "1",
            requestHeaders: [], candidates: { model in pool.candidateTargets(model: model) })
        let run = chain.start(exchange)
        let body = PhaseBody(
            bytes: Array(#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#.utf8),
            segmentPhase: .request(.chatCompletions))
        #expect(await run.request(body).decision == .proceed)
        await run.end(PAB_END_COMPLETED, status: 200)
        #expect(exchange.tag("candidate-picker.seen") == "bad-one:1:eu:-1,good:0::-1")
        let excluded = exchange.state.withLock { $0.excludedTargets }
        #expect(excluded == ["bad-one": "excluded by policy 'candidate-picker': bad by name"])
        let plan = try pool.plan(model: "m", api: .chatCompletions, excluded: excluded)
        #expect(plan.candidates.map(\.target.id) == ["good"])
        #expect(throws: GatewayError.self) {
            try pool.plan(model: "m", api: .chatCompletions, excluded: ["good": "x", "bad-one": "y"])
        }
    }

    @Test func theHostAdvertisesTheCurrentMinor() {
        #expect(HostAPI.table.pointee.abi_minor == 3)
        #expect(PluginABI.knownCapabilities & UInt64(PAB_CAP_EXTENDED_SEGMENTS) != 0)
        #expect(PluginABI.knownCapabilities & UInt64(PAB_CAP_INLINE_SAFE) != 0)
    }
}

/// Reads a recorder journal.
enum ChainHarnessJournal {
    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
