import Foundation
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// Request/response behaviour of UpstreamClient against the Python mock upstream.
@Suite(.timeLimit(.minutes(1))) struct UpstreamClientTests {
    @Test func jsonRoundTripSendsTheCallersHeadersAndNothingElse() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let request = MockCalls.chat(mock, text: "round trip")
        let response = try await client.send(request)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/json")
        let object = try MockCalls.json(try await response.collect(upTo: 1 << 20))
        #expect(MockCalls.chatContent(object) == "echo: round trip")

        let seen = try #require(try await mock.requests(using: client).first)
        #expect(seen["method"] as? String == "POST")
        #expect(seen["path"] as? String == "/v1/chat/completions")
        let headers = try #require(seen["headers"] as? [String: String])
        #expect(headers["authorization"] == "Bearer sk-test-secret")
        #expect(headers["content-type"] == "application/json")
        // curl's own additions are suppressed: no Expect round trip, no "Accept: */*".
        #expect(headers["expect"] == nil)
        #expect(headers["accept"] == nil)
        #expect(seen["body"] as? String == String(decoding: request.body, as: UTF8.self))
    }

    @Test func headersAreSentAsGivenAndHostileOnesRefused() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        // A caller's own Accept is kept (only curl's default is suppressed); an empty value is sent empty.
        let request = MockCalls.chat(mock, extraHeaders: [("accept", "application/json"), ("X-Empty", "")])
        _ = try await client.send(request).collect(upTo: 1 << 20)
        let seen = try #require(try await mock.requests(using: client).first)
        let headers = try #require(seen["headers"] as? [String: String])
        #expect(headers["accept"] == "application/json")
        #expect(headers["x-empty"] == "")
        #expect(headers["expect"] == nil)

        for hostile in [("X-Bad", "a\r\nInjected: yes"), ("X-Bad", "nul\u{0}byte"), ("Bad Name", "v"), ("", "v")] {
            await #expect(throws: UpstreamError.self, "\(hostile.0): \(hostile.1)") {
                _ = try await client.send(MockCalls.chat(mock, extraHeaders: [hostile]))
            }
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        for index in 0..<5 {
            let response = try await client.send(MockCalls.chat(mock, text: "n\(index)"))
            _ = try await response.collect(upTo: 1 << 20)
        }
        #expect(client.connectionsOpened == 1)
        let ports = Set(try await mock.requests(using: client).compactMap { $0["client_port"] as? Int })
        #expect(ports.count == 1)
    }

    @Test func aPendingRequestDoesNotHoldUpOthersToTheSameHost() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        // mock-hang holds its connection's answer back; an HTTP/1.1 connection cannot carry a second request, so the
        // next one needs a connection of its own at once (not after the hang).
        let hanging = Task { try await client.send(MockCalls.chat(mock, model: "mock-hang", totalTimeout: 10)) }
        try await Task.sleep(for: .milliseconds(300))
        let start = ContinuousClock.now
        let response = try await client.send(MockCalls.chat(mock, text: "not blocked", totalTimeout: 5))
        #expect(
            MockCalls.chatContent(try MockCalls.json(try await response.collect(upTo: 1 << 20))) == "echo: not blocked")
        #expect(ContinuousClock.now - start < .seconds(1))
        hanging.cancel()
        _ = await hanging.result
    }

    @Test func errorStatusesAreResponsesNotErrors() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        var notFound = MockCalls.chat(mock)
        notFound.url = mock.baseURL + "/v1/nothing-here"
        let missing = try await client.send(notFound)
        #expect(missing.status == 404)
        #expect(try MockCalls.json(try await missing.collect(upTo: 1 << 20))["error"] != nil)

        let failed = try await client.send(MockCalls.chat(mock, model: "mock-500"))
        #expect(failed.status == 500)
        _ = try await failed.collect(upTo: 1 << 20)

        let limited = try await client.send(MockCalls.chat(mock, model: "mock-429"))
        #expect(limited.status == 429)
        #expect(limited.header("retry-after") == "1")
        _ = try await limited.collect(upTo: 1 << 20)
    }

    @Test func refusedConnectionIsCouldNotConnect() async throws {
        let mock = try await MockUpstream.start()
        let closedPort = mock.port
        await mock.stop()  // nothing listens on its port any more
        let client = UpstreamClient()
        defer { client.shutdown() }
        let request = UpstreamRequest(url: "http://127.0.0.1:\(closedPort)/v1/chat/completions", body: [1])
        do {
            _ = try await client.send(request)
            Issue.record("a closed port answered")
        } catch {
            guard case .couldNotConnect(let message) = error else {
                Issue.record("expected couldNotConnect, got \(error)")
                return
            }
            #expect(!message.isEmpty)
        }
    }

    @Test func hangingUpstreamHitsTheTotalTimeout() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let start = ContinuousClock.now
        do {
            _ = try await client.send(MockCalls.chat(mock, model: "mock-hang", totalTimeout: 1))
            Issue.record("a hanging upstream answered")
        } catch {
            guard case .timedOut = error else {
                Issue.record("expected timedOut, got \(error)")
                return
            }
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(950) && elapsed < .seconds(3))
    }

    @Test func idleTimeoutAlsoCoversTheWaitForTheHead() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let start = ContinuousClock.now
        do {
            _ = try await client.send(MockCalls.chat(mock, model: "mock-hang", totalTimeout: nil, idleTimeout: 0.3))
            Issue.record("a hanging upstream answered")
        } catch {
            guard case .timedOut = error else {
                Issue.record("expected timedOut, got \(error)")
                return
            }
        }
        #expect(ContinuousClock.now - start < .seconds(2))
    }

    @Test func headerInjectionIsRefusedWithoutEchoingTheHeader() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let request = MockCalls.chat(mock, extraHeaders: [("X-Key", "sk-secret\r\nX-Evil: 1")])
        do {
            _ = try await client.send(request)
            Issue.record("a header with CR/LF was sent")
        } catch {
            guard case .transfer(let message) = error else {
                Issue.record("expected transfer, got \(error)")
                return
            }
            #expect(!message.contains("sk-secret"))
        }
        #expect(try await mock.requests(using: client).isEmpty)
    }

    @Test func emptyHeaderValuesAndOtherMethodsAreSent() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let get = try await client.send(
            UpstreamRequest(url: mock.baseURL + "/v1/models", method: "GET", headers: [("X-Empty", "")]))
        #expect(get.status == 200)
        let models = try MockCalls.json(try await get.collect(upTo: 1 << 20))
        #expect((models["data"] as? [Any])?.isEmpty == false)
        let put = try await client.send(
            UpstreamRequest(url: mock.baseURL + "/v1/x", method: "PUT", body: Array("abc".utf8)))
        #expect(put.status == 404)
        _ = try await put.collect(upTo: 1 << 20)

        let seen = try await mock.requests(using: client)
        #expect(seen.count == 2)
        #expect((seen.first?["headers"] as? [String: String])?["x-empty"] == "")
        #expect(seen.last?["method"] as? String == "PUT")
        #expect(seen.last?["body"] as? String == "abc")
    }

    @Test func collectRefusesBodiesOverTheLimit() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        defer { client.shutdown() }
        let response = try await client.send(MockCalls.chat(mock, model: "mock-big"))
        #expect(response.status == 200)
        await #expect(throws: UpstreamError.tooLarge) { _ = try await response.collect(upTo: 1 << 20) }
    }

    @Test func twentyConcurrentRequestsShareOneThread() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient(threads: 1)
        defer { client.shutdown() }
        let start = ContinuousClock.now
        // mock-slow answers after 3 s: one after the other, 20 would take a minute.
        let replies = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<20 {
                group.addTask {
                    let response = try await client.send(MockCalls.chat(mock, model: "mock-slow", text: "c\(index)"))
                    return MockCalls.chatContent(try MockCalls.json(try await response.collect(upTo: 1 << 20)))
                }
            }
            var replies: [String] = []
            for try await reply in group { replies.append(reply ?? "missing") }
            return replies
        }
        #expect(Set(replies) == Set((0..<20).map { "echo: c\($0)" }))
        #expect(ContinuousClock.now - start < .seconds(10))
    }

    @Test func severalThreadsWithASharedCacheServeConcurrentRequests() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient(threads: 3)
        defer { client.shutdown() }
        let replies = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<30 {
                group.addTask {
                    let response = try await client.send(MockCalls.chat(mock, text: "t\(index)"))
                    return MockCalls.chatContent(try MockCalls.json(try await response.collect(upTo: 1 << 20)))
                }
            }
            var replies: [String] = []
            for try await reply in group { replies.append(reply ?? "missing") }
            return replies
        }
        #expect(Set(replies) == Set((0..<30).map { "echo: t\($0)" }))
    }

    @Test func shutdownFailsTransfersInFlightAndLaterSends() async throws {
        let mock = try await MockUpstream.start()
        let client = UpstreamClient()
        let pending = Task { try await client.send(MockCalls.chat(mock, model: "mock-hang", totalTimeout: nil)) }
        try await Task.sleep(for: .milliseconds(300))
        client.shutdown()
        await #expect(throws: UpstreamError.cancelled) { _ = try await pending.value }
        await #expect(throws: UpstreamError.cancelled) { _ = try await client.send(MockCalls.chat(mock)) }
    }
}
