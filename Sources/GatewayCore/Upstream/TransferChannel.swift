import GatewayWire

/// The hand-over point between a curl multi thread (producer) and the task reading the response (consumer).
///
/// It holds the response head once known, a bounded queue of body chunks and the end of the transfer. The producer
/// side never blocks: when the queue holds `highWater` bytes or more, `offer` refuses the chunk and the write
/// callback pauses the transfer. The consumer asks for an unpause once it has drained the queue down to `lowWater`,
/// so the queue never holds more than `highWater` plus one curl write.
package final class TransferChannel: Sendable {
    package typealias HeadResult = Result<ResponseHead, UpstreamError>
    package typealias ChunkResult = Result<[UInt8]?, UpstreamError>

    package let highWater: Int
    package let lowWater: Int
    private let state: Locked<State>

    private struct State {
        var headResult: HeadResult?
        var headWaiter: HomedContinuation<HeadResult>?
        /// Queued chunks are `chunks[firstChunk...]`; the head index avoids O(n) removals from the front.
        var chunks: [[UInt8]] = []
        var firstChunk = 0
        var bufferedBytes = 0
        var chunkWaiter: HomedContinuation<ChunkResult>?
        /// The upstream side is over: success (the body is complete) or the error to throw after the queue drains.
        var end: Result<Void, UpstreamError>?
        var cancelled = false
        /// The producer refused a chunk, so curl is paused until the consumer asks to continue.
        var pausedForBackpressure = false
        var stats = BufferStats()
    }

    /// Counters for tests and metrics.
    package struct BufferStats: Sendable, Equatable {
        package var peakBufferedBytes = 0
        package var pauses = 0
        package var receivedBytes = 0
    }

    package init(highWater: Int) {
        self.highWater = max(1, highWater)
        self.lowWater = self.highWater / 2
        self.state = Locked(State())
    }

    package var stats: BufferStats { state.withLock { $0.stats } }
    package var isCancelled: Bool { state.withLock { $0.cancelled } }
    package var hasHead: Bool { state.withLock { $0.headResult != nil } }

    // MARK: - Producer side (the multi thread)

    /// Publishes the response head (first call wins).
    package func deliverHead(_ head: ResponseHead) {
        let waiter: HomedContinuation<HeadResult>? = state.withLock { state in
            guard state.headResult == nil else { return nil }
            state.headResult = .success(head)
            defer { state.headWaiter = nil }
            return state.headWaiter
        }
        waiter?.resume(returning: .success(head))
    }

    /// Queues a body chunk. Returns false, without keeping the bytes, when the queue is at its high-water mark: the
    /// caller must then pause the transfer (curl hands the same bytes over again after the unpause).
    package func offer(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let (accepted, waiter): (Bool, HomedContinuation<ChunkResult>?) = state.withLock { state in
            if state.cancelled || bytes.isEmpty { return (true, nil) }  // torn down, or nothing to queue
            if state.bufferedBytes >= highWater {
                state.pausedForBackpressure = true
                state.stats.pauses += 1
                return (false, nil)
            }
            state.stats.receivedBytes += bytes.count
            if let waiter = state.chunkWaiter {
                // The consumer is already waiting, so the queue is empty: hand the chunk over directly.
                state.chunkWaiter = nil
                return (true, waiter)
            }
            state.chunks.append(Array(bytes))
            state.bufferedBytes += bytes.count
            state.stats.peakBufferedBytes = max(state.stats.peakBufferedBytes, state.bufferedBytes)
            return (true, nil)
        }
        waiter?.resume(returning: .success(Array(bytes)))
        return accepted
    }

    /// Records the end of the transfer (first call wins). Fails a head still awaited; a waiting consumer gets the
    /// end now, otherwise after draining the queued chunks.
    package func finish(_ end: Result<Void, UpstreamError>) {
        let (headWaiter, headResult, chunkWaiter) = state.withLock {
            state -> (HomedContinuation<HeadResult>?, HeadResult?, HomedContinuation<ChunkResult>?)
            in
            guard state.end == nil else { return (nil, nil, nil) }
            state.end = end
            var headWaiter: HomedContinuation<HeadResult>?
            if state.headResult == nil {
                let error: UpstreamError
                switch end {
                case .failure(let e): error = e
                case .success: error = .transfer("the upstream closed the exchange without a response head")
                }
                state.headResult = .failure(error)
                headWaiter = state.headWaiter
                state.headWaiter = nil
            }
            var chunkWaiter: HomedContinuation<ChunkResult>?
            if state.firstChunk == state.chunks.count {
                chunkWaiter = state.chunkWaiter
                state.chunkWaiter = nil
            }
            return (headWaiter, state.headResult, chunkWaiter)
        }
        if let headWaiter, let headResult { headWaiter.resume(returning: headResult) }
        chunkWaiter?.resume(returning: end.map { nil })
    }

    // MARK: - Consumer side

    /// Waits for the response head, or the error that ended the transfer before it.
    package func awaitHead() async -> HeadResult {
        await withCheckedContinuation { continuation in
            let waiter = HomedContinuation(continuation)
            let ready: HeadResult? = state.withLock { state in
                if let result = state.headResult { return result }
                state.headWaiter = waiter
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The next chunk, nil at the end of the body, or the transfer's error. `onUnpause` runs (outside the lock)
    /// when this read drained a paused transfer's queue down to the low-water mark.
    package func nextChunk(onUnpause: () -> Void) async -> ChunkResult {
        // Fast path without a continuation: data (or the end) is already there.
        let (immediate, unpause) = state.withLock { Self.takeQueued(&$0, lowWater: lowWater) }
        if unpause { onUnpause() }
        if let immediate { return immediate }
        return await withCheckedContinuation { continuation in
            let waiter = HomedContinuation(continuation)
            let (ready, unpause) = state.withLock { state -> (ChunkResult?, Bool) in
                // Re-check under the lock: the producer may have delivered since the fast path.
                let (taken, unpause) = Self.takeQueued(&state, lowWater: lowWater)
                if let taken { return (taken, unpause) }
                if state.chunkWaiter != nil {
                    return (.failure(.transfer("the body is being read by two consumers at once")), false)
                }
                state.chunkWaiter = waiter  // resumed by offer, finish or cancel
                return (nil, false)
            }
            if unpause { onUnpause() }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Pops a queued chunk, or the end when the queue is empty, and says whether the producer must be unpaused.
    private static func takeQueued(_ state: inout State, lowWater: Int) -> (ChunkResult?, Bool) {
        if state.cancelled { return (.failure(.cancelled), false) }
        guard state.firstChunk < state.chunks.count else {
            if let end = state.end { return (end.map { nil }, false) }
            return (nil, false)
        }
        let chunk = state.chunks[state.firstChunk]
        state.firstChunk += 1
        if state.firstChunk == state.chunks.count {
            state.chunks.removeAll(keepingCapacity: true)
            state.firstChunk = 0
        }
        state.bufferedBytes -= chunk.count
        var unpause = false
        if state.pausedForBackpressure && state.bufferedBytes <= lowWater {
            state.pausedForBackpressure = false
            unpause = true
        }
        return (.success(chunk), unpause)
    }

    /// Marks the exchange cancelled by the consumer, drops queued data and fails any waiter with `.cancelled`.
    /// Returns true if the transfer was still running, i.e. the multi thread must now remove it.
    @discardableResult
    package func cancel() -> Bool {
        let (wasRunning, headWaiter, chunkWaiter) = state.withLock {
            state -> (Bool, HomedContinuation<HeadResult>?, HomedContinuation<ChunkResult>?) in
            if state.cancelled { return (false, nil, nil) }
            state.cancelled = true
            state.chunks = []
            state.firstChunk = 0
            state.bufferedBytes = 0
            let running = state.end == nil
            if running { state.end = .failure(.cancelled) }
            var headWaiter: HomedContinuation<HeadResult>?
            if state.headResult == nil {
                state.headResult = .failure(.cancelled)
                headWaiter = state.headWaiter
                state.headWaiter = nil
            }
            let chunkWaiter = state.chunkWaiter
            state.chunkWaiter = nil
            return (running, headWaiter, chunkWaiter)
        }
        headWaiter?.resume(returning: .failure(.cancelled))
        chunkWaiter?.resume(returning: .failure(.cancelled))
        return wasRunning
    }
}
