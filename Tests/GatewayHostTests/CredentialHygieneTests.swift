import Foundation
import PolicyABI
import Testing

@testable import GatewayHost

/// Credentials stay the gateway's: plugins cannot read them.
@Suite struct CredentialHygieneTests {
    @Test func pluginsCannotReadCredentialHeaders() async throws {
        let probe = try await PluginBuilder.fixture("header_probe")
        let chain = try ChainHarness.load([.init(name: "header-probe", file: probe)])
        let exchange = Exchange(
            requestID: RequestIdentity.generate(), route: "/v1/chat/completions", api: .chatCompletions,
            model: "m", clientID: "anonymous", clientIP: "127.0.0.1", stream: false, packName: "p",
            packVersion: "1", requestHeaders: [
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
}
