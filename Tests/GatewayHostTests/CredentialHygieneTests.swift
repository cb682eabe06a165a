import Foundation
import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// Credentials stay the gateway's: plugins cannot read them.
@Suite struct CredentialHygieneTests {
    @Test func pluginsCannotReadCredentialHeaders() async throws {
        let probe = try await PluginBuilder.fixture("header_probe")
        let chain = try ChainHarness.load([.init(name: "header-probe", file: probe)])
        let exchange = Exchange(
            requestID: RequestIdentity.generate(), route: "/v1/chat/completions", api: .chatCompletions,
            model: "m", clientID: "anonymous", clientIP: "127.0.0.1", stream: false, packName: "p",
            packVersion: "1",
            requestHeaders: [
                ("authorization", "Bearer sk-client"), ("api-key", "az"), ("x-api-key", "anth"),
                ("cookie", "session=1"), ("proxy-authorization", "Basic x"), ("x-visible", "yes"),
            ])
        let run = chain.start(exchange)
        #expect(await run.request(ChainHarness.chatBody("hi")).decision == .proceed)
        await run.end(PAB_END_COMPLETED, status: 200)
        for name in ["authorization", "Api-Key", "x-api-key", "cookie", "proxy-authorization"] {
            #expect(exchange.tag("header-probe.\(name)") == "absent", "\(name)")
        }
        #expect(exchange.tag("header-probe.x-visible") == "found")
    }

    @Test func pluginsReadTheUpstreamsResponseHeadersButNotItsCookies() async throws {
        let probe = try await PluginBuilder.fixture("header_probe")
        let chain = try ChainHarness.load([.init(name: "header-probe", file: probe)])
        let exchange = ChainHarness.exchange()
        exchange.state.withLock {
            $0.upstreamResponseHeaders = [("X-RateLimit-Remaining-Requests", "41"), ("set-cookie", "s=1")]
        }
        let run = chain.start(exchange)
        _ = await run.request(ChainHarness.chatBody("hi"))
        let answer = PhaseBody(
            bytes: Array(#"{"choices":[{"message":{"role":"assistant","content":"hi"}}]}"#.utf8),
            segmentPhase: .response(.chatCompletions))
        #expect(await run.response(answer, status: 200, contentType: "application/json").decision == .proceed)
        await run.end(PAB_END_COMPLETED, status: 200)
        #expect(exchange.tag("header-probe.response.x-ratelimit-remaining-requests") == "41")
        #expect(exchange.tag("header-probe.response.set-cookie") == "absent")
        #expect(exchange.tag("header-probe.response.x-absent") == "absent")
    }
}
