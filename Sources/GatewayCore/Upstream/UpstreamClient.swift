import GatewayWire
import Synchronization

/// HTTP client for upstream providers on libcurl's multi interface.
///
/// A fixed set of threads (never one per request), each running one curl multi handle that carries any number of
/// concurrent transfers and keeps idle connections for reuse (HTTP/1.1 keep-alive, HTTP/2 multiplexing). With more
/// than one thread, a share handle gives them a common DNS cache and TLS session cache. Keep one client for the
/// process lifetime and call `shutdown()` at exit.
package final class UpstreamClient: Sendable {
    /// Default cap on body bytes buffered per transfer while its consumer is slower than the upstream.
    package static let defaultBufferHighWater = 256 * 1024

    private let loops: [CurlMultiLoop]
    private let share: CurlShare?
    private let bufferHighWater: Int
    private let nextLoop = Atomic<Int>(0)
    private let isShutDown = Atomic<Bool>(false)

    /// - Parameters:
    ///   - threads: multi threads to run (at least 1).
    ///   - bufferHighWater: per-transfer buffered bytes above which the transfer is paused until the consumer reads.
    package init(threads: Int = 1, bufferHighWater: Int = UpstreamClient.defaultBufferHighWater) {
        CurlGlobal.ensureInitialized()
        let count = max(1, threads)
        share = count > 1 ? CurlShare() : nil
        var loops: [CurlMultiLoop] = []
        for _ in 0..<count {
            guard let loop = CurlMultiLoop.start() else { fatalError("could not start a curl multi thread") }
            loops.append(loop)
        }
        self.loops = loops
        self.bufferHighWater = bufferHighWater
    }

    deinit { shutdown() }

    /// Sends `request` and returns once the final status line and headers are in. The body then streams from the
    /// response. Throws `.cancelled` if the calling Task is cancelled first (the transfer is aborted).
    /// `registerCancel` receives a function that aborts the transfer at any point (head pending or body
    /// streaming), for a caller that learns of a reason to stop outside Task cancellation (a client gone).
    package func send(
        _ request: UpstreamRequest, registerCancel: ((@escaping @Sendable () -> Void) -> Void)? = nil
    ) async throws(UpstreamError) -> UpstreamResponse {
        guard !isShutDown.load(ordering: .relaxed) else { throw .cancelled }
        let transfer = try CurlTransfer(request: request, highWater: bufferHighWater, share: share)
        let loop = pickLoop()
        let reader = BodyReader(transfer: transfer, loop: loop)
        loop.submit(transfer)
        registerCancel?({ reader.cancel() })
        let head = await withTaskCancellationHandler {
            await transfer.channel.awaitHead()
        } onCancel: {
            reader.cancel()
        }
        let response = try head.get()
        return UpstreamResponse(status: response.status, headers: response.headers, body: UpstreamBody(reader: reader))
    }

    /// Stops the threads; transfers in flight fail with `.cancelled` and later sends throw `.cancelled`.
    /// Blocks until the threads have exited (at most one loop iteration: they are woken). Idempotent.
    package func shutdown() {
        guard !isShutDown.exchange(true, ordering: .relaxed) else { return }
        for loop in loops { loop.stop() }
    }

    /// New connections opened so far, over all threads (lets tests and metrics check connection reuse).
    package var connectionsOpened: Int { loops.reduce(0) { $0 + $1.connectionsOpened.load(ordering: .relaxed) } }

    /// The least loaded loop; ties go round-robin so idle loops share the work.
    private func pickLoop() -> CurlMultiLoop {
        if loops.count == 1 { return loops[0] }
        let start = nextLoop.add(1, ordering: .relaxed).oldValue
        var best = loops[start % loops.count]
        for offset in 1..<loops.count {
            let candidate = loops[(start + offset) % loops.count]
            if candidate.load.load(ordering: .relaxed) < best.load.load(ordering: .relaxed) { best = candidate }
        }
        return best
    }
}
