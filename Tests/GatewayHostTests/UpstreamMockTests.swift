import Foundation
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// The Python mock upstream (Tests/mock_upstream/mock_upstream.py) as a child process on 127.0.0.1.
/// Each test starts its own, so the mock's request and close logs belong to that test alone.
final class MockUpstream: Sendable {
    let port: Int
    private let process: Process

    static let scriptPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("mock_upstream/mock_upstream.py").path

    enum MockError: Error { case noListeningLine(String), badJSON }

    /// Starts the mock and waits for its "LISTENING <port>" line. The blocking pipe read runs on a thread of its
    /// own: blocking one of the few cooperative threads would stall every other test running in parallel.
    static func start() async throws -> MockUpstream {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath, "--port", "0"]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let line = await withCheckedContinuation { continuation in
            Thread {
                var output = Data()
                while !output.contains(UInt8(ascii: "\n")) {
                    let more = stdout.fileHandleForReading.availableData
                    if more.isEmpty { break }
                    output.append(more)
                }
                continuation.resume(returning: String(decoding: output, as: UTF8.self))
            }.start()
        }.trimmingCharacters(in: .whitespacesAndNewlines)
        guard line.hasPrefix("LISTENING "), let port = Int(line.dropFirst("LISTENING ".count)) else {
            kill(process.processIdentifier, SIGKILL)
            throw MockError.noListeningLine(line)
        }
        return MockUpstream(port: port, process: process)
    }

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    deinit {
        if process.isRunning { process.terminate() }
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// SIGTERM, then SIGKILL if the mock is still alive after 2 s; returns once it has exited (its port is free).
    func stop() async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(2)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// GET /__mock/requests: what the mock received (method, path, query, headers, body, client_port).
    func requests(using client: UpstreamClient) async throws -> [[String: Any]] {
        try await introspect("/__mock/requests", using: client)
    }

    /// GET /__mock/closed: connections the client closed while the mock was streaming or holding a response.
    func closedConnections(using client: UpstreamClient) async throws -> [[String: Any]] {
        try await introspect("/__mock/closed", using: client)
    }

    /// Polls /__mock/closed until an entry appears (up to `timeout` seconds) and returns it.
    func waitForClose(using client: UpstreamClient, timeout: Double = 3) async throws -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let first = try await closedConnections(using: client).first { return first }
            try await Task.sleep(for: .milliseconds(25))
        }
        return nil
    }

    private func introspect(_ path: String, using client: UpstreamClient) async throws -> [[String: Any]] {
        let response = try await client.send(UpstreamRequest(url: baseURL + path, method: "GET", totalTimeout: 5))
        let body = try await response.collect(upTo: 16 << 20)
        guard let list = try JSONSerialization.jsonObject(with: Data(body)) as? [[String: Any]] else {
            throw MockError.badJSON
        }
        return list
    }
}

/// Request helpers shared by the Upstream*Tests files.
enum MockCalls {
    static func chatBody(model: String, text: String, stream: Bool = false) -> [UInt8] {
        let body: [String: Any] = [
            "model": model, "stream": stream, "messages": [["role": "user", "content": text]],
        ]
        return Array(try! JSONSerialization.data(withJSONObject: body))
    }

    static func chat(
        _ mock: MockUpstream, model: String = "mock-gpt", text: String = "hello", stream: Bool = false,
        extraHeaders: [(name: String, value: String)] = [], totalTimeout: Double? = 10, idleTimeout: Double? = nil
    ) -> UpstreamRequest {
        UpstreamRequest(
            url: mock.baseURL + "/v1/chat/completions",
            headers: [("Content-Type", "application/json"), ("Authorization", "Bearer sk-test-secret")]
                + extraHeaders,
            body: chatBody(model: model, text: text, stream: stream),
            totalTimeout: totalTimeout, idleTimeout: idleTimeout)
    }

    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw MockUpstream.MockError.badJSON
        }
        return object
    }

    /// The `data:` payloads of complete SSE events in `bytes`.
    static func sseData(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).components(separatedBy: "\n\n").compactMap { event in
            event.split(separator: "\n").first { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
        }
    }

    /// The chat completion's `choices[0].message.content`.
    static func chatContent(_ object: [String: Any]) -> String? {
        let choices = object["choices"] as? [[String: Any]]
        return (choices?.first?["message"] as? [String: Any])?["content"] as? String
    }
}

/// The mock's own wire formats, checked through the client (the e2e tests rely on them too).
@Suite(.timeLimit(.minutes(1))) struct UpstreamMockTests {
    @Test func chatCompletionJSONEchoesTheLastUserMessage() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let response = try await client.send(MockCalls.chat(mock, text: "ping pong"))
        let object = try MockCalls.json(try await response.collect(upTo: 1 << 20))
        #expect(object["object"] as? String == "chat.completion")
        #expect(object["model"] as? String == "mock-gpt")
        #expect(MockCalls.chatContent(object) == "echo: ping pong")
        let usage = try #require(object["usage"] as? [String: Any])
        #expect(usage["total_tokens"] as? Int == (usage["prompt_tokens"] as? Int ?? -1) + 3)
    }

    @Test func responsesStreamHasTheRealEventSequence() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let body = Array(#"{"model":"mock-gpt","stream":true,"input":"a b"}"#.utf8)
        let response = try await client.send(
            UpstreamRequest(url: mock.baseURL + "/openai/v1/responses", body: body, totalTimeout: 10))
        #expect(response.header("content-type")?.hasPrefix("text/event-stream") == true)
        let events = try MockCalls.sseData(try await response.collect(upTo: 1 << 20)).map {
            try MockCalls.json(Array($0.utf8))
        }
        let types = events.compactMap { $0["type"] as? String }
        #expect(
            types == [
                "response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
                "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.completed",
            ])
        let deltas = events.filter { $0["type"] as? String == "response.output_text.delta" }
        #expect(deltas.compactMap { $0["delta"] as? String }.joined() == "echo: a b")
        #expect(events.compactMap { $0["sequence_number"] as? Int } == Array(0..<11))
        let completed = try #require(events.last?["response"] as? [String: Any])
        #expect(completed["status"] as? String == "completed")
    }

    @Test func azureNeedsAnAPIVersion() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let path = "/openai/deployments/dep-1/chat/completions"
        var request = MockCalls.chat(mock)
        request.url = mock.baseURL + path
        let missing = try await client.send(request)
        #expect(missing.status == 404)
        _ = try await missing.collect(upTo: 1 << 20)
        request.url = mock.baseURL + path + "?api-version=2024-10-21"
        let ok = try await client.send(request)
        #expect(ok.status == 200)
        #expect(MockCalls.chatContent(try MockCalls.json(try await ok.collect(upTo: 1 << 20))) == "echo: hello")
    }

    @Test func errorBodiesReachTheClientUnchanged() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let response = try await client.send(MockCalls.chat(mock, model: "mock-400"))
        #expect(response.status == 400)
        let error = try #require(
            try MockCalls.json(try await response.collect(upTo: 1 << 20))["error"] as? [String: Any])
        #expect(error["message"] as? String == "bad thing")
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["param"] as? String == "messages")
        #expect(error["code"] as? String == "mock_code")
    }
}
