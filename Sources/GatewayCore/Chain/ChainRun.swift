import GatewayWire
import Logging
import PolicyABI

/// The policy chain working on one exchange: runs each phase's hooks in chain order on the policy
/// executor, applies verdicts, and guarantees that every successful `exchange_begin` gets exactly one
/// `exchange_end`.
package final class ChainRun: Sendable {
    package let chain: PolicyChain
    package let exchange: Exchange

    /// Per-policy state for this exchange.
    package struct Slot: Sendable {
        /// The plugin's per-exchange pointer, when its exchange_begin succeeded.
        package var pluginExchange: PluginPointer = PluginPointer(nil)
        package var begun = false
        package var ended = false
        /// A hook overran its deadline and may still be running: no further hooks for this policy, and
        /// its exchange_end waits until that hook returns.
        package var abandoned = false
        /// The abandoned hook has not returned yet: exchange_end must wait for it.
        package var stuck = false
    }

    package struct Slots: Sendable {
        package var list: [Slot]
        /// Set by `end`: the reason every owed exchange_end is called with.
        package var endReason: pab_end_reason?
    }

    package let slots: Locked<Slots>
    /// Writes the events of text policies insert into a stream, with the ids of the stream's events.
    package let synthesizer: Locked<StreamDeltaSynthesizer>

    package init(chain: PolicyChain, exchange: Exchange) {
        self.chain = chain
        self.exchange = exchange
        self.slots = Locked(Slots(list: Array(repeating: Slot(), count: chain.policies.count)))
        self.synthesizer = Locked(StreamDeltaSynthesizer(api: exchange.api))
    }

    // MARK: - phases

    /// Runs exchange_begin of every policy, then on_request of every policy, in chain order.
    ///
    /// Every begin comes first so that every policy with per-exchange state sees every exchange through
    /// to its exchange_end, also one that an earlier policy denies: an audit policy logs blocked requests
    /// wherever it sits in the chain.
    ///
    /// Both run in one hand-off to a policy thread: the begins are the first step of the job, the
    /// on_requests its second (a begin that fails closed ends the job after the first step).
    ///
    /// A deny or a fail-closed failure also ends the exchange in that job (exchange_end with `denied` or
    /// `policy_error`), saving the caller's `end` a second hand-off; calling `end` afterwards is harmless.
    package func request(_ body: PhaseBody) async -> PhaseResult {
        let withBegin = chain.hasExchangeBegin
        let steps: [HookPhase] = withBegin ? [.begin, .request] : [.request]
        let item = LaneItem(body: body)
        return await runPhase(steps, items: withBegin ? [item, item] : [item], endAfter: Self.endIfStopped) {
            policy, call, slot, _ in
            guard let hook = policy.descriptor.on_request else { return nil }
            var request = pab_request()
            request.struct_size = UInt32(MemoryLayout<pab_request>.size)
            request.api = self.exchange.api.abiValue
            request.stream = self.exchange.stream ? 1 : 0
            return Self.withViews(
                call, "POST", self.exchange.route, self.exchange.requestHeader("content-type") ?? "application/json"
            ) { method, path, contentType in
                request.method = method
                request.path = path
                request.content_type = contentType
                return call.body!.bytes.withUnsafeBufferPointer { bytes in
                    request.body = pab_view(ptr: bytes.baseAddress, len: bytes.count)
                    return hook(policy.instance, slot, call.opaque, &request)
                }
            }
        }.last!  // the request step's result, or the begin step's when a begin stopped the exchange
    }

    /// Runs on_response of every policy on a non-streamed answer (or a whole buffered stream).
    ///
    /// With `endsExchange`, the same job then ends the exchange: `completed` with `status` when the answer
    /// goes out, `denied` / `policy_error` when a policy stopped it (the caller's `end` is then a no-op).
    package func response(_ body: PhaseBody, status: Int, contentType: String, endsExchange: Bool = false) async
        -> PhaseResult
    {
        var endAfter: EndAfter?
        if endsExchange {
            endAfter = { result in Self.endIfStopped(result) ?? (PAB_END_COMPLETED, status) }
        }
        return await runPhase([.response], items: [LaneItem(body: body)], endAfter: endAfter) { policy, call, slot, _ in
            guard let hook = policy.descriptor.on_response else { return nil }
            var response = pab_response()
            response.struct_size = UInt32(MemoryLayout<pab_response>.size)
            response.http_status = UInt32(status)
            return Self.withViews(call, contentType, "", "") { contentTypeView, _, _ in
                response.content_type = contentTypeView
                return call.body!.bytes.withUnsafeBufferPointer { bytes in
                    response.body = pab_view(ptr: bytes.baseAddress, len: bytes.count)
                    return hook(policy.instance, slot, call.opaque, &response)
                }
            }
        }[0]
    }

    /// One complete SSE event for `streamEvents`.
    package struct StreamEventInput: Sendable {
        package var data: PhaseBody
        package var event: String?
        /// The event's position in the whole stream (0-based), as plugins see it.
        package var index: UInt64
        package var isFinal = false
    }

    /// Runs on_stream_chunk of every subscribed policy on one complete SSE event.
    package func streamEvent(_ data: PhaseBody, event: String?, index: UInt64, isFinal: Bool = false) async
        -> PhaseResult
    {
        await streamEvents([StreamEventInput(data: data, event: event, index: index, isFinal: isFinal)])[0]
    }

    /// Runs on_stream_chunk of every subscribed policy on consecutive events, in one hand-off to a policy
    /// thread: events that arrived in one upstream read cost one thread round trip, not one each. Each
    /// event still passes every policy in chain order before the next event starts, exactly as if they
    /// were run one by one.
    ///
    /// Returns one result per event, in order, up to and including the first event that does not
    /// proceed (a deny or a fail-closed failure); the events after it are not shown to any policy. A
    /// result's `items` are the events to forward for its event: text a policy inserted comes before the
    /// event as events of its own, having passed every later policy (see `runPhase`).
    package func streamEvents(_ events: [StreamEventInput]) async -> [PhaseResult] {
        guard !events.isEmpty else { return [] }
        let items = events.map { LaneItem(body: $0.data, event: $0.event, index: $0.index, isFinal: $0.isFinal) }
        return await runPhase(Array(repeating: .streamChunk, count: events.count), items: items) {
            policy, call, slot, item in
            guard let hook = policy.descriptor.on_stream_chunk else { return nil }
            var chunk = pab_stream_chunk()
            chunk.struct_size = UInt32(MemoryLayout<pab_stream_chunk>.size)
            chunk.index = item.index
            chunk.is_final = item.isFinal ? 1 : 0
            return Self.withViews(call, item.event ?? "", "", "") { eventView, _, _ in
                chunk.event = eventView
                return call.body!.bytes.withUnsafeBufferPointer { bytes in
                    chunk.data = pab_view(ptr: bytes.baseAddress, len: bytes.count)
                    return hook(policy.instance, slot, call.opaque, &chunk)
                }
            }
        }
    }

    /// Runs on_stream_end of every subscribed policy once the stream stopped, for whatever reason, and
    /// ends the exchange in the same job: with `reason` / `status`, or, when a completed stream is denied
    /// or fails closed in on_stream_end, with `denied` / `policy_error` (the caller's `end` is then a no-op).
    package func streamEnd(reason: pab_end_reason, status: Int, events: UInt64, bytes: UInt64) async -> PhaseResult {
        let endAfter: EndAfter = { result in
            reason == PAB_END_COMPLETED ? (Self.endIfStopped(result) ?? (reason, status)) : (reason, status)
        }
        return await runPhase([.streamEnd], items: [LaneItem(body: nil)], endAfter: endAfter) { policy, call, slot, _ in
            guard let hook = policy.descriptor.on_stream_end else { return nil }
            var end = pab_stream_end()
            end.struct_size = UInt32(MemoryLayout<pab_stream_end>.size)
            end.reason = reason
            end.events_seen = events
            end.bytes_seen = bytes
            return hook(policy.instance, slot, call.opaque, &end)
        }[0]
    }

    /// Whether the exchange was ended (`end`, or a phase that ended it in its own job).
    package var hasEnded: Bool { slots.withLock { $0.endReason != nil } }

    /// How the exchange ended; nil while it runs.
    package var endReason: pab_end_reason? { slots.withLock { $0.endReason } }

    /// Calls exchange_end on every policy whose exchange_begin succeeded. Idempotent: the first call wins.
    package func end(_ reason: pab_end_reason, status: Int) async {
        guard let due = claimEnd(reason, status: status), !due.isEmpty else { return }
        let dueNow = due
        let policies = chain.policies
        let exchange = exchange
        let budget = chain.inline.budgetNanos
        if chain.runsInline(from: 0, bodyBytes: 0) {
            for (index, pluginExchange) in dueNow {
                Self.callEnd(
                    policies[index], exchange: exchange, pluginExchange: pluginExchange.raw, reason: reason,
                    budgetNanos: budget)
            }
            return
        }
        let deadline = MonotonicClock.nanos() &+ dueNow.reduce(0) { $0 &+ policies[$1.0].timeoutNanos } &+ 50_000_000
        _ = await chain.executor.run(deadlineNanos: deadline) {
            for (index, pluginExchange) in dueNow {
                Self.callEnd(
                    policies[index], exchange: exchange, pluginExchange: pluginExchange.raw, reason: reason,
                    budgetNanos: budget)
            }
            return true
        }
    }

    /// Records the end (the first call wins: nil for later ones) and returns the policies owed an
    /// exchange_end now, marked as ended.
    package func claimEnd(_ reason: pab_end_reason, status: Int) -> [(Int, PluginPointer)]? {
        let first = slots.withLock { s -> Bool in
            guard s.endReason == nil else { return false }
            s.endReason = reason
            return true
        }
        guard first else { return nil }
        let latency = Int((MonotonicClock.nanos() &- exchange.startNanos) / 1_000_000)
        exchange.state.withLock {
            $0.status = status
            $0.latencyMs = latency
        }
        var due: [(Int, PluginPointer)] = []
        slots.withLock { s in
            // An abandoned policy's end is paid by its stuck hook when it returns (finishAbandoned).
            for index in s.list.indices where s.list[index].begun && !s.list[index].ended && !s.list[index].stuck {
                s.list[index].ended = true
                due.append((index, s.list[index].pluginExchange))
            }
        }
        return due
    }

    /// How a phase result that stops the exchange ends it; nil when the exchange goes on.
    private static func endIfStopped(_ result: PhaseResult) -> (reason: pab_end_reason, status: Int)? {
        switch result.decision {
        case .proceed: nil
        case .deny(_, let payload): (PAB_END_DENIED, payload.status)
        case .failure: (PAB_END_POLICY_ERROR, 503)
        }
    }

    package static func callEnd(
        _ policy: PolicyInstance, exchange: Exchange, pluginExchange: OpaquePointer?, reason: pab_end_reason,
        budgetNanos: UInt64
    ) {
        guard let hook = policy.descriptor.exchange_end else { return }
        let call = HookCall(exchange: exchange, policy: policy, phase: .end, body: nil)
        let started = MonotonicClock.nanos()
        policy.serialized { hook(policy.instance, pluginExchange, call.opaque, reason) }
        policy.finished(
            .end, nanos: MonotonicClock.nanos() &- started, budgetNanos: budgetNanos)
    }
}

/// A plugin-owned pointer held by the host. The host never dereferences it, only hands it back to the
/// plugin, which owns its thread-safety; that is what makes storing it across tasks sound.
package struct PluginPointer: @unchecked Sendable {
    package let raw: OpaquePointer?
    package init(_ raw: OpaquePointer?) { self.raw = raw }
}
