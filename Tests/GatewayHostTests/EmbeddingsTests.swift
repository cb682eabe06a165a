import Foundation
import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// `POST /v1/embeddings` (PolicyABI 1.2): the input strings are INPUT segments the chain can redact or
/// block, the request is checked like OpenAI checks it, and a plugin built against v1.0 redacts it too.
@Suite struct EmbeddingsTests {
    private func document(_ json: String) throws -> JSONDocument { try JSONDocument(parsing: Array(json.utf8)) }

    @Test func inputStringsAreInputSegmentsAndTokenArraysAreNot() throws {
        let one = segments(of: try document(#"{"model":"e","input":"hello there"}"#), phase: .request(.embeddings))
        #expect(one.map(\.text) == ["hello there"])
        #expect(one.first?.kind == PAB_SEGMENT_INPUT && one.first?.role == "user")
        let many = segments(
            of: try document(#"{"model":"e","input":["a",[1,2,3],"b"]}"#), phase: .request(.embeddings))
        #expect(many.map(\.text) == ["a", "b"])
        #expect(many.map(\.itemIndex) == [0, 2])
        let answer = segments(
            of: try document(#"{"object":"list","data":[{"embedding":[0.1]}]}"#), phase: .response(.embeddings))
        #expect(answer.isEmpty)
    }

    @Test func requestsAreCheckedAsOpenAIChecksThem() throws {
        #expect(validateRequest(try document(#"{"model":"e","input":"x"}"#), api: .embeddings) == nil)
        #expect(validateRequest(try document(#"{"model":"e","input":[[1,2],[3]]}"#), api: .embeddings) == nil)
        #expect(validateRequest(try document(#"{"model":"e"}"#), api: .embeddings)?.param == "input")
        #expect(validateRequest(try document(#"{"model":"e","input":[]}"#), api: .embeddings)?.code == "empty_array")
        let wrong = validateRequest(try document(#"{"model":"e","input":["a",{"b":1}]}"#), api: .embeddings)
        #expect(wrong?.param == "input[1]" && wrong?.code == "invalid_type")
        let dimensions = validateRequest(
            try document(#"{"model":"e","input":"x","dimensions":"big"}"#), api: .embeddings)
        #expect(dimensions?.param == "dimensions")
        let tooMany = "[" + Array(repeating: "\"x\"", count: 2049).joined(separator: ",") + "]"
        #expect(
            validateRequest(try document("{\"model\":\"e\",\"input\":\(tooMany)}"), api: .embeddings)?.code
                == "invalid_value")
    }

    @Test func aPluginBuiltAgainstV1_0RedactsEmbeddingsInput() async throws {
        let folder = TestPaths.makeTemporaryFolder("v10embed")
        let recorder = try await PluginBuilder.fixture("recorder", into: folder, include: PluginBuilder.v1_0Include)
        let chain = try ChainHarness.load(
            [.init(name: "recorder", file: recorder, config: #"{"replace":"alice@example.com","with":"[X]"}"#)],
            folder: folder)
        #expect(chain.policies[0].descriptor.abi_minor == 0)
        let exchange = ChainHarness.exchange(api: .embeddings)
        let run = chain.start(exchange)
        let body = #"{"model":"e","input":["mail alice@example.com",[7,8],"no address"]}"#
        let result = await run.request(PhaseBody(bytes: Array(body.utf8), segmentPhase: .request(.embeddings)))
        #expect(result.decision == .proceed)
        let input = try #require(result.body?.document?.root["input"])
        #expect(input[0]?.string == "mail [X]")
        #expect(input[2]?.string == "no address")
        await run.end(PAB_END_COMPLETED, status: 200)
    }

    @Test func theEchoProviderAnswersDeterministicVectors() throws {
        let plain = EchoAdapter.embeddings(try document(#"{"model":"e","input":["a","b"]}"#), model: "e")
        let root = try JSONDocument(parsing: plain).root
        #expect(root["object"]?.string == "list")
        #expect(root["data"]?.count == 2)
        #expect(root["data"]?[0]?["embedding"]?.count == EchoAdapter.embeddingDimensions)
        #expect(EchoAdapter.vector(for: "a") == EchoAdapter.vector(for: "a"))
        #expect(EchoAdapter.vector(for: "a") != EchoAdapter.vector(for: "b"))
        let encoded = EchoAdapter.embeddings(
            try document(#"{"model":"e","input":"a","encoding_format":"base64"}"#), model: "e")
        let text = try #require(try JSONDocument(parsing: encoded).root["data"]?[0]?["embedding"]?.string)
        let bytes = try #require(Data(base64Encoded: text))
        let floats = stride(from: 0, to: bytes.count, by: 4).map { offset in
            Float(
                bitPattern: bytes[offset..<offset + 4].enumerated().reduce(UInt32(0)) {
                    $0 | UInt32($1.element) << (8 * $1.offset)
                })
        }
        #expect(floats == EchoAdapter.vector(for: "a"))
    }
}
