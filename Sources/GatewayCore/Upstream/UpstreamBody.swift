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

    package let reader: BodyReader

    package func makeAsyncIterator() -> Iterator { Iterator(reader: reader) }

    /// Aborts the transfer if it is still running and drops buffered data. Later reads throw `.cancelled`.
    package func cancel() { reader.cancel() }

    /// Buffering counters (peak queued bytes, pauses) for tests and metrics.
    package var stats: TransferChannel.BufferStats { reader.transfer.channel.stats }

    package struct Iterator: AsyncIteratorProtocol {
        package typealias Element = [UInt8]
        package typealias Failure = UpstreamError

        package let reader: BodyReader

        package mutating func next() async throws(UpstreamError) -> [UInt8]? { try await reader.next() }

        package mutating func next(isolation actor: isolated (any Actor)?) async throws(UpstreamError) -> [UInt8]? {
            try await reader.next()
        }
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
