import CCurl
import GatewayWire
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One thread driving one curl multi handle, which carries any number of transfers and keeps the connection cache
/// that lets later requests reuse connections.
///
/// curl handles are not thread-safe, so other threads never call curl on them: they post commands (add, unpause,
/// cancel, stop) and wake the thread with curl_multi_wakeup, the one multi call that is safe from any thread.
///
/// `@unchecked Sendable`: `multi`, `active` and the transfers in it are touched only by the loop thread; the
/// command queue and the stopped flag are guarded by `inbox`; counters are atomics.
package final class CurlMultiLoop: @unchecked Sendable {
    package enum Command {
        case add(CurlTransfer)
        case unpause(CurlTransfer)
        case cancel(CurlTransfer)
        case stop
    }

    private struct Inbox {
        var commands: [Command] = []
        /// Set by the loop thread just before it cleans up the multi handle: no wakeups after that.
        var stopped = false
        /// The loop thread is in (or about to enter) curl_multi_poll and needs a wakeup to see new commands.
        /// While it is busy it reads the inbox before it polls again, so posting then skips the wakeup (a
        /// syscall on the poster's thread and a spurious return from the next poll).
        var polling = false
    }

    /// Longest sleep in curl_multi_poll when nothing else is due (commands wake it earlier).
    private static let maxPollMilliseconds: Int32 = 1000
    /// Idle connections the multi may keep for reuse (curl's default is 4 × the handles added at the time).
    private static let maxCachedConnections = 128

    private let multi: UnsafeMutableRawPointer
    private let inbox = Locked(Inbox())
    private let thread = Locked<pthread_t?>(nil)
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    /// Transfers submitted and not yet finished (for load balancing across loops).
    package let load = Atomic<Int>(0)
    /// New connections opened so far (CURLINFO_NUM_CONNECTS summed over finished transfers).
    package let connectionsOpened = Atomic<Int>(0)

    /// Creates the multi handle and starts its thread. Returns nil if curl or the thread cannot be set up.
    package static func start() -> CurlMultiLoop? {
        guard let multi = curl_multi_init() else { return nil }
        _ = gw_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxCachedConnections)
        let loop = CurlMultiLoop(multi: multi)
        // The thread keeps the loop alive until `run` returns.
        guard let tid = NativeThread.start({ loop.run() }) else {
            curl_multi_cleanup(multi)
            return nil
        }
        loop.thread.withLock { $0 = tid }
        return loop
    }

    private init(multi: UnsafeMutableRawPointer) { self.multi = multi }

    // MARK: - Any thread

    /// Hands a configured transfer to this loop. After a stop it fails at once with `.cancelled`.
    package func submit(_ transfer: CurlTransfer) {
        load.add(1, ordering: .relaxed)
        if !post(.add(transfer)) {
            load.subtract(1, ordering: .relaxed)
            transfer.channel.finish(.failure(.cancelled))
            transfer.release()
        }
    }

    /// Queues a command and wakes the loop. Returns false if the loop has stopped.
    @discardableResult
    package func post(_ command: Command) -> Bool {
        inbox.withLock { inbox in
            guard !inbox.stopped else { return false }
            inbox.commands.append(command)
            if inbox.polling {
                // Under the lock, so the loop cannot clean up the multi between the check and the wakeup. One
                // wakeup is enough: curl's is sticky (a poll that starts after it returns at once).
                inbox.polling = false
                _ = curl_multi_wakeup(multi)
            }
            return true
        }
    }

    /// Stops the loop (in-flight transfers fail with `.cancelled`) and waits for its thread to exit.
    /// Idempotent; must not be called from the loop thread itself.
    package func stop() {
        post(.stop)
        let joinable = thread.withLock { tid -> pthread_t? in
            defer { tid = nil }  // only the first stop() joins
            return tid
        }
        guard let tid = joinable else { return }
        if pthread_equal(tid, pthread_self()) != 0 {
            pthread_detach(tid)
            return
        }
        pthread_join(tid, nil)
    }

    // MARK: - Loop thread

    private func run() {
        while executeCommands() {
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            collectFinished()
            for transfer in active.values { transfer.publishHead() }
            let timeout = enforceIdleTimeouts(now: .now)
            // Commands posted while this iteration ran came without a wakeup: run them before sleeping.
            let mustPoll = inbox.withLock { inbox -> Bool in
                inbox.polling = inbox.commands.isEmpty
                return inbox.polling
            }
            guard mustPoll else { continue }
            var readyDescriptors: Int32 = 0
            _ = curl_multi_poll(multi, nil, 0, timeout, &readyDescriptors)
            inbox.withLock { $0.polling = false }
        }
        tearDown()
    }

    /// Runs the queued commands. Returns false once a stop was requested.
    private func executeCommands() -> Bool {
        let commands = inbox.withLock { inbox -> [Command] in
            defer { inbox.commands = [] }
            return inbox.commands
        }
        var keepRunning = true
        for command in commands {
            switch command {
            case .add(let transfer): add(transfer)
            case .unpause(let transfer): unpause(transfer)
            case .cancel(let transfer): remove(transfer)  // the channel already reported `.cancelled`
            case .stop: keepRunning = false
            }
        }
        return keepRunning
    }

    private func add(_ transfer: CurlTransfer) {
        guard let easy = transfer.easy, !transfer.channel.isCancelled else {
            load.subtract(1, ordering: .relaxed)
            transfer.release()
            return
        }
        transfer.markActive(at: .now)
        let rc = curl_multi_add_handle(multi, easy)
        guard rc == CURLM_OK else {
            load.subtract(1, ordering: .relaxed)
            transfer.channel.finish(.failure(.transfer(String(cString: curl_multi_strerror(rc)))))
            transfer.release()
            return
        }
        active[easy] = transfer
    }

    private func unpause(_ transfer: CurlTransfer) {
        guard let easy = transfer.easy, active[easy] === transfer else { return }
        transfer.markActive(at: .now)
        // May call the write callback right away with the bytes curl held back (and pause again).
        let rc = gw_easy_unpause(easy)
        transfer.publishHead()
        if rc != CURLE_OK {
            transfer.channel.finish(.failure(UpstreamError.fromCurl(rc, detail: transfer.errorDetail)))
            remove(transfer)
        }
    }

    /// Takes a transfer out of the multi and frees its handle. For an unfinished HTTP/1.1 transfer curl closes
    /// the connection (the upstream sees the close at once); for HTTP/2 it resets the stream only.
    private func remove(_ transfer: CurlTransfer) {
        guard let easy = transfer.easy, active.removeValue(forKey: easy) != nil else { return }
        _ = curl_multi_remove_handle(multi, easy)
        transfer.release()
        load.subtract(1, ordering: .relaxed)
    }

    private func collectFinished() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                let transfer = active[easy]
            else { continue }
            let result = message.pointee.data.result
            connectionsOpened.add(transfer.newConnections, ordering: .relaxed)
            // A head parsed in this perform goes out first, also when the transfer then failed: the body
            // received so far, and then the error, reach the client (a stream cut mid-way), not a bare 502.
            transfer.publishHead()
            if result == CURLE_OK {
                transfer.deliverHeadAtCompletion()
                transfer.channel.finish(.success(()))
            } else {
                transfer.channel.finish(.failure(UpstreamError.fromCurl(result, detail: transfer.errorDetail)))
            }
            remove(transfer)
        }
    }

    /// Fails transfers that received nothing for their idle timeout, and returns how long the loop may sleep
    /// before the next idle deadline (curl_multi_poll shortens it further for curl's own timers).
    private func enforceIdleTimeouts(now: ContinuousClock.Instant) -> Int32 {
        var nextDeadline: ContinuousClock.Instant?
        var expired: [CurlTransfer] = []
        for transfer in active.values {
            guard let deadline = transfer.idleDeadline else { continue }
            if deadline <= now {
                expired.append(transfer)
            } else if nextDeadline.map({ deadline < $0 }) ?? true {
                nextDeadline = deadline
            }
        }
        for transfer in expired {
            let seconds = transfer.idleTimeout.map(\.seconds) ?? 0
            transfer.channel.finish(.failure(.timedOut("no data from the upstream for \(seconds) s (idle timeout)")))
            remove(transfer)
        }
        guard let nextDeadline else { return Self.maxPollMilliseconds }
        // Rounded up, so the loop does not wake a moment before the deadline and spin.
        let milliseconds = ((nextDeadline - now).seconds * 1000).rounded(.up)
        return Int32(min(max(milliseconds, 1), Double(Self.maxPollMilliseconds)))
    }

    private func tearDown() {
        for transfer in Array(active.values) {
            transfer.channel.finish(.failure(.cancelled))
            remove(transfer)
        }
        // Commands that raced with the stop: fail submissions, ignore the rest.
        let late = inbox.withLock { inbox -> [Command] in
            inbox.stopped = true
            defer { inbox.commands = [] }
            return inbox.commands
        }
        for case .add(let transfer) in late {
            load.subtract(1, ordering: .relaxed)
            transfer.channel.finish(.failure(.cancelled))
            transfer.release()
        }
        curl_multi_cleanup(multi)
    }
}

extension Duration {
    /// The duration in (fractional) seconds.
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
