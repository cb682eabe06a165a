import PolicyABI
import Synchronization

/// One policy instance's standing for inline calls: whether its plugin promised them, and whether its
/// calls broke the promise.
///
/// Wall time is what a blocked loop costs, so that is what is measured; but a call can also take long
/// because the OS preempted its thread (a loaded machine, another process), which is not the plugin's
/// doing. So one slow call is not a verdict: an instance is demoted when a call takes longer than its own
/// `timeout_ms` (it would have timed out on a policy thread), or when, after its first `warmUpCalls` (which
/// fault in its tables and open its files), at least `minimumStrikes` calls and more than one in
/// `strikeRatio` ran over the budget. A demotion is for good: a plugin that blocked can block again.
package final class InlineStatus: Sendable {
    package static let warmUpCalls: UInt64 = 32
    package static let minimumStrikes: UInt64 = 8
    package static let strikeRatio: UInt64 = 20

    /// The plugin sets `PAB_CAP_INLINE_SAFE`.
    package let promised: Bool
    private let demoted = Atomic<Bool>(false)
    private let calls = Atomic<UInt64>(0)
    private let strikes = Atomic<UInt64>(0)

    package init(promised: Bool) { self.promised = promised }

    /// Inline calls are allowed now.
    @inline(__always)
    package var allowed: Bool { promised && !demoted.load(ordering: .relaxed) }

    package var isDemoted: Bool { demoted.load(ordering: .relaxed) }

    /// Counts one call against the budget. Returns why this call demoted the instance, or nil.
    package func check(nanos: UInt64, budgetNanos: UInt64, timeoutNanos: UInt64) -> String? {
        guard promised, !demoted.load(ordering: .relaxed) else { return nil }
        let count = calls.wrappingAdd(1, ordering: .relaxed).newValue
        var reason: String?
        if nanos > timeoutNanos {
            reason = "longer than its timeout_ms"
        } else if nanos > budgetNanos && count > Self.warmUpCalls {
            let struck = strikes.wrappingAdd(1, ordering: .relaxed).newValue
            let counted = count - Self.warmUpCalls
            if struck >= Self.minimumStrikes && struck * Self.strikeRatio > counted {
                reason = "\(struck) of its \(counted) calls since warm-up over the inline budget"
            }
        }
        guard let reason, !demoted.exchange(true, ordering: .relaxed) else { return nil }
        return reason
    }
}
