import Foundation
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// Streaming behaviour of UpstreamClient: SSE delivery, idle timeouts, cancellation and backpressure.
@Suite(.timeLimit(.minutes(1))) struct UpstreamStreamingTests {
    /// curl hands the write callback at most CURL_MAX_WRITE_SIZE bytes at a time.
    static let curlMaxWrite = 16 * 1024

    private static func wallClock() -> Double { Date().timeIntervalSince1970 }

    @Test func sseEventsArriveAsTheUpstreamWritesThem() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let response = try await client.send(MockCalls.chat(mock, model: "mock-drip", stream: true))
        #expect(response.status == 200)
        #expect(response.header("content-type")?.hasPrefix("text/event-stream") == true)
        var iterator = response.body.makeAsyncIterator()
        var arrivals: [ContinuousClock.Instant] = []
        for _ in 0..<3 {
            let chunk = try #require(try await iterator.next())
            arrivals.append(.now)
            // One chunk per event: the client does not hold data back to batch it.
            #expect(MockCalls.sseData(chunk).count == 1)
            #expect(String(decoding: chunk, as: UTF8.self).hasSuffix("\n\n"))
        }
        // The mock writes one event every 0.5 s: the first reached us about 1 s before the third was written.
        #expect(arrivals[2] - arrivals[0] > .milliseconds(500))
        response.body.cancel()
    }

    @Test func completeChatStreamEndsWithDone() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let response = try await client.send(MockCalls.chat(mock, text: "one two three", stream: true))
        var bytes: [UInt8] = []
        for try await chunk in response.body { bytes += chunk }
        let data = MockCalls.sseData(bytes)
        #expect(data.last == "[DONE]")
        let chunks = try data.dropLast().map { try MockCalls.json(Array($0.utf8)) }
        let deltas = chunks.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]) }
        #expect(deltas.compactMap { $0["content"] as? String }.joined() == "echo: one two three")
        #expect((chunks.last?["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "stop")
    }

    @Test func idleTimeoutEndsAStalledStream() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        // mock-drip sends an event every 0.5 s: an idle timeout of 0.2 s must end the stream after the first one
        // (or before it, on a machine so loaded that the mock's head and first event take longer than 0.2 s).
        var events = 0
        do {
            let response = try await client.send(
                MockCalls.chat(mock, model: "mock-drip", stream: true, totalTimeout: nil, idleTimeout: 0.2))
            var iterator = response.body.makeAsyncIterator()
            while let chunk = try await iterator.next(), events < 3 { events += MockCalls.sseData(chunk).count }
            Issue.record("the stream went on after \(events) events")
        } catch {
            guard case .timedOut(let message) = error else {
                Issue.record("expected timedOut, got \(error)")
                return
            }
            #expect(message.contains("idle"))
        }
        #expect(events <= 1, "the 0.5 s gap after the first event must end the stream")
    }

    @Test func cutStreamDeliversWhatArrivedThenFails() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let response = try await client.send(MockCalls.chat(mock, model: "mock-cut", stream: true))
        var bytes: [UInt8] = []
        do {
            for try await chunk in response.body { bytes += chunk }
            Issue.record("a cut stream ended normally")
        } catch {
            guard case .transfer = error else {
                Issue.record("expected transfer, got \(error)")
                return
            }
        }
        #expect(MockCalls.sseData(bytes).count == 3)
    }

    @Test func cancelClosesTheUpstreamConnectionAtOnce() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let response = try await client.send(MockCalls.chat(mock, model: "mock-drip", stream: true))
        var iterator = response.body.makeAsyncIterator()
        _ = try await iterator.next()
        _ = try await iterator.next()
        let cancelledAt = Self.wallClock()
        response.body.cancel()
        await #expect(throws: UpstreamError.cancelled) { _ = try await iterator.next() }
        let closed = try #require(try await mock.waitForClose(using: client))
        #expect(closed["model"] as? String == "mock-drip")
        #expect(try #require(closed["at"] as? Double) - cancelledAt < 1.0)
    }

    @Test func taskCancellationClosesTheUpstreamConnection() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let reader = Task {
            let response = try await client.send(MockCalls.chat(mock, model: "mock-drip", stream: true))
            var chunks = 0
            for try await _ in response.body { chunks += 1 }
            return chunks
        }
        try await Task.sleep(for: .milliseconds(1200))  // a few events in
        let cancelledAt = Self.wallClock()
        reader.cancel()
        await #expect(throws: UpstreamError.cancelled) { _ = try await reader.value }
        let closed = try #require(try await mock.waitForClose(using: client))
        #expect(try #require(closed["at"] as? Double) - cancelledAt < 1.0)
        #expect(try #require(closed["events_sent"] as? Int) >= 2)
    }

    @Test func droppingTheResponseClosesTheUpstreamConnection() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        var droppedAt = 0.0
        do {
            let response = try await client.send(MockCalls.chat(mock, model: "mock-drip", stream: true))
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            droppedAt = Self.wallClock()
        }  // the consumer just stops: response and iterator go away here
        let closed = try #require(try await mock.waitForClose(using: client))
        #expect(try #require(closed["at"] as? Double) - droppedAt < 1.0)
    }

    @Test func taskCancellationWhileWaitingForTheHead() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let pending = Task { try await client.send(MockCalls.chat(mock, model: "mock-hang", totalTimeout: nil)) }
        try await Task.sleep(for: .milliseconds(300))
        let cancelledAt = Self.wallClock()
        pending.cancel()
        await #expect(throws: UpstreamError.cancelled) { _ = try await pending.value }
        let closed = try #require(try await mock.waitForClose(using: client))
        #expect(closed["model"] as? String == "mock-hang")
        #expect(try #require(closed["at"] as? Double) - cancelledAt < 1.0)
    }

    @Test func slowStreamConsumerKeepsTheBufferBounded() async throws {
        let mock = try await MockUpstream.start()
        let highWater = 1024
        let client = UpstreamClient(bufferHighWater: highWater)
        defer { client.shutdown() }
        let response = try await client.send(MockCalls.chat(mock, model: "mock-long", stream: true))
        var bytes: [UInt8] = []
        for try await chunk in response.body {
            bytes += chunk
            try await Task.sleep(for: .milliseconds(5))
        }
        let stats = response.body.stats
        #expect(stats.pauses > 0)
        #expect(stats.peakBufferedBytes <= highWater + Self.curlMaxWrite)
        #expect(stats.receivedBytes == bytes.count)
        let data = MockCalls.sseData(bytes)
        #expect(data.count == 200 + 3)  // role chunk, 200 deltas, finish chunk, [DONE]
        #expect(data.last == "[DONE]")
    }

    @Test func slowConsumerOfALargeBodyKeepsTheBufferBounded() async throws {
        let mock = try await MockUpstream.start()
        let highWater = 8 * 1024
        let client = UpstreamClient(bufferHighWater: highWater)
        defer { client.shutdown() }
        let response = try await client.send(MockCalls.chat(mock, model: "mock-big"))
        var bytes: [UInt8] = []
        for try await chunk in response.body {
            bytes += chunk
            try await Task.sleep(for: .milliseconds(2))
        }
        let stats = response.body.stats
        #expect(bytes.count > 2 * 1024 * 1024)
        #expect(stats.pauses > 0)
        #expect(stats.peakBufferedBytes <= highWater + Self.curlMaxWrite)
        #expect(MockCalls.chatContent(try MockCalls.json(bytes))?.hasPrefix("echo: hello x") == true)
    }

    @Test func timePausedForASlowConsumerIsNotIdleTime() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient(bufferHighWater: 8 * 1024)
        defer { client.shutdown() }
        // The idle timeout is generous so that only a paused transfer counted as idle (not a slow test machine) fails.
        let response = try await client.send(
            MockCalls.chat(mock, model: "mock-big", totalTimeout: nil, idleTimeout: 1))
        var iterator = response.body.makeAsyncIterator()
        var total = try #require(try await iterator.next()).count
        try await Task.sleep(for: .milliseconds(2500))  // paused far longer than the idle timeout
        while let chunk = try await iterator.next() { total += chunk.count }
        #expect(total > 2 * 1024 * 1024)
        #expect(response.body.stats.pauses > 0)
    }
}
