import GatewayWire
import Logging
import PolicyABI

/// The configured policies in chain order. Immutable; one `ChainRun` per exchange does the work.
///
/// Usage:
/// ```swift
/// let run = chain.start(exchange)
/// switch await run.request(PhaseBody(bytes: body, segmentPhase: .request(.chatCompletions))).decision { ... }
/// await run.end(.completed)   // always, exactly once, whatever happened
/// ```
package final class PolicyChain: Sendable {
    package let policies: [PolicyInstance]
    package let executor: PolicyExecutor
    package let logger: Logger

    /// True when some policy wants the whole streamed response before deciding (no streaming then).
    package let needsFullStream: Bool
    package let hasStreamHooks: Bool
    package let hasResponseHooks: Bool
    package let hasExchangeBegin: Bool
    /// Whether hooks of inline-safe plugins run on the exchange's own thread (`InlineHooks`).
    package let inline: InlineHooks
    /// Some policy promised inline calls; when none did, nothing is checked per phase.
    private let anyInlineSafe: Bool

    package init(policies: [PolicyInstance], executor: PolicyExecutor, logger: Logger, inline: InlineHooks = .standard)
    {
        self.policies = policies
        self.executor = executor
        self.logger = logger
        self.inline = inline
        anyInlineSafe = inline.enabled && policies.contains { $0.inline.promised }
        // Computed once: they are asked on every request.
        needsFullStream = policies.contains { $0.has(UInt64(PAB_CAP_NEEDS_FULL_STREAM)) }
        hasStreamHooks = policies.contains { $0.descriptor.on_stream_chunk != nil }
        hasResponseHooks = policies.contains { $0.descriptor.on_response != nil }
        hasExchangeBegin = policies.contains { $0.descriptor.exchange_begin != nil }
    }

    package func start(_ exchange: Exchange) -> ChainRun { ChainRun(chain: self, exchange: exchange) }

    /// A job from policy `first` on, over bodies of `bodyBytes` in all, may run inline: every policy from
    /// there on still keeps its inline promise (a job runs the rest of the chain), and the bodies are small.
    @inline(__always)
    package func runsInline(from first: Int, bodyBytes: Int) -> Bool {
        guard anyInlineSafe, bodyBytes <= InlineHooks.maxBodyBytes, first < policies.count else { return false }
        for index in first..<policies.count where !policies[index].inline.allowed { return false }
        return true
    }
}

/// What the chain decided for one phase.
package enum ChainDecision: Sendable, Equatable {
    case proceed
    /// A policy denied: answer with its payload (status and code already defaulted).
    case deny(policy: String, payload: DenyPayload)
    /// A fail-closed policy failed: answer with a generic error; `reason` is for logs only.
    case failure(policy: String, reason: String)
}

/// One body on its way through the chain: the request or response of its phase, or in a stream one
/// event. A stream event can turn into several on the way: text a policy releases with `insert_delta` is
/// a new event placed before the current one, and the policies after that one see it like any upstream
/// event (the composition rule of `policy_abi.h`).
package struct LaneItem: Sendable {
    package var body: PhaseBody?
    /// The SSE `event:` field as plugins see it (stream events only).
    package var event: String?
    /// The position of the upstream event in the stream; an inserted event carries the index of the
    /// upstream event it was inserted before.
    package var index: UInt64 = 0
    package var isFinal = false
    /// Some policy replaced the body.
    package var changed = false
    /// Made by the host from text a policy inserted, not received from the upstream.
    package var inserted = false
}

/// The outcome of one phase: the decision, and what leaves the chain: for a stream event, the events to
/// forward in order (inserted ones included, none when the event was dropped); otherwise the one body.
package struct PhaseResult: Sendable {
    package var decision: ChainDecision
    package var items: [LaneItem]

    /// The body that came in, as the last policy left it (nil when a policy dropped a stream event).
    package var body: PhaseBody? { items.last { !$0.inserted }?.body }
    /// True when some policy changed the body (so it must be re-serialised / forwarded as changed).
    package var changed: Bool { items.contains { $0.changed } }
    /// The stream event that came in was dropped by a policy.
    package var dropped: Bool { !items.contains { !$0.inserted } }
}
