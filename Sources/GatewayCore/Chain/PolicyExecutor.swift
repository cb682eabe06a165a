import Foundation
import GatewayWire

/// A fixed pool of threads that runs policy hooks, so plugin code (synchronous C that may block) never
/// runs on a network event loop and a slow plugin cannot take the server's threads.
///
/// `run(deadline:)` gives up waiting at the deadline and returns nil, leaving the job to finish in the
/// background: native code cannot be interrupted, but the request need not wait for it.
package final class PolicyExecutor: Sendable {
    private struct Queue {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var stopped = false
    }

    private let queue = Locked(Queue())
    private static let finished: @Sendable () -> Void = {}
    private let available = DispatchSemaphore(value: 0)
    package let threadCount: Int

    package init(threads: Int) {
        threadCount = max(1, threads)
        for index in 0..<threadCount {
            let name = "policy-\(index)"
            let thread = Thread { [self] in
                // The OS thread's own name (`top -H`, perf, a plugin's pthread_getname_np): Foundation on Linux
                // does not reliably pass `name` on, and a new thread starts with its creator's name.
                NativeThread.nameCurrentThread(name)
                self.workLoop()
            }
            thread.name = name
            thread.start()
        }
    }

    private func workLoop() {
        while true {
            available.wait()
            let job: (@Sendable () -> Void)? = queue.withLock { q in
                if q.head < q.jobs.count {
                    let job = q.jobs[q.head]
                    // The queue must not keep a finished job (and what it captured: an exchange's chain
                    // run, its chain) alive until the next compaction.
                    q.jobs[q.head] = Self.finished
                    q.head += 1
                    if q.head > 1024 && q.head * 2 > q.jobs.count {
                        q.jobs.removeFirst(q.head)
                        q.head = 0
                    }
                    return job
                }
                return nil
            }
            if let job { job() } else if queue.withLock({ $0.stopped }) { return }
        }
    }

    /// Queues `work` on the pool.
    package func submit(_ work: @escaping @Sendable () -> Void) {
        queue.withLock { $0.jobs.append(work) }
        available.signal()
    }

    /// Runs `work` on the pool and returns its result, or nil when `deadlineNanos` (monotonic) passes first.
    package func run<T: Sendable>(deadlineNanos: UInt64, _ work: @escaping @Sendable () -> T) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let once = ResumeOnce(HomedContinuation(continuation))
            let watchdog = DeadlineWatchdog.shared
            let timer = watchdog.schedule(atNanos: deadlineNanos) { once.resume(with: nil) }
            submit {
                once.resume(with: work())
                watchdog.cancel(timer)
            }
        }
    }

    /// Starts `work` on the pool; the caller waits for it with deadlines of its choosing.
    package func start<T: Sendable>(_ work: @escaping @Sendable () -> T) -> PendingJob<T> {
        let job = PendingJob<T>()
        submit { job.complete(work()) }
        return job
    }

    /// Stops the threads once the queued jobs ran (tests and shutdown).
    package func shutdown() {
        queue.withLock { $0.stopped = true }
        for _ in 0..<threadCount { available.signal() }
    }
}

/// Resumes a continuation exactly once, whichever of the job and the deadline timer comes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Locked<HomedContinuation<T?>?>

    init(_ continuation: HomedContinuation<T?>) { self.continuation = Locked(continuation) }

    func resume(with value: T?) {
        let pending = continuation.withLock { c -> HomedContinuation<T?>? in
            defer { c = nil }
            return c
        }
        pending?.resume(returning: value)
    }
}

/// A job running on the pool that may be waited for several times, each wait with its own deadline:
/// the chain waits hook by hook, extending its patience while hooks keep finishing in time.
package final class PendingJob<T: Sendable>: Sendable {
    private struct State {
        var result: T?
        var waiter: HomedContinuation<T?>?
        /// The watchdog action that ends the current wait at its deadline.
        var timer: UInt64?
        var generation = 0
    }

    private let state = Locked(State())

    package func complete(_ value: T) {
        let (waiter, timer) = state.withLock { s -> (HomedContinuation<T?>?, UInt64?) in
            s.result = value
            defer {
                s.waiter = nil
                s.timer = nil
            }
            return (s.waiter, s.timer)
        }
        if let timer { DeadlineWatchdog.shared.cancel(timer) }
        waiter?.resume(returning: value)
    }

    /// The result, or nil when `deadlineNanos` (monotonic) passes first. Only one waiter at a time.
    package func wait(untilNanos deadlineNanos: UInt64) async -> T? {
        await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
            let homed = HomedContinuation(continuation)
            let (ready, generation) = state.withLock { s -> (T??, Int) in
                if let result = s.result { return (.some(result), s.generation) }
                s.generation += 1
                s.waiter = homed
                return (nil, s.generation)
            }
            if let ready {
                continuation.resume(returning: ready)
                return
            }
            let timer = DeadlineWatchdog.shared.schedule(atNanos: deadlineNanos) {
                let expired = self.state.withLock { s -> HomedContinuation<T?>? in
                    guard s.generation == generation, let waiter = s.waiter else { return nil }
                    s.waiter = nil
                    s.timer = nil
                    return waiter
                }
                expired?.resume(returning: nil)
            }
            // Recorded for `complete` to cancel; if the job finished in between, cancel it here.
            let finished = state.withLock { s -> Bool in
                guard s.generation == generation, s.waiter != nil else { return true }
                s.timer = timer
                return false
            }
            if finished { DeadlineWatchdog.shared.cancel(timer) }
        }
    }
}
