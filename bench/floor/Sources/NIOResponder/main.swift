import FloorServer
import Foundation
import NIOCore
import NIOHTTP1

// floor-nio-responder PORT CHAT_BODY_FILE RESPONSES_BODY_FILE
// Answers POST /v1/chat/completions and /v1/responses with the files' bytes, anything else with 404.
// One event loop per core, as gatewayhost runs by default.

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = Int(arguments[1]),
    let chat = FileManager.default.contents(atPath: arguments[2]),
    let responses = FileManager.default.contents(atPath: arguments[3])
else {
    FileHandle.standardError.write(Data("usage: floor-nio-responder PORT CHAT_BODY_FILE RESPONSES_BODY_FILE\n".utf8))
    exit(2)
}
let answers: [String: ByteBuffer] = [
    "/v1/chat/completions": ByteBuffer(bytes: chat), "/v1/responses": ByteBuffer(bytes: responses),
    "/healthz": ByteBuffer(string: "{\"status\":\"ok\"}"),  // readiness, for bench/run.sh
]

/// Collects one request (head, body, end) and writes the fixed answer for its path.
final class Responder: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var path = ""

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): path = head.uri
        case .body: break
        case .end:
            let body = answers[path]
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body?.readableBytes ?? 0))
            let head = HTTPResponseHead(version: .http1_1, status: body == nil ? .notFound : .ok, headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

try serveHTTP(port: port) { Responder() }
