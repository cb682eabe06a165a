import Hummingbird
import Logging
import NIOCore

/// Per-request context: Hummingbird's core storage plus the peer address, which policies can read as
/// PAB_ATTR_CLIENT_IP.
struct GatewayRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}
