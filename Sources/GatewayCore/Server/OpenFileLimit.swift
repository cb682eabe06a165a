#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The open-file limit the gateway needs, raised at start so that a busy gateway does not fail accepts
/// or upstream connects with EMFILE at a limit the operator never chose (most systems start processes
/// at a soft limit of 1,024, far below `max_connections`).
///
/// Each client connection holds one descriptor and each exchange in flight up to one upstream socket;
/// the rest (listeners, plugins, logs, the ledger, curl's and NIO's own) fits in a fixed reserve.
///
/// Usage:
/// ```swift
/// let outcome = OpenFileLimit.raise(for: config.gateway.limits)
/// logger.info("\(outcome.description)")
/// ```
package enum OpenFileLimit {
    /// Descriptors besides connections: listeners, event-loop and curl internals, plugin and log files.
    package static let reserve = 256

    package struct Outcome: Sendable, Equatable {
        package var needed: Int
        package var before: Int
        package var after: Int
        /// The hard limit stopped the raise short of `needed`.
        package var capped: Bool

        package var description: String {
            if capped {
                return
                    "open-file limit \(after), below the \(needed) that max_connections and max_inflight_requests need (the hard limit is \(after)): raise it (ulimit -Hn, LimitNOFILE=) or lower those limits"
            }
            if after > before { return "open-file limit raised from \(before) to \(after) (needed \(needed))" }
            return "open-file limit \(after) (needed \(needed))"
        }
    }

    /// What `limits` can use at once: every connection, plus an upstream socket per exchange in flight.
    package static func needed(for limits: ConnectionLimits) -> Int {
        limits.maxConnections + limits.maxInflightRequests + reserve
    }

    /// Raises the soft limit to what `limits` need (never lowers it), within the hard limit.
    package static func raise(for limits: ConnectionLimits) -> Outcome {
        let needed = needed(for: limits)
        var current = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &current) == 0 else {
            return Outcome(needed: needed, before: 0, after: 0, capped: true)
        }
        let before = Int(clamping: current.rlim_cur)
        // rlim_t.max is RLIM_INFINITY (the C macro does not import).
        let hard = current.rlim_max == rlim_t.max ? Int.max : Int(clamping: current.rlim_max)
        guard before < needed else { return Outcome(needed: needed, before: before, after: before, capped: false) }
        var wanted = current
        wanted.rlim_cur = rlim_t(min(needed, hard))
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &wanted) == 0 else {
            return Outcome(needed: needed, before: before, after: before, capped: true)
        }
        let after = Int(wanted.rlim_cur)
        return Outcome(needed: needed, before: before, after: after, capped: after < needed)
    }
}
