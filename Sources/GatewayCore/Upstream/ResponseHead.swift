import GatewayWire

/// The final status line and headers of an upstream response (1xx interim responses are skipped).
package struct ResponseHead: Sendable {
    package let status: Int
    package let headers: [(name: String, value: String)]
}
