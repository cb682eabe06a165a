import GatewayWire
import PolicyABI
import Synchronization

/// Which hook a call belongs to: decides which host functions are allowed and what "body" means.
package enum HookPhase: String, Sendable {
    case begin = "exchange_begin"
    case request = "on_request"
    case response = "on_response"
    case streamChunk = "on_stream_chunk"
    case streamEnd = "on_stream_end"
    case end = "exchange_end"

    package var isResponseSide: Bool { self == .response || self == .streamChunk || self == .streamEnd }
}

/// A body as one policy sees it, with its JSON parse and text segments computed on first use and shared
/// by every later policy until one of them changes the body.
package final class PhaseBody: @unchecked Sendable {
    // @unchecked: the lazily filled caches are only touched by the thread running the current hook;
    // hooks of one exchange are serialised and hand the object over through the executor (happens-before).
    package let bytes: [UInt8]
    package let segmentPhase: SegmentPhase?
    private var parsed: JSONDocument??
    private var cachedSegments: [TextSegment]?
    private var cachedV1_0Segments: [TextSegment]?

    package init(bytes: [UInt8], segmentPhase: SegmentPhase?, document: JSONDocument? = nil) {
        self.bytes = bytes
        self.segmentPhase = segmentPhase
        if let document { self.parsed = .some(document) }
    }

    package var document: JSONDocument? {
        if let parsed { return parsed }
        let doc = try? JSONDocument(parsing: bytes)
        parsed = .some(doc)
        return doc
    }

    package var segments: [TextSegment] {
        if let cachedSegments { return cachedSegments }
        var result: [TextSegment] = []
        if let segmentPhase, let document { result = GatewayWire.segments(of: document, phase: segmentPhase) }
        cachedSegments = result
        return result
    }

    /// The segments of the v1.0 kinds only: what a plugin without PAB_CAP_EXTENDED_SEGMENTS sees (and
    /// counts its indices in).
    package var v1_0Segments: [TextSegment] {
        if let cachedV1_0Segments { return cachedV1_0Segments }
        let all = segments
        let result = all.allSatisfy(\.isV1_0Kind) ? all : all.filter(\.isV1_0Kind)
        cachedV1_0Segments = result
        return result
    }
}

/// Text a policy asked to insert into a stream before the current event (`insert_delta`): for choice or
/// output item `item`, content part `part`.
package typealias InsertedDelta = (item: UInt32, part: UInt32, text: String)

/// What a DENY verdict answers with.
package struct DenyPayload: Sendable, Equatable {
    package var status: Int
    package var code: String
    package var message: String
}

/// One hook invocation: what the plugin receives as `pab_call *`, and what it asked for during the call.
///
/// Only the thread running the hook touches the mutable fields while the hook runs; the chain reads them
/// after the hook returned (the executor's completion orders the two). A call abandoned after its
/// deadline is marked `expired`, and every host function then refuses it, so a late hook cannot change an
/// exchange that has moved on.
package final class HookCall: @unchecked Sendable {
    package let exchange: Exchange
    package let policy: PolicyInstance
    package let phase: HookPhase
    package let deadlineNanos: UInt64
    package let body: PhaseBody?
    package let arena = ViewArena()
    package let expired = Atomic<Bool>(false)

    package var deny: DenyPayload?
    package var replacementBody: [UInt8]?
    package var segmentEdits: [Int: String] = [:]
    package var insertedDeltas: [InsertedDelta] = []
    package var errorMessage: String?
    /// Set when a host function was misused in a way that makes the verdict an error.
    package var misuse: String?

    package init(exchange: Exchange, policy: PolicyInstance, phase: HookPhase, body: PhaseBody?) {
        self.exchange = exchange
        self.policy = policy
        self.phase = phase
        self.body = body
        self.deadlineNanos = MonotonicClock.nanos() &+ policy.timeoutNanos
    }

    package var opaque: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    /// The live call behind a `pab_call *`, or nil when the pointer is NULL or the call has expired.
    package static func from(_ pointer: OpaquePointer?) -> HookCall? {
        guard let pointer else { return nil }
        let call = Unmanaged<HookCall>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
        return call.expired.load(ordering: .acquiring) ? nil : call
    }

    /// The segments this policy sees (their indices are what it passes to get_segment and
    /// replace_segment_text): every kind with PAB_CAP_EXTENDED_SEGMENTS, else the v1.0 kinds.
    package var segments: [TextSegment] {
        guard let body else { return [] }
        return policy.seesExtendedSegments ? body.segments : body.v1_0Segments
    }

    /// The candidate targets `get_candidate` shows, computed on first use in this call from the model the
    /// body names now (an earlier policy may have changed it).
    lazy var candidateTargets: [Target] = {
        guard phase == .request, let source = exchange.candidates else { return [] }
        let model = body?.document?.root["model"]?.string ?? exchange.state.withLock { $0.model }
        return source(model)
    }()

    /// Whether this policy may change the body of the current phase.
    package var mayMutate: Bool {
        switch phase {
        case .request: return policy.has(UInt64(PAB_CAP_MUTATES_REQUEST))
        case .response, .streamChunk: return policy.has(UInt64(PAB_CAP_MUTATES_RESPONSE))
        default: return false
        }
    }
}
