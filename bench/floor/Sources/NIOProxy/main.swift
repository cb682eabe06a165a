import FloorServer
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

// floor-nio-proxy PORT UPSTREAM_PORT
// A minimal HTTP/1.1 reverse proxy to 127.0.0.1:UPSTREAM_PORT: each client connection gets one upstream
// connection on the same event loop (no thread hop), request and response parts are forwarded as they
// arrive (streams pass through unbuffered) and flushed once per read batch. No routing, no body inspection,
// no timeouts: the least work any proxy on SwiftNIO does, as a floor for the benchmark.

let arguments = CommandLine.arguments
guard arguments.count == 3, let port = Int(arguments[1]), let upstreamPort = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: floor-nio-proxy PORT UPSTREAM_PORT\n".utf8))
    exit(2)
}
let upstreamAddress = try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort)

/// The client-facing side: connects upstream when the client connects, forwards the request parts.
final class ClientSide: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private var upstream: Channel?
    /// Parts that arrived before the upstream connection was up.
    private var pending: [HTTPClientRequestPart] = []

    func channelActive(context: ChannelHandlerContext) {
        let client = context.channel
        let connected = ClientBootstrap(group: context.eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(UpstreamSide(client: client))
                }
            }
            .connect(to: upstreamAddress)
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        connected.whenComplete { result in
            switch result {
            case .success(let channel): this.value.attach(channel)
            case .failure: client.close(promise: nil)
            }
        }
        context.fireChannelActive()
    }

    private func attach(_ channel: Channel) {
        upstream = channel
        for part in pending { channel.write(part, promise: nil) }
        pending = []
        channel.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part: HTTPClientRequestPart
        switch unwrapInboundIn(data) {
        case .head(let head): part = .head(head)
        case .body(let bytes): part = .body(.byteBuffer(bytes))
        case .end(let trailers): part = .end(trailers)
        }
        if let upstream { upstream.write(part, promise: nil) } else { pending.append(part) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        upstream?.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstream?.close(promise: nil)
        context.fireChannelInactive()
    }
}

/// The upstream side: forwards the response parts to the client connection it belongs to.
final class UpstreamSide: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let client: Channel

    init(client: Channel) { self.client = client }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part: HTTPServerResponsePart
        switch unwrapInboundIn(data) {
        case .head(let head): part = .head(head)
        case .body(let bytes): part = .body(.byteBuffer(bytes))
        case .end(let trailers): part = .end(trailers)
        }
        client.write(part, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        client.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.close(promise: nil)
        context.fireChannelInactive()
    }
}

try serveHTTP(port: port) { ClientSide() }
