import GatewayWire
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// Protects the server from clients that are slow, greedy or malformed, on the raw HTTP/1 parts, before
/// the framework sees them: one per connection, on its event loop.
///
/// - Deadlines: a request's head must be complete `client_header_timeout_seconds` after its first byte,
///   its body `client_body_timeout_seconds` after its head (total deadlines, not idle time: a client
///   trickling a byte a second is cut); the answer is 408 and the connection closes.
/// - Limits: beyond `max_connections`, 503 `overloaded` with `Retry-After`; more than `max_header_count`
///   header lines, 431; a URL over 8 KiB, 414; two `Host` headers, 400; CONNECT and TRACE, 405.
/// - Bodies over `max_body_bytes` (declared or counted while streaming): 413 and `Connection: close`,
///   while the rest of the body is read and thrown away (a lingering close), so a client that writes its
///   whole body before reading gets the 413 instead of a write that blocks forever.
/// - Errors of the HTTP parser (bad framing, conflicting `Content-Length`, bad versions, unknown
///   methods): an OpenAI-style JSON error with proper framing, never an empty 400.
///
/// Usage: `ConnectionGuard.installer(gauge:)` goes into the server's additional channel handlers; it
/// places the guard before the HTTP/1 → HTTP types codec and a byte watcher at the front.
package final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    /// Longest request target accepted (414 beyond): far above any route of the gateway.
    package static let maxURLBytes = 8192
    /// How long, and how much, a connection keeps reading a refused body before it is closed anyway.
    package static let lingerSeconds: Int64 = 30
    package static let lingerBytes = 1 << 30

    private enum Phase {
        /// Between requests.
        case idle
        /// Bytes of a request arrived; its head is not complete.
        case head
        /// The head went to the server; its body is arriving.
        case body
        /// The whole request went to the server; its answer is on the way.
        case handling
        /// This request was refused (or its body overflowed): what still arrives is read and dropped, and the
        /// connection closes once the request and the answer are both complete.
        case discarding
    }

    private let gauge: TrafficGauge
    private let limits: ConnectionLimits
    private let maxBodyBytes: Int
    private var phase = Phase.idle
    private var deadline: Scheduled<Void>?
    private var bodyBytes = 0
    private var discarded = 0
    /// In `discarding`: whether the request's end arrived, and whether our (or the server's) answer ended.
    private var requestEnded = false
    private var answerEnded = false
    /// Whether the server's answer to the current request must carry `Connection: close`.
    private var closeAfterAnswer = false
    private var overCapacity = false
    /// The server answered the current request before its body was complete.
    private var answeredEarly = false
    private var counted = false
    /// The input can no longer be parsed: the byte watcher drops it, and the close lingers.
    fileprivate var unreadable = false
    /// The first handler's context (the byte watcher's): writes there reach the socket as they are.
    fileprivate var rawContext: ChannelHandlerContext?

    package init(gauge: TrafficGauge, maxBodyBytes: Int) {
        self.gauge = gauge
        self.limits = gauge.limits
        self.maxBodyBytes = maxBodyBytes
    }

    /// The handler that installs the guard where it must sit; for the server's additional handlers.
    package static func installer(gauge: TrafficGauge, maxBodyBytes: Int) -> any RemovableChannelHandler {
        Installer(gauge: gauge, maxBodyBytes: maxBodyBytes)
    }

    // MARK: - connection

    package func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        overCapacity = gauge.connections.wrappingAdd(1, ordering: .relaxed).newValue > limits.maxConnections
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        if counted { gauge.connections.wrappingSubtract(1, ordering: .relaxed) }
        counted = false
    }

    /// Called by the byte watcher for every read: the first byte of a request starts its head deadline.
    fileprivate func bytesArrived(context: ChannelHandlerContext) {
        guard phase == .idle else { return }
        phase = .head
        arm(context, seconds: limits.clientHeaderTimeoutSeconds) { guardian, context in
            guardian.refuse(
                context,
                .requestTimeout(
                    "the request head was not complete within"
                        + " \(Self.seconds(guardian.limits.clientHeaderTimeoutSeconds))"))
        }
    }

    // MARK: - inbound

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (phase, part) {
        case (.discarding, .end):
            requestEnded = true
            closeIfDone(context)
        case (.discarding, .body(let bytes)):
            discarded += bytes.readableBytes
            if discarded > Self.lingerBytes { context.close(promise: nil) }
        case (.discarding, .head):
            context.close(promise: nil)  // pipelined after a refused request: nothing more is read
        case (_, .head(let head)):
            deadline?.cancel()
            if let refusal = check(head) {
                refuse(context, refusal, requestEnded: false)
                return
            }
            bodyBytes = 0
            phase = .body
            arm(context, seconds: limits.clientBodyTimeoutSeconds) { guardian, context in
                guardian.refuse(
                    context,
                    .requestTimeout(
                        "the request body was not complete within"
                            + " \(Self.seconds(guardian.limits.clientBodyTimeoutSeconds))"))
            }
            context.fireChannelRead(data)
        case (_, .body(let bytes)):
            bodyBytes += bytes.readableBytes
            context.fireChannelRead(data)
            if bodyBytes > maxBodyBytes {
                // The server sees more than its limit and the end: it answers 413. What is left of the body is
                // read and dropped here, and the connection closes after the answer.
                deadline?.cancel()
                closeAfterAnswer = true
                phase = .discarding
                requestEnded = false
                answerEnded = false
                context.fireChannelRead(wrapInboundOut(.end(nil)))
                arm(context, seconds: Double(Self.lingerSeconds)) { _, context in context.close(promise: nil) }
            }
        case (_, .end):
            deadline?.cancel()
            phase = answeredEarly ? .idle : .handling
            answeredEarly = false
            context.fireChannelRead(data)
        }
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        // The request cannot be read any further: answer it (when no answer is under way), then stop writing
        // and drop what the client still sends until it closes: closing with unread input would reset the
        // connection and destroy the answer before the client reads it.
        unreadable = true
        if phase == .idle || phase == .head || phase == .body {
            refuse(context, .malformed(parserError), requestEnded: true)
        } else {
            context.close(promise: nil)
        }
    }

    // MARK: - outbound

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where closeAfterAnswer:
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            let written = promise ?? context.eventLoop.makePromise()
            context.write(data, promise: written)
            written.futureResult.hop(to: context.eventLoop).assumeIsolated().whenComplete { _ in
                self.answerFinished(context)
            }
        default:
            context.write(data, promise: promise)
        }
    }

    private func answerFinished(_ context: ChannelHandlerContext) {
        switch phase {
        case .discarding:
            answerEnded = true
            closeIfDone(context)
        case .handling:
            phase = .idle
        case .body:
            answeredEarly = true  // the server refused early: the body still comes, then the next request
        case .idle, .head:
            break
        }
    }

    // MARK: - refusals

    private func check(_ head: HTTPRequestHead) -> Refusal? {
        if overCapacity { return .overloaded }
        if head.method == .CONNECT || head.method == .TRACE { return .methodNotAllowed(head.method.rawValue) }
        if head.uri.utf8.count > Self.maxURLBytes { return .uriTooLong }
        if head.headers.count > limits.maxHeaderCount { return .tooManyHeaders(limits.maxHeaderCount) }
        if head.headers["host"].count > 1 { return .duplicateHost }
        let lengths = head.headers["content-length"]
        if let declared = lengths.first.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
            declared > maxBodyBytes
        {
            return .bodyTooLarge(maxBodyBytes)
        }
        return nil
    }

    /// Answers the current request with `refusal` on the guard's own, closes the connection once the answer
    /// is out and (unless the request already ended or cannot be read) the rest of the request was dropped.
    private func refuse(_ context: ChannelHandlerContext, _ refusal: Refusal, requestEnded: Bool = true) {
        deadline?.cancel()
        let error = refusal.error
        gauge.refusals.wrappingAdd(1, ordering: .relaxed)
        phase = .discarding
        self.requestEnded = requestEnded
        answerEnded = false
        closeAfterAnswer = true
        // Written as bytes at the front of the pipeline, past the HTTP encoder: the encoder frames answers by
        // the request it believes it answers (no body for CONNECT), and this answer must always carry its body.
        let status = HTTPResponseStatus(statusCode: error.status)
        var text = "HTTP/1.1 \(error.status) \(status.reasonPhrase)\r\ncontent-type: application/json\r\n"
        text += "content-length: \(error.json.utf8.count)\r\nconnection: close\r\n"
        text += "x-request-id: \(RequestIdentity.generate())\r\n"
        for (name, value) in error.headers { text += "\(name): \(value)\r\n" }
        text += "\r\n" + error.json
        let written: EventLoopFuture<Void>
        if let rawContext {
            written = rawContext.writeAndFlush(NIOAny(ByteBuffer(string: text)))
        } else {
            written = context.eventLoop.makeSucceededVoidFuture()
            context.close(promise: nil)
        }
        written.hop(to: context.eventLoop).assumeIsolated().whenComplete { _ in
            self.answerEnded = true
            self.closeIfDone(context)
        }
        // Drop the rest of a refused body for a while, then close regardless.
        arm(context, seconds: Double(Self.lingerSeconds)) { _, context in context.close(promise: nil) }
    }

    private func closeIfDone(_ context: ChannelHandlerContext) {
        guard phase == .discarding, requestEnded, answerEnded else { return }
        if unreadable {
            // Half-close: the client reads the answer and the end of the stream; the linger deadline (armed
            // with the answer) closes the rest.
            context.close(mode: .output, promise: nil)
            return
        }
        deadline?.cancel()
        context.close(promise: nil)
    }

    private func arm(
        _ context: ChannelHandlerContext, seconds: Double,
        _ action: @escaping (ConnectionGuard, ChannelHandlerContext) -> Void
    ) {
        deadline?.cancel()
        let loop = context.eventLoop.assumeIsolated()
        deadline = loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { action(self, context) }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}

