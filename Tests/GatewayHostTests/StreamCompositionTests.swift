import Foundation
import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// The composition rule of streamed text: text a policy releases with `insert_delta` is an event that
/// every later policy sees, in order, exactly like an upstream event. Several policies holding text back
/// must not reorder it, and a later policy must be able to change or deny released text.
@Suite struct StreamCompositionTests {
    let holdback: String
    let recorder: String

    init() async throws {
        holdback = try await PluginBuilder.fixture("holdback")
        recorder = try await PluginBuilder.fixture("recorder")
    }

    func hold(_ name: String, _ releaseAt: Int) -> ChainHarness.Entry {
        .init(name: name, file: holdback, config: "{\"release_at\":\(releaseAt)}")
    }

    func recording(_ name: String, _ config: String) -> ChainHarness.Entry {
        .init(name: name, file: recorder, config: "{" + config + "}")
    }

    /// Streams `pieces` through the chain as upstream events (plus the final event) and returns the text
    /// the client would reassemble, or the deny / failure that ended the stream.
    func relay(_ chain: PolicyChain, api: WireAPI, pieces: [String]) async -> (text: String, stop: ChainDecision?) {
        let exchange = ChainHarness.exchange(stream: true, api: api)
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("hi"))
        var inputs: [ChainRun.StreamEventInput] = pieces.enumerated().map { offset, piece in
            .init(data: Self.delta(piece, api: api), event: Self.deltaEvent(api), index: UInt64(offset))
        }
        inputs.append(Self.final(api: api, index: UInt64(pieces.count)))
        for input in inputs { run.synthesizer.withLock { $0.observe(input.data.document) } }
        var text = ""
        var stop: ChainDecision?
        // Batches of 1-3 events, as upstream reads deliver them.
        var start = 0
        while start < inputs.count && stop == nil {
            let end = min(inputs.count, start + 1 + start % 3)
            for result in await run.streamEvents(Array(inputs[start..<end])) {
                if result.decision != .proceed {
                    stop = result.decision
                    break
                }
                for item in result.items { text += Self.deltaText(item.body, api: api) }
            }
            start = end
        }
        await run.end(stop == nil ? PAB_END_COMPLETED : PAB_END_DENIED, status: stop == nil ? 200 : 409)
        return (text, stop)
    }

    @Test(arguments: [WireAPI.chatCompletions, .responses])
    func twoPoliciesHoldingTextBackKeepItsOrder(api: WireAPI) async throws {
        // The reported case: pieces of five characters through two policies that hold text back.
        let chain = try ChainHarness.load([hold("outer", 7), hold("inner", 11)])
        let text = "hello there my friend, how are you today"
        let pieces = stride(from: 0, to: text.count, by: 5).map { String(Array(text)[$0..<min($0 + 5, text.count)]) }
        let result = await relay(chain, api: api, pieces: pieces)
        #expect(result.stop == nil)
        #expect(result.text == text)
    }

    @Test(arguments: [WireAPI.chatCompletions, .responses])
    func releasedTextPassesEveryLaterPolicy(api: WireAPI) async throws {
        // The replacing policy sits after the one holding text back: it must see (and change) the release.
        let chain = try ChainHarness.load([hold("holder", 6), recording("replacer", #""replace":"x","with":"y""#)])
        let result = await relay(chain, api: api, pieces: ["axb", "xx c", "dx"])
        #expect(result.stop == nil)
        #expect(result.text == "aybyy cdy")
    }

    @Test(arguments: [WireAPI.chatCompletions, .responses])
    func aLaterPolicyDeniesReleasedText(api: WireAPI) async throws {
        // The word is only whole in the text the first policy releases at the final event.
        let chain = try ChainHarness.load([
            hold("holder", 1000), recording("blocker", #""deny_stream_if_contains":"stop""#),
        ])
        let result = await relay(chain, api: api, pieces: ["please st", "op now"])
        #expect(result.text.isEmpty, "nothing reached the client before the deny")
        #expect(
            result.stop
                == .deny(
                    policy: "blocker",
                    payload: DenyPayload(status: 409, code: "output_blocked", message: "blocked by recorder")))
    }

    @Test(arguments: [WireAPI.chatCompletions, .responses])
    func randomTextsAndSplitsArriveByteForByte(api: WireAPI) async throws {
        let chain = try ChainHarness.load([hold("a", 3), hold("b", 7), hold("c", 5)])
        var random = SplitMix64(seed: api == .chatCompletions ? 0x5EED : 0xF00D)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz ,.!?0123456789-")
        for round in 0..<40 {
            let length = Int(random.next() % 200) + 1
            let text = String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            var pieces: [String] = []
            var rest = Substring(text)
            while !rest.isEmpty {
                let size = Int(random.next() % 12) + 1
                pieces.append(String(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            let result = await relay(chain, api: api, pieces: pieces)
            #expect(result.stop == nil)
            #expect(result.text == text, "round \(round): pieces \(pieces)")
        }
    }

    // MARK: - events in the wire formats

    static func deltaEvent(_ api: WireAPI) -> String? {
        api == .chatCompletions ? nil : "response.output_text.delta"
    }

    static func delta(_ text: String, api: WireAPI) -> PhaseBody {
        switch api {
        case .chatCompletions, .embeddings:
            return ChainHarness.chunk(text)
        case .responses:
            let json =
                "{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\(jsonQuoted(text))}"
            return PhaseBody(bytes: Array(json.utf8), segmentPhase: .streamEvent(.responses))
        }
    }

    static func final(api: WireAPI, index: UInt64) -> ChainRun.StreamEventInput {
        switch api {
        case .chatCompletions, .embeddings:
            return .init(
                data: PhaseBody(bytes: Array("[DONE]".utf8), segmentPhase: .streamEvent(api)), event: nil, index: index,
                isFinal: true)
        case .responses:
            let json = #"{"type":"response.completed","response":{"id":"resp_1","status":"completed","output":[]}}"#
            return .init(
                data: PhaseBody(bytes: Array(json.utf8), segmentPhase: .streamEvent(api)), event: "response.completed",
                index: index, isFinal: true)
        }
    }

    /// The delta text of one forwarded event, as an SDK accumulates it.
    static func deltaText(_ body: PhaseBody?, api: WireAPI) -> String {
        guard let root = body?.document?.root else { return "" }
        switch api {
        case .chatCompletions, .embeddings: return root["choices"]?[0]?["delta"]?["content"]?.string ?? ""
        case .responses:
            return root["type"]?.string == "response.output_text.delta" ? (root["delta"]?.string ?? "") : ""
        }
    }
}

/// A small seeded generator, so a failing round can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
