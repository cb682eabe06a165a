import GatewayWire
import Hummingbird
import Logging
import NIOCore

/// Per-request context: Hummingbird's core storage plus the peer address, which policies can read as
/// PAB_ATTR_CLIENT_IP.
package struct GatewayRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: String
    /// The client's connection, to stop upstream work when the client leaves (nil outside a served channel).
    package let connection: ClientConnection?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        connection = ClientConnections.connection(for: source.channel)
    }
}
