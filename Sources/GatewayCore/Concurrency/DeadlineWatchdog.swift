import GatewayWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One thread that runs short actions at monotonic deadlines: the timeouts of waits for policy hooks.
///
/// Almost every such timeout is cancelled (the hook returns in microseconds), so arming and cancelling
/// must be cheap: `schedule` is a heap push under a lock and wakes the thread only when the new deadline
/// is earlier than the one it sleeps until (rare: later requests have later deadlines); `cancel` drops
/// the action and leaves its heap slot to be skipped. A dispatch timer per wait, which this replaces,
/// cost a timerfd update and a wake-up of libdispatch's manager thread every time.
///
/// Actions run on the watchdog thread, one after the other, outside the lock: keep them short (resume a
/// continuation, set a flag).
package final class DeadlineWatchdog: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `mutex`.

    /// The process-wide watchdog (started on first use, never stopped).
    package static let shared = DeadlineWatchdog()

    private struct Entry {
        let deadline: UInt64
        let id: UInt64
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    /// Min-heap on deadline; may hold cancelled entries (their id is missing from `actions`).
    private var heap: [Entry] = []
    private var actions: [UInt64: @Sendable () -> Void] = [:]
    private var nextID: UInt64 = 1
    /// The deadline the thread sleeps until; 0 while it is awake (it re-reads the heap before sleeping).
    private var sleepingUntil: UInt64 = 0

    /// A separate watchdog with its own thread (tests; the gateway uses `shared`).
    package init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)  // deadlines are CLOCK_MONOTONIC
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)

        // The thread keeps the watchdog alive (it never returns).
        guard let thread = NativeThread.start({ [self] in run() }) else {
            fatalError("could not start the deadline watchdog thread")
        }
        pthread_detach(thread)
    }

    /// Runs `action` on the watchdog thread once `deadlineNanos` (MonotonicClock) has passed, unless
    /// `cancel` comes first. Returns the id to cancel it with.
    @discardableResult
    package func schedule(atNanos deadlineNanos: UInt64, _ action: @escaping @Sendable () -> Void) -> UInt64 {
        pthread_mutex_lock(mutex)
        let id = nextID
        nextID &+= 1
        actions[id] = action
        push(Entry(deadline: deadlineNanos, id: id))
        let wake = deadlineNanos < sleepingUntil
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
        return id
    }

    /// Cancels a scheduled action; no effect when it already ran (or is running).
    package func cancel(_ id: UInt64) {
        pthread_mutex_lock(mutex)
        actions[id] = nil
        // Cancelled entries stay in the heap until they reach the top; rebuild when they are the majority,
        // so that long timeouts under load do not keep a heap of dead entries.
        if heap.count > 1024 && actions.count * 2 < heap.count {
            heap.removeAll { actions[$0.id] == nil }
            heapify()
        }
        pthread_mutex_unlock(mutex)
    }

    /// Scheduled actions not yet run or cancelled (for tests).
    package var pendingCount: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return actions.count
    }

    private func run() {
        pthread_mutex_lock(mutex)
        while true {
            let now = MonotonicClock.nanos()
            var due: [@Sendable () -> Void] = []
            while let top = heap.first, top.deadline <= now || actions[top.id] == nil {
                popTop()
                if let action = actions.removeValue(forKey: top.id) { due.append(action) }
            }
            if !due.isEmpty {
                pthread_mutex_unlock(mutex)
                for action in due { action() }
                pthread_mutex_lock(mutex)
                continue
            }
            if let next = heap.first {
                sleepingUntil = next.deadline
                var until = timespec(
                    tv_sec: Int(next.deadline / 1_000_000_000), tv_nsec: Int(next.deadline % 1_000_000_000))
                _ = pthread_cond_timedwait(condition, mutex, &until)
            } else {
                sleepingUntil = .max
                _ = pthread_cond_wait(condition, mutex)
            }
            sleepingUntil = 0
        }
    }

    // MARK: - binary heap (under the lock)

    private func push(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(from: 0)
    }

    private func heapify() {
        guard heap.count > 1 else { return }
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(from: index) }
    }

    private func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            let smaller = right < heap.count && heap[right].deadline < heap[left].deadline ? right : left
            guard heap[smaller].deadline < heap[parent].deadline else { return }
            heap.swapAt(parent, smaller)
            parent = smaller
        }
    }
}
