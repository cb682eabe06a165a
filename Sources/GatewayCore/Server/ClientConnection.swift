import GatewayWire
import NIOCore

/// What the gateway knows about one client connection: whether the client is still there, and what to
/// stop when it leaves.
///
/// A client that gives up (closes its socket, or times out and disconnects) must not keep an upstream
/// request running: that costs the operator tokens and holds a connection for nothing. Requests on an
/// HTTP/1.1 connection are sequential, so one pending action per connection is enough: each request
/// replaces the previous one's.
///
/// ```swift
/// connection?.onClientGone { reader.cancel() }   // runs at once when the client already left
/// ```
package final class ClientConnection: Sendable {
    private struct State {
        var gone = false
        var onGone: (@Sendable () -> Void)?
    }

    private let state = Locked(State())

    /// Runs `action` once when the client goes away, or now if it already has. Replaces the action an
    /// earlier request on this connection registered.
    package func onClientGone(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { s -> Bool in
            if s.gone { return true }
            s.onGone = action
            return false
        }
        if runNow { action() }
    }

    package var isGone: Bool { state.withLock { $0.gone } }

    fileprivate func markGone() {
        let action = state.withLock { s -> (@Sendable () -> Void)? in
            s.gone = true
            defer { s.onGone = nil }
            return s.onGone
        }
        action?()
    }
}

/// The live connections by channel, so a request handler (which runs off the event loop and sees the
/// channel only as `any Channel`) finds its connection's state.
package enum ClientConnections {
    private static let table = Locked<[ObjectIdentifier: ClientConnection]>([:])

    package static func connection(for channel: any Channel) -> ClientConnection? {
        table.withLock { $0[ObjectIdentifier(channel)] }
    }

    fileprivate static func add(_ connection: ClientConnection, for channel: any Channel) {
        table.withLock { $0[ObjectIdentifier(channel)] = connection }
    }

    fileprivate static func remove(_ channel: any Channel) -> ClientConnection? {
        table.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

}

/// A channel handler (one per connection, after HTTP decoding) that notices the client leaving: the end of
/// its input (it closed or shut down its side; like nginx, a request whose client stopped sending is
/// treated as abandoned) or the connection going inactive.
package final class ClientCloseDetector: ChannelInboundHandler, RemovableChannelHandler {
    /// HTTP request parts pass through untouched (the default `channelRead` forwards them).
    package typealias InboundIn = NIOAny

    private let connection = ClientConnection()

    package init() {}

    package func handlerAdded(context: ChannelHandlerContext) {
        ClientConnections.add(connection, for: context.channel)
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        _ = ClientConnections.remove(context.channel)
        connection.markGone()
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { connection.markGone() }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        _ = ClientConnections.remove(context.channel)
        connection.markGone()
        context.fireChannelInactive()
    }
}
