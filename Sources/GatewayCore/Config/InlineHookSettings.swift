/// When the chain may call hooks inline, on the thread of the task that serves the exchange (a network
/// event loop), instead of handing each phase to a policy thread and back.
///
/// Only plugins that promise non-blocking, short hooks (`PAB_CAP_INLINE_SAFE`, PolicyABI 1.3) qualify, and
/// only for bodies up to `maxBodyBytes`. The promise is checked on every call: an instance whose call
/// takes longer than `budgetNanos` is demoted to the policy threads for the rest of its life (`InlineStatus`).
///
/// Usage:
/// ```swift
/// let chain = PolicyChain(policies: instances, executor: executor, logger: logger, inline: .standard)
/// if chain.runsInline(from: 0, bodyBytes: body.count) { /* call the hooks here */ }
/// ```
package struct InlineHooks: Sendable, Equatable {
    /// `gateway.inline_hooks`.
    package var enabled: Bool
    /// `gateway.inline_hook_budget_us`, in nanoseconds: the longest call an inline-safe plugin may make.
    package var budgetNanos: UInt64

    /// Bodies larger than this always go to the policy threads: scanning them takes long enough that other
    /// connections on the same loop would notice (built-in scanners take ~20 µs per KiB).
    package static let maxBodyBytes = 32_768

    package static let standard = InlineHooks(enabled: true, budgetNanos: 1_000_000)
    package static let off = InlineHooks(enabled: false, budgetNanos: 1_000_000)

    package init(enabled: Bool, budgetNanos: UInt64) {
        self.enabled = enabled
        self.budgetNanos = budgetNanos
    }
}
