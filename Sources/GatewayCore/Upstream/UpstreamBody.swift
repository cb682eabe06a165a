import GatewayWire

/// A response body as an async sequence of byte chunks, in the order curl received them.
///
/// Reading applies backpressure: while the consumer is behind, at most the client's high-water mark (plus one curl
/// write) is buffered and the upstream connection is paused. The sequence throws `UpstreamError` when the transfer
/// fails (after the chunks received before the failure). Single consumer: iterate it once.
///
/// Ending early: `cancel()`, cancelling the iterating Task, or dropping every copy of the body (and of the response
/// holding it) aborts the transfer and closes the upstream connection (HTTP/1.1) or stream (HTTP/2) at once.
package struct UpstreamBody: AsyncSequence, Sendable {
    package typealias Element = [UInt8]
    package typealias Failure = UpstreamError

    /// Where the bytes come from: a curl transfer, or bytes a local provider (echo) made.
    package enum Source: Sendable {
        case transfer(BodyReader)
        case local(LocalBody)
        case translated(TranslatedBody)
    }

    package let source: Source

    package init(reader: BodyReader) { source = .transfer(reader) }
    /// A body of bytes already in memory (one chunk), for local providers.
    package init(bytes: [UInt8]) { source = .local(LocalBody(chunks: [bytes])) }

    /// The same body with `chunk` read again first: the router reads a stream's first chunk before it commits
    /// to a target, and the relay must still see it.
    /// This body's bytes through a provider's stream translator (see `TranslatedProviderAdapter`).
    package func translated(by translator: any StreamTranslator) -> UpstreamBody {
        UpstreamBody(source: .translated(TranslatedBody(inner: self, translator: translator)))
    }

    package func prepending(_ chunk: [UInt8]) -> UpstreamBody {
        UpstreamBody(source: .local(LocalBody(chunks: [chunk], then: self)))
    }

    private init(source: Source) { self.source = source }

    package func makeAsyncIterator() -> Iterator { Iterator(source: source) }

    /// Aborts the transfer if it is still running and drops buffered data. Later reads throw `.cancelled`.
    package func cancel() {
        switch source {
        case .transfer(let reader): reader.cancel()
        case .local(let local): local.cancel()
        case .translated(let translated): translated.inner.cancel()
        }
    }

    /// Buffering counters (peak queued bytes, pauses) for tests and metrics; zero for local bodies.
    package var stats: TransferChannel.BufferStats {
        switch source {
        case .transfer(let reader): reader.transfer.channel.stats
        case .local(let local): local.rest?.stats ?? TransferChannel.BufferStats()
        case .translated(let translated): translated.inner.stats
        }
    }

    package struct Iterator: AsyncIteratorProtocol {
        package typealias Element = [UInt8]
        package typealias Failure = UpstreamError

        let source: Source

        package mutating func next() async throws(UpstreamError) -> [UInt8]? {
            switch source {
            case .transfer(let reader): try await reader.next()
            case .local(let local): try await local.next()
            case .translated(let translated): try await translated.next()
            }
        }

        package mutating func next(isolation actor: isolated (any Actor)?) async throws(UpstreamError) -> [UInt8]? {
            try await next()
        }
    }
}

/// Chunks in memory, optionally followed by another body. Single consumer, like a transfer.
package final class LocalBody: Sendable {
    private struct State {
        var chunks: [[UInt8]]
        var cancelled = false
    }
    private let state: Locked<State>
    /// What follows the chunks (the rest of a primed stream).
    let rest: UpstreamBody?

    init(chunks: [[UInt8]], then rest: UpstreamBody? = nil) {
        state = Locked(State(chunks: chunks.reversed()))
        self.rest = rest
    }

    func next() async throws(UpstreamError) -> [UInt8]? {
        let step = state.withLock { s -> Result<[UInt8]?, UpstreamError> in
            if s.cancelled { return .failure(.cancelled) }
            return .success(s.chunks.popLast())
        }
        if let chunk = try step.get() { return chunk }
        guard let rest else { return nil }
        var iterator = rest.makeAsyncIterator()
        return try await iterator.next()
    }

    func cancel() {
        state.withLock { $0.cancelled = true }
        rest?.cancel()
    }
}

/// The consumer's end of one transfer. Its deinit cancels an unfinished transfer, which is how a consumer that
/// simply stops iterating (and lets go of the response) still closes the upstream connection promptly.
package final class BodyReader: Sendable {
    package let transfer: CurlTransfer
    private let loop: CurlMultiLoop

    package init(transfer: CurlTransfer, loop: CurlMultiLoop) {
        self.transfer = transfer
        self.loop = loop
    }

    deinit { cancel() }

    package func next() async throws(UpstreamError) -> [UInt8]? {
        let result = await withTaskCancellationHandler {
            await transfer.channel.nextChunk(onUnpause: { loop.post(.unpause(transfer)) })
        } onCancel: {
            cancel()
        }
        return try result.get()
    }

    /// Marks the exchange cancelled and, if curl is still on it, has the loop thread remove the handle now.
    package func cancel() {
        if transfer.channel.cancel() { loop.post(.cancel(transfer)) }
    }
}

/// A provider's stream turned into OpenAI SSE as it is read: each upstream chunk goes through the
/// translator; chunks that complete no OpenAI event are read past. A malformed provider stream, an error
/// event in it, or its end before the terminal event read as a transfer failure (the client's stream then
/// ends with the SSE error event, never silently).
package final class TranslatedBody: Sendable {
    let inner: UpstreamBody
    private let state: Locked<(translator: any StreamTranslator, finished: Bool)>

    init(inner: UpstreamBody, translator: any StreamTranslator) {
        self.inner = inner
        state = Locked((translator, false))
    }

    func next() async throws(UpstreamError) -> [UInt8]? {
        var iterator = inner.makeAsyncIterator()
        while true {
            guard let chunk = try await iterator.next() else {
                let tail = state.withLock { s -> Result<[UInt8], UpstreamError> in
                    guard !s.finished else { return .success([]) }
                    s.finished = true
                    do throws(TranslationError) {
                        return .success(try s.translator.finish())
                    } catch {
                        return .failure(.transfer("the provider's stream ended early: \(error.message)"))
                    }
                }
                let bytes = try tail.get()
                return bytes.isEmpty ? nil : bytes
            }
            let out = try state.withLock { s -> Result<[UInt8], UpstreamError> in
                do throws(TranslationError) {
                    return .success(try s.translator.feed(chunk))
                } catch {
                    return .failure(.transfer("the provider's stream failed: \(error.message)"))
                }
            }.get()
            if !out.isEmpty { return out }
        }
    }
}