extension ConnectionGuard {
    /// Inserted as one of the framework's additional handlers (after the HTTP types codec); moves the
    /// guard in front of that codec, where it sees HTTP/1 parts, adds the byte watcher at the head of the
    /// pipeline, and removes itself.
    private final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        let gauge: TrafficGauge
        let maxBodyBytes: Int

        init(gauge: TrafficGauge, maxBodyBytes: Int) {
            self.gauge = gauge
            self.maxBodyBytes = maxBodyBytes
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            let guardian = ConnectionGuard(gauge: gauge, maxBodyBytes: maxBodyBytes)
            do {
                let codec = try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)
                try pipeline.addHandler(guardian, position: .before(codec))
                try pipeline.addHandler(ByteWatcher(guardian: guardian), position: .first)
            } catch {
                context.close(promise: nil)  // a server without its guard must not serve
            }
            pipeline.removeHandler(context: context, promise: nil)
        }
    }

    /// The first handler of the pipeline: sees raw reads, so a request's head deadline starts at its first
    /// byte (the HTTP parser reports nothing before the head is complete).
    private final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        let guardian: ConnectionGuard
        var guardContext: ChannelHandlerContext?

        init(guardian: ConnectionGuard) { self.guardian = guardian }

        func handlerAdded(context: ChannelHandlerContext) {
            guardContext = try? context.pipeline.syncOperations.context(handler: guardian)
            guardian.rawContext = context
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            guardian.rawContext = nil  // no cycle outlives the channel
            guardContext = nil
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if guardian.unreadable { return }  // after a parse error: read and dropped until the client closes
            if let guardContext { guardian.bytesArrived(context: guardContext) }
            context.fireChannelRead(data)
        }
    }
}
