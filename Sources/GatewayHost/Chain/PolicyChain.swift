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
final class PolicyChain: Sendable {
    let policies: [PolicyInstance]
    let executor: PolicyExecutor
    let logger: Logger

    /// True when some policy wants the whole streamed response before deciding (no streaming then).
    let needsFullStream: Bool
    let hasStreamHooks: Bool
    let hasResponseHooks: Bool
    let hasExchangeBegin: Bool

    init(policies: [PolicyInstance], executor: PolicyExecutor, logger: Logger) {
        self.policies = policies
        self.executor = executor
        self.logger = logger
        // Computed once: they are asked on every request.
        needsFullStream = policies.contains { $0.has(UInt64(PAB_CAP_NEEDS_FULL_STREAM)) }
        hasStreamHooks = policies.contains { $0.descriptor.on_stream_chunk != nil }
        hasResponseHooks = policies.contains { $0.descriptor.on_response != nil }
        hasExchangeBegin = policies.contains { $0.descriptor.exchange_begin != nil }
    }

    func start(_ exchange: Exchange) -> ChainRun { ChainRun(chain: self, exchange: exchange) }
}

/// What the chain decided for one phase.
enum ChainDecision: Sendable, Equatable {
    case proceed
    /// A policy denied: answer with its payload (status and code already defaulted).
    case deny(policy: String, payload: DenyPayload)
    /// A fail-closed policy failed: answer with a generic error; `reason` is for logs only.
    case failure(policy: String, reason: String)
}

/// The outcome of one phase: the decision, the body as the last policy left it, and for stream events
/// whether the event is dropped and which deltas go before it.
struct PhaseResult: Sendable {
    var decision: ChainDecision
    var body: PhaseBody?
    var dropped = false
    var insertedDeltas: [(item: UInt32, part: UInt32, text: String)] = []
    /// True when some policy changed the body (so it must be re-serialised / forwarded as changed).
    var changed = false
}
