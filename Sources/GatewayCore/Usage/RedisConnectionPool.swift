import Dispatch

/// A few blocking `RedisConnection`s, each driven by its own serial `DispatchQueue` (GCD threads, never
/// Swift's cooperative pool or a NIO event loop), handed to async callers through a checked continuation.
///
/// - **One user per connection.** A coordinator queue keeps the idle connections and the waiting jobs; a
///   job runs on a connection's queue and the connection returns to the idle list afterwards.
/// - **Reconnects by itself.** Connections are made lazily on first use. When one fails at the connection
///   level (refused, timed out, closed), the pool's *generation* moves on, so every older connection
///   (likely just as dead: a restarted Redis closed them all) is re-made on its next use; and the pool is
///   *down* for a backoff (50 ms, doubling with each failed attempt up to 1 s, reset by the next success)
///   during which jobs fail at once with the last failure instead of hammering a dead server. Jobs already
///   waiting fail too.
/// - **Fails fast.** With the connections' timeout (e.g. 200 ms) a hung Redis costs a job at most about
///   one timeout; a refused connection costs nothing.
///
/// State is only touched on the coordinator queue (the pool's fields) or on a slot's queue (its
/// connection), which is what the `@unchecked Sendable` below promises.
///
/// Usage:
/// ```swift
/// let pool = RedisConnectionPool(endpoint: try RedisEndpoint(url: "redis://127.0.0.1:6379"), size: 4, timeout: 0.2)
/// let pong = try await pool.run { connection throws(LimitStateError) in try connection.command(["PING"]) }
/// ```
package final class RedisConnectionPool: @unchecked Sendable {
    package let endpoint: RedisEndpoint
    package let timeout: Double
    package static let initialBackoff = 0.05
    package static let maximumBackoff = 1.0

    private let coordinator = DispatchQueue(label: "gatewayhost.redis.pool")
    // Coordinator-queue state.
    private var idle: [Slot]
    private var waiting: [Job] = []
    private var waitingHead = 0
    private var generation = 0
    private var downUntil: UInt64 = 0  // DispatchTime uptime nanoseconds
    private var backoff = RedisConnectionPool.initialBackoff
    private var lastFailure = ""

    package init(endpoint: RedisEndpoint, size: Int = 4, timeout: Double = 0.2) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.idle = (0..<max(1, size)).map { Slot(label: "gatewayhost.redis.connection.\($0)") }
    }

    /// Runs `work` with a connection, on that connection's queue, and returns its result. `work` may block
    /// (it is on a GCD thread) but should send only a command or two: the connection is busy meanwhile.
    package func run<T: Sendable>(
        _ work: @escaping @Sendable (RedisConnection) throws(LimitStateError) -> T
    ) async throws(LimitStateError) -> T {
        let result: Result<T, LimitStateError> = await withCheckedContinuation { continuation in
            let job = Job(
                execute: { connection in
                    do throws(LimitStateError) {
                        continuation.resume(returning: .success(try work(connection)))
                    } catch {
                        continuation.resume(returning: .failure(error))
                    }
                },
                fail: { error in continuation.resume(returning: .failure(error)) })
            coordinator.async { self.submit(job) }
        }
        return try result.get()
    }

    // MARK: coordinator queue

    private func submit(_ job: Job) {
        if let refusal = downRefusal() {
            job.fail(refusal)
        } else if let slot = idle.popLast() {
            dispatch(job, on: slot)
        } else {
            waiting.append(job)
        }
    }

    private func dispatch(_ job: Job, on slot: Slot) {
        let generation = self.generation
        let endpoint = self.endpoint
        let timeout = self.timeout
        slot.queue.async {
            let failure = slot.serve(job, endpoint: endpoint, timeout: timeout, generation: generation)
            self.coordinator.async { self.finished(slot, failure: failure, generation: generation) }
        }
    }

    private func finished(_ slot: Slot, failure: LimitStateError?, generation jobGeneration: Int) {
        // Only the first failure of a generation backs off further: the other connections of that
        // generation failing next (a restarted Redis closed them all) is the same outage, not a new one.
        if let failure, jobGeneration == generation {
            generation += 1
            lastFailure = failure.description
            downUntil = DispatchTime.now().uptimeNanoseconds + UInt64(backoff * 1_000_000_000)
            backoff = min(backoff * 2, Self.maximumBackoff)
            // Everyone waiting would meet the same dead server: answer them now.
            let refusal = downRefusal() ?? failure
            while let job = nextWaiting() { job.fail(refusal) }
        } else if failure == nil {
            backoff = Self.initialBackoff
        }
        if let job = nextWaiting() {
            dispatch(job, on: slot)
        } else {
            idle.append(slot)
        }
    }

    private func nextWaiting() -> Job? {
        guard waitingHead < waiting.count else { return nil }
        let job = waiting[waitingHead]
        waitingHead += 1
        if waitingHead == waiting.count {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        }
        return job
    }

    /// The error for a job arriving while the pool backs off, `nil` when it may try.
    private func downRefusal() -> LimitStateError? {
        let now = DispatchTime.now().uptimeNanoseconds
        guard now < downUntil else { return nil }
        let milliseconds = (downUntil - now + 999_999) / 1_000_000
        return LimitStateError("\(lastFailure) (next attempt in \(milliseconds) ms)")
    }
}

extension RedisConnectionPool {
    /// A queued request for a connection: `execute` runs on a slot's queue with a live connection, `fail`
    /// answers when none could be had. Exactly one of them is called, once.
    ///
    /// Usage (inside `run`):
    /// ```swift
    /// let job = Job(execute: { connection in continuation.resume(returning: .success(work(connection))) },
    ///               fail: { error in continuation.resume(returning: .failure(error)) })
    /// ```
    fileprivate struct Job: Sendable {
        let execute: @Sendable (RedisConnection) -> Void
        let fail: @Sendable (LimitStateError) -> Void
    }

    /// One connection and the serial queue that alone uses it.
    ///
    /// Usage (the coordinator hands it one job at a time):
    /// ```swift
    /// slot.queue.async { let failure = slot.serve(job, endpoint: endpoint, timeout: 0.2, generation: 3) }
    /// ```
    fileprivate final class Slot: @unchecked Sendable {
        let queue: DispatchQueue
        private var connection: RedisConnection?  // slot-queue state

        init(label: String) { queue = DispatchQueue(label: label) }

        /// On `queue`: (re)connects when needed, runs the job, and returns the connection-level failure
        /// that broke the connection, if any (after which the connection is dropped).
        func serve(_ job: Job, endpoint: RedisEndpoint, timeout: Double, generation: Int) -> LimitStateError? {
            if let current = connection, current.isBroken || current.generation < generation {
                connection = nil
            }
            if connection == nil {
                do throws(LimitStateError) {
                    connection = try RedisConnection(endpoint: endpoint, timeout: timeout, generation: generation)
                } catch {
                    job.fail(error)
                    return error
                }
            }
            guard let connection else { return nil }
            job.execute(connection)
            if let failure = connection.failure {
                self.connection = nil
                return failure
            }
            return nil
        }
    }
}
