import Testing
@testable import GatewayHost
@Test func placeholder() { #expect(1 == 1) }
