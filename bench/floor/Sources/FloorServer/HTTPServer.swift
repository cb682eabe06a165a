import NIOCore
import NIOHTTP1
import NIOPosix

/// The floors' common HTTP/1.1 server on 127.0.0.1: one SwiftNIO event loop per core (as gatewayhost runs),
/// NIO's server pipeline, then the handler `makeHandler` builds for each connection. Blocks until the server
/// channel closes.
///
/// ```swift
/// try serveHTTP(port: 8080) { Responder() }
/// ```
public func serveHTTP(port: Int, makeHandler: @escaping @Sendable () -> any ChannelHandler) throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
    let channel = try ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                try channel.pipeline.syncOperations.addHandler(makeHandler())
            }
        }
        .bind(host: "127.0.0.1", port: port).wait()
    try channel.closeFuture.wait()
}
