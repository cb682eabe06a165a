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
/// The thread uses curl's multi socket API: curl names the sockets to watch and its next timeout
/// (CURLMOPT_SOCKETFUNCTION / _TIMERFUNCTION), the thread waits on them with epoll (`CurlSocketWatch`) and
/// tells curl which socket is ready (curl_multi_socket_action). So an event costs the transfers it concerns,
/// not every open one: 8,000 open streams no longer mean 8,000 sockets polled per event.
///
/// curl handles are not thread-safe, so other threads never call curl on them: they post commands (add, unpause,
/// cancel, stop) and wake the thread through the watch's eventfd.
///
/// `@unchecked Sendable`: `multi`, `active`, the timers and the transfers are touched only by the loop thread
/// (curl's callbacks run on it, inside the curl calls it makes); the command queue and the stopped flag are
/// guarded by `inbox`; counters are atomics.
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
        /// The loop thread is in (or about to enter) its wait and needs a wakeup to see new commands.
        /// While it is busy it reads the inbox before it polls again, so posting then skips the wakeup (a
        /// syscall on the poster's thread and a spurious return from the next poll).
        var polling = false
    }

    /// Longest sleep when nothing else is due (commands wake it earlier).
    private static let maxPollMilliseconds: Int32 = 1000
    /// Idle connections the multi may keep for reuse (curl's default is 4 × the handles added at the time).
    private static let maxCachedConnections = 128

    private let multi: UnsafeMutableRawPointer
    private let watch: CurlSocketWatch
    private let inbox = Locked(Inbox())
    private let thread = Locked<pthread_t?>(nil)
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// When curl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT) (CURLMOPT_TIMERFUNCTION); nil: no timer.
    private var curlTimer: ContinuousClock.Instant?
    /// The earliest idle deadline known at the last scan or since (see `enforceIdleTimeouts`); nil: none.
    private var nextIdleScan: ContinuousClock.Instant?
    /// Transfers whose head curl parsed during the current round; published once the round's curl calls returned.
    private var parsedHeads: [CurlTransfer] = []

    /// Transfers submitted and not yet finished (for load balancing across loops).
    package let load = Atomic<Int>(0)
    /// New connections opened so far (CURLINFO_NUM_CONNECTS summed over finished transfers).
    package let connectionsOpened = Atomic<Int>(0)

    /// Creates the multi handle and starts its thread. Returns nil if curl or the thread cannot be set up.
    package static func start() -> CurlMultiLoop? {
        guard let watch = CurlSocketWatch() else { return nil }
        guard let multi = curl_multi_init() else { return nil }
        _ = gw_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxCachedConnections)
        let loop = CurlMultiLoop(multi: multi, watch: watch)
        // The loop outlives the multi's callbacks: it cleans the multi up before its thread ends.
        let userdata = Unmanaged.passUnretained(loop).toOpaque()
        _ = gw_multi_setopt_socket_cb(multi, curlSocketCallback)
        _ = gw_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, userdata)
        _ = gw_multi_setopt_timer_cb(multi, curlTimerCallback)
        _ = gw_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, userdata)
        // The thread keeps the loop alive until `run` returns.
        guard let tid = NativeThread.start({ loop.run() }) else {
            curl_multi_cleanup(multi)
            return nil
        }
        loop.thread.withLock { $0 = tid }
        return loop
    }

    private init(multi: UnsafeMutableRawPointer, watch: CurlSocketWatch) {
        self.multi = multi
        self.watch = watch
    }

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
                // One wakeup is enough: the eventfd stays readable until the loop drains it, so a wait that
                // starts after this returns at once.
                inbox.polling = false
                watch.wake()
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
            let now = ContinuousClock.now
            if let due = nextIdleScan, due <= now { enforceIdleTimeouts(now: now) }
            // Commands posted while this round ran came without a wakeup: look at the sockets without sleeping.
            let mustSleep = inbox.withLock { inbox -> Bool in
                inbox.polling = inbox.commands.isEmpty
                return inbox.polling
            }
            let ready = watch.wait(milliseconds: mustSleep ? sleepMilliseconds(now: now) : 0)
            if mustSleep { inbox.withLock { $0.polling = false } }
            var running: Int32 = 0
            for socket in ready {
                _ = curl_multi_socket_action(multi, socket.descriptor, socket.curlFlags, &running)
            }
            if let due = curlTimer, due <= .now {
                curlTimer = nil  // curl sets the next one during the call
                _ = curl_multi_socket_action(multi, -1, 0, &running)  // -1: CURL_SOCKET_TIMEOUT
            }
            collectFinished()
            publishParsedHeads()
        }
        tearDown()
    }

    /// How long the loop may sleep: until curl's timer or the next idle deadline, at most a second.
    private func sleepMilliseconds(now: ContinuousClock.Instant) -> Int32 {
        var wait = Double(Self.maxPollMilliseconds)
        for deadline in [curlTimer, nextIdleScan] {
            guard let deadline else { continue }
            // Rounded up, so the loop does not wake a moment before the deadline and spin.
            wait = min(wait, max(0, ((deadline - now).seconds * 1000).rounded(.up)))
        }
        return Int32(wait)
    }

    // MARK: - curl's callbacks (loop thread, inside curl calls)

    fileprivate func curlWantsSocket(_ descriptor: Int32, what: Int32) { watch.set(descriptor, what: what) }

    fileprivate func curlWantsTimer(milliseconds: Int) {
        curlTimer = milliseconds < 0 ? nil : .now + .milliseconds(milliseconds)
    }

    /// A transfer's head is complete: it goes to the waiting task once this round's curl calls returned (by
    /// then a small answer's body and end are usually in too, so the task wakes once for all of it).
    package func headParsed(_ transfer: CurlTransfer) { parsedHeads.append(transfer) }

    private func publishParsedHeads() {
        guard !parsedHeads.isEmpty else { return }
        for transfer in parsedHeads { transfer.publishHead() }
        parsedHeads.removeAll(keepingCapacity: true)
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
        transfer.owner = self
        let rc = curl_multi_add_handle(multi, easy)
        guard rc == CURLM_OK else {
            load.subtract(1, ordering: .relaxed)
            transfer.channel.finish(.failure(.transfer(String(cString: curl_multi_strerror(rc)))))
            transfer.release()
            return
        }
        active[easy] = transfer
        noteIdleDeadline(of: transfer)
    }

    /// A transfer (re)started its idle clock: the next scan must come no later than its deadline.
    private func noteIdleDeadline(of transfer: CurlTransfer) {
        guard let deadline = transfer.idleDeadline else { return }
        if nextIdleScan.map({ deadline < $0 }) ?? true { nextIdleScan = deadline }
    }

    private func unpause(_ transfer: CurlTransfer) {
        guard let easy = transfer.easy, active[easy] === transfer else { return }
        transfer.markActive(at: .now)
        noteIdleDeadline(of: transfer)
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

    /// Fails transfers that received nothing for their idle timeout, and notes the earliest deadline left.
    ///
    /// A whole scan, but only when the earliest deadline known may have come: bytes arriving only move a
    /// deadline later, so the scan never runs early and streams that keep flowing cost nothing between scans
    /// (one scan per idle timeout's length, not one per event).
    private func enforceIdleTimeouts(now: ContinuousClock.Instant) {
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
        nextIdleScan = nextDeadline
        for transfer in expired {
            let seconds = transfer.idleTimeout.map(\.seconds) ?? 0
            transfer.channel.finish(.failure(.timedOut("no data from the upstream for \(seconds) s (idle timeout)")))
            remove(transfer)
        }
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

/// CURLMOPT_SOCKETFUNCTION: curl wants a socket watched for `what` (CURL_POLL_*), or no longer.
private let curlSocketCallback: curl_socket_callback = { _, descriptor, what, userdata, _ in
    guard let userdata else { return 0 }
    Unmanaged<CurlMultiLoop>.fromOpaque(userdata).takeUnretainedValue().curlWantsSocket(descriptor, what: what)
    return 0
}

/// CURLMOPT_TIMERFUNCTION: curl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT) in `milliseconds`
/// (0: as soon as possible; -1: the timer is off).
private let curlTimerCallback: curl_multi_timer_callback = { _, milliseconds, userdata in
    guard let userdata else { return 0 }
    Unmanaged<CurlMultiLoop>.fromOpaque(userdata).takeUnretainedValue().curlWantsTimer(milliseconds: milliseconds)
    return 0
}
