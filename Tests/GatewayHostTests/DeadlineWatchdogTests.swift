import Foundation
import Synchronization
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// The timer thread behind policy-hook timeouts.
@Suite struct DeadlineWatchdogTests {
    @Test func actionsRunAtTheirDeadlinesInOrderAndCancelledOnesNever() async throws {
        let watchdog = DeadlineWatchdog()
        let fired = Locked<[Int]>([])
        let early = Atomic<Int>(0)
        let now = MonotonicClock.nanos()
        // Scheduled out of order; the earliest arrives last and must wake the sleeping thread.
        for (label, delayMs) in [(3, 90), (2, 60), (9, 70), (1, 30)] {
            let deadline = now + UInt64(delayMs) * 1_000_000
            let id = watchdog.schedule(atNanos: deadline) {
                if MonotonicClock.nanos() < deadline { early.add(1, ordering: .relaxed) }
                fired.withLock { $0.append(label) }
            }
            if label == 9 { watchdog.cancel(id) }
        }
        var waited = 0
        while fired.withLock({ $0.count }) < 3 && waited < 400 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 10
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(fired.withLock { $0 } == [1, 2, 3])
        let firedEarly = early.load(ordering: .relaxed)
        #expect(firedEarly == 0, "nothing fires before its deadline")
    }

    @Test func aDeadlineInThePastFiresAtOnce() async throws {
        let fired = Atomic<Bool>(false)
        DeadlineWatchdog().schedule(atNanos: 0) { fired.store(true, ordering: .relaxed) }
        var waited = 0
        while !fired.load(ordering: .relaxed) && waited < 1000 {
            try await Task.sleep(for: .milliseconds(5))
            waited += 5
        }
        let didFire = fired.load(ordering: .relaxed)
        #expect(didFire)
    }

    @Test func manyCancelledTimersDoNotPileUp() {
        let watchdog = DeadlineWatchdog()
        let before = watchdog.pendingCount
        let far = MonotonicClock.nanos() + 3_600_000_000_000
        let ids = (0..<20_000).map { _ in watchdog.schedule(atNanos: far) {} }
        #expect(watchdog.pendingCount == before + 20_000)
        for id in ids { watchdog.cancel(id) }
        #expect(watchdog.pendingCount == before, "cancelled actions are dropped")
    }
}
