import Logging
import PolicyABI
import Synchronization

/// The policy chain working on one exchange: runs each phase's hooks in chain order on the policy
/// executor, applies verdicts, and guarantees that every successful `exchange_begin` gets exactly one
/// `exchange_end`.
final class ChainRun: Sendable {
    let chain: PolicyChain
    let exchange: Exchange

    /// Per-policy state for this exchange.
    struct Slot: Sendable {
        /// The plugin's per-exchange pointer, when its exchange_begin succeeded.
        var pluginExchange: PluginPointer = PluginPointer(nil)
        var begun = false
        var ended = false
        /// A hook overran its deadline and may still be running: no further hooks for this policy, and
        /// its exchange_end waits until that hook returns.
        var abandoned = false
        /// The abandoned hook has not returned yet: exchange_end must wait for it.
        var stuck = false
    }

    private struct Slots: Sendable {
        var list: [Slot]
        /// Set by `end`: the reason every owed exchange_end is called with.
        var endReason: pab_end_reason?
    }

    private let slots: Mutex<Slots>

    init(chain: PolicyChain, exchange: Exchange) {
        self.chain = chain
        self.exchange = exchange
        self.slots = Mutex(Slots(list: Array(repeating: Slot(), count: chain.policies.count)))
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
    func request(_ body: PhaseBody) async -> PhaseResult {
        let withBegin = chain.hasExchangeBegin
        let steps: [HookPhase] = withBegin ? [.begin, .request] : [.request]
        return await runPhase(steps, bodies: withBegin ? [body, body] : [body], endAfter: Self.endIfStopped) {
            policy, call, slot, _ in
            guard let hook = policy.descriptor.on_request else { return nil }
            var request = pab_request()
            request.struct_size = UInt32(MemoryLayout<pab_request>.size)
            request.api = self.exchange.api == .chatCompletions ? PAB_API_CHAT_COMPLETIONS : PAB_API_RESPONSES
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
    func response(_ body: PhaseBody, status: Int, contentType: String, endsExchange: Bool = false) async
        -> PhaseResult
    {
        var endAfter: EndAfter?
        if endsExchange {
            endAfter = { result in Self.endIfStopped(result) ?? (PAB_END_COMPLETED, status) }
        }
        return await runPhase([.response], bodies: [body], endAfter: endAfter) { policy, call, slot, _ in
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
    struct StreamEventInput: Sendable {
        var data: PhaseBody
        var event: String?
        /// The event's position in the whole stream (0-based), as plugins see it.
        var index: UInt64
        var isFinal = false
    }

    /// Runs on_stream_chunk of every subscribed policy on one complete SSE event.
    func streamEvent(_ data: PhaseBody, event: String?, index: UInt64, isFinal: Bool = false) async -> PhaseResult {
        await streamEvents([StreamEventInput(data: data, event: event, index: index, isFinal: isFinal)])[0]
    }

    /// Runs on_stream_chunk of every subscribed policy on consecutive events, in one hand-off to a policy
    /// thread: events that arrived in one upstream read cost one thread round trip, not one each. Each
    /// event still passes every policy in chain order before the next event starts, exactly as if they
    /// were run one by one.
    ///
    /// Returns one result per event, in order, up to and including the first event that does not
    /// proceed (a deny or a fail-closed failure); the events after it are not shown to any policy.
    func streamEvents(_ events: [StreamEventInput]) async -> [PhaseResult] {
        guard !events.isEmpty else { return [] }
        return await runPhase(
            Array(repeating: .streamChunk, count: events.count), bodies: events.map(\.data)
        ) { policy, call, slot, position in
            guard let hook = policy.descriptor.on_stream_chunk else { return nil }
            let input = events[position]
            var chunk = pab_stream_chunk()
            chunk.struct_size = UInt32(MemoryLayout<pab_stream_chunk>.size)
            chunk.index = input.index
            chunk.is_final = input.isFinal ? 1 : 0
            return Self.withViews(call, input.event ?? "", "", "") { eventView, _, _ in
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
    func streamEnd(reason: pab_end_reason, status: Int, events: UInt64, bytes: UInt64) async -> PhaseResult {
        let endAfter: EndAfter = { result in
            reason == PAB_END_COMPLETED ? (Self.endIfStopped(result) ?? (reason, status)) : (reason, status)
        }
        return await runPhase([.streamEnd], bodies: [nil], endAfter: endAfter) { policy, call, slot, _ in
            guard let hook = policy.descriptor.on_stream_end else { return nil }
            var end = pab_stream_end()
            end.struct_size = UInt32(MemoryLayout<pab_stream_end>.size)
            end.reason = reason
            end.events_seen = events
            end.bytes_seen = bytes
            return hook(policy.instance, slot, call.opaque, &end)
        }[0]
    }

    /// Calls exchange_end on every policy whose exchange_begin succeeded. Idempotent: the first call wins.
    func end(_ reason: pab_end_reason, status: Int) async {
        guard let due = claimEnd(reason, status: status), !due.isEmpty else { return }
        let dueNow = due
        let policies = chain.policies
        let exchange = exchange
        let deadline = MonotonicClock.nanos() &+ dueNow.reduce(0) { $0 &+ policies[$1.0].timeoutNanos } &+ 50_000_000
        _ = await chain.executor.run(deadlineNanos: deadline) {
            for (index, pluginExchange) in dueNow {
                Self.callEnd(policies[index], exchange: exchange, pluginExchange: pluginExchange.raw, reason: reason)
            }
            return true
        }
    }

    /// Records the end (the first call wins: nil for later ones) and returns the policies owed an
    /// exchange_end now, marked as ended.
    private func claimEnd(_ reason: pab_end_reason, status: Int) -> [(Int, PluginPointer)]? {
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

    private static func callEnd(
        _ policy: PolicyInstance, exchange: Exchange, pluginExchange: OpaquePointer?, reason: pab_end_reason
    ) {
        guard let hook = policy.descriptor.exchange_end else { return }
        let call = HookCall(exchange: exchange, policy: policy, phase: .end, body: nil)
        policy.serialized { hook(policy.instance, pluginExchange, call.opaque, reason) }
    }

    // MARK: - the phase engine

    /// Slack past a hook's deadline before it is abandoned: scheduling noise, not plugin time.
    static let graceNanos: UInt64 = 20_000_000

    /// Invokes one policy's hook for the phase on the body at `position` of the batch; nil when the policy
    /// does not subscribe to the phase.
    typealias Invoke = @Sendable (PolicyInstance, HookCall, OpaquePointer?, _ position: Int) -> pab_verdict?

    /// Progress of a job shared between the policy thread running its hooks and the task waiting for it.
    private final class Progress: Sendable {
        struct State: Sendable {
            /// The body of the batch being worked on, and the policy whose hook runs (or ran last).
            var position: Int
            var index: Int
            /// That body as the policies so far left it.
            var body: PhaseBody?
            var changed = false
            var insertedDeltas: [(item: UInt32, part: UInt32, text: String)] = []
            /// Results of the bodies this job has finished, in order.
            var results: [PhaseResult] = []
            var current: HookCall?
            var abandoned = false
            /// The job got a thread and claimed its first hook.
            var started = false
            /// The job has returned; a late deadline must not mark anything stuck.
            var finished = false
            /// The job finished its steps (`results` holds them all) and is running exchange_end hooks.
            var ending = false
        }
        let state: Mutex<State>
        init(position: Int, index: Int, body: PhaseBody?) {
            state = Mutex(State(position: position, index: index, body: body))
        }
    }

    /// Runs steps on the policy executor in one job: step after step (a phase on a body: one, a batch of
    /// stream events, or exchange_begin then on_request), each through the policies in chain order.
    /// Returns a result per step up to and including the first that does not proceed.
    ///
    /// `endAfter`, given the last result, may end the exchange right away in the same job (see `runJob`).
    private func runPhase(
        _ phases: [HookPhase], bodies: [PhaseBody?], endAfter: EndAfter? = nil, invoke: @escaping Invoke
    ) async -> [PhaseResult] {
        let policies = chain.policies
        var results: [PhaseResult] = []
        var position = 0
        var start = 0
        // The body at `position` as far as the chain got with it, carried over an abandoned job.
        var body = bodies[0]
        var changed = false
        var inserted: [(item: UInt32, part: UInt32, text: String)] = []
        while position < bodies.count {
            if start >= policies.count {
                // Every policy is done with this body (the chain's last hook was abandoned): next body.
                results.append(PhaseResult(decision: .proceed, body: body, insertedDeltas: inserted, changed: changed))
                position += 1
                start = 0
                changed = false
                inserted = []
                if position < bodies.count { body = bodies[position] }
                continue
            }
            let (fromPosition, from, firstBody) = (position, start, body)
            let progress = Progress(position: fromPosition, index: from, body: firstBody)
            let job = chain.executor.start {
                self.runJob(
                    phases, bodies: bodies, position: fromPosition, from: from, progress: progress,
                    endAfter: endAfter, invoke: invoke)
            }
            // Wait hook by hook: give up only when the hook running now is past its own deadline (plus a
            // grace for scheduling), however long the earlier hooks took within theirs.
            // A job still queued counts against the first hook's budget: when every policy thread is held
            // by stuck hooks, requests must time out (and apply the fail mode), not wait for a thread forever.
            let queuedUntil = MonotonicClock.nanos() &+ policies[from].timeoutNanos
            var outcome: [PhaseResult]?
            var starved = false
            while true {
                // Between hooks (or before the job got a thread) look again shortly.
                let recheck: UInt64 = 50_000_000
                let deadline = progress.state.withLock { s in
                    s.current?.deadlineNanos ?? (s.started ? MonotonicClock.nanos() &+ recheck : queuedUntil)
                }
                outcome = await job.wait(untilNanos: deadline &+ Self.graceNanos)
                if outcome != nil { break }
                let now = MonotonicClock.nanos()
                let overdue = progress.state.withLock { s -> Bool in
                    if let current = s.current { return now > current.deadlineNanos &+ Self.graceNanos }
                    starved = !s.started && now > queuedUntil &+ Self.graceNanos
                    return starved
                }
                if overdue { break }
            }
            if var finished = outcome {
                if !finished.isEmpty { Self.carry(changed, inserted, into: &finished[0]) }
                return results + finished
            }
            // Overdue in an exchange_end after the steps: the steps' results stand; the end hook goes on in
            // the background, as with `end`.
            let ended = progress.state.withLock { s in s.ending ? s.results : nil }
            if var finished = ended {
                if !finished.isEmpty { Self.carry(changed, inserted, into: &finished[0]) }
                return results + finished
            }
            // The job overran: abandon the hook it is stuck in, and carry on from the next policy.
            // Marked under the progress lock, so the job either sees `abandoned` after its hook returns (and
            // then finds the slot already marked stuck) or had not started that hook at all.
            let stuck = progress.state.withLock { s in
                s.abandoned = true
                let index = s.index
                let finished = s.finished
                slots.withLock {
                    $0.list[index].abandoned = true
                    $0.list[index].stuck = !finished
                }
                return s
            }
            stuck.current?.expired.store(true, ordering: .releasing)
            if !stuck.results.isEmpty {
                // Bodies the job finished before it got stuck; the carried changes belong to the first.
                var done = stuck.results
                Self.carry(changed, inserted, into: &done[0])
                results += done
                changed = false
                inserted = []
            }
            let policy = policies[stuck.index]
            position = stuck.position
            body = stuck.body
            changed = changed || stuck.changed
            inserted += stuck.insertedDeltas
            let decision = fail(
                policy, phase: phases[stuck.position],
                reason: starved
                    ? "timeout: no policy thread became free within the hook's budget (all are busy)"
                    : "timeout: the hook did not return within its budget")
            if decision != .proceed {
                results.append(PhaseResult(decision: decision, body: body, insertedDeltas: inserted, changed: changed))
                return results
            }
            start = stuck.index + 1
        }
        return results
    }

    /// Adds what earlier jobs did to a body (before the one that finished it took over) to its result.
    private static func carry(
        _ changed: Bool, _ inserted: [(item: UInt32, part: UInt32, text: String)], into result: inout PhaseResult
    ) {
        result.changed = result.changed || changed
        if !inserted.isEmpty { result.insertedDeltas = inserted + result.insertedDeltas }
    }

    /// The job body, on a policy thread: the bodies from `position` on, each through the policies (the
    /// first from policy `from`). When the waiting side gave up on this job meanwhile, the policy it blamed
    /// is released here (its owed exchange_end paid), and the results are not used.
    ///
    /// When the steps completed (not abandoned) and `endAfter` asks for it, the job then ends the exchange
    /// itself: one hand-off for the last phase and exchange_end together. Each exchange_end is watched by
    /// its deadline like a hook; one that overruns is left to finish in the background.
    private func runJob(
        _ phases: [HookPhase], bodies: [PhaseBody?], position start: Int, from firstPolicy: Int, progress: Progress,
        endAfter: EndAfter?, invoke: Invoke
    ) -> [PhaseResult] {
        var results: [PhaseResult] = []
        var complete = true
        for position in start..<bodies.count {
            if position > start {
                let carryOn = progress.state.withLock { s -> Bool in
                    guard !s.abandoned else { return false }
                    s.position = position
                    s.index = 0
                    s.body = bodies[position]
                    s.changed = false
                    s.insertedDeltas = []
                    return true
                }
                guard carryOn else {
                    complete = false
                    break
                }
            }
            let from = position == start ? firstPolicy : 0
            guard
                let result = runHooksInOrder(
                    phases[position], position: position, from: from, progress: progress, invoke: invoke)
            else {
                complete = false
                break
            }
            results.append(result)
            // Only a batch needs them shared: the waiting side reads them if the job gets stuck on a later body.
            if bodies.count > 1 { progress.state.withLock { $0.results.append(result) } }
            if result.decision != .proceed { break }
        }
        if complete, let endAfter, let last = results.last, let (reason, status) = endAfter(last) {
            endInJob(reason, status: status, results: results, progress: progress)
        }
        let blamed = progress.state.withLock { s -> Int? in
            s.finished = true
            return s.abandoned ? s.index : nil
        }
        if let blamed { finishAbandoned(index: blamed) }
        return results
    }

    /// Decides from a phase's last result whether (and how) the job ends the exchange right after it.
    typealias EndAfter = @Sendable (PhaseResult) -> (reason: pab_end_reason, status: Int)?

    /// exchange_end of every policy owed one, on this policy thread, each under its deadline.
    private func endInJob(_ reason: pab_end_reason, status: Int, results: [PhaseResult], progress: Progress) {
        let go = progress.state.withLock { s -> Bool in
            guard !s.abandoned else { return false }
            s.ending = true
            s.results = results
            return true
        }
        guard go, let due = claimEnd(reason, status: status) else { return }
        for (index, pluginExchange) in due {
            let policy = chain.policies[index]
            guard let hook = policy.descriptor.exchange_end else { continue }
            let call = HookCall(exchange: exchange, policy: policy, phase: .end, body: nil)
            progress.state.withLock { $0.current = call }
            policy.serialized { hook(policy.instance, pluginExchange.raw, call.opaque, reason) }
            progress.state.withLock { $0.current = nil }
        }
    }

    /// One body through the policies from `start` on. Nil when the waiting side abandoned the job.
    private func runHooksInOrder(
        _ phase: HookPhase, position: Int, from start: Int, progress: Progress, invoke: Invoke
    ) -> PhaseResult? {
        let policies = chain.policies
        var body = progress.state.withLock { $0.body }
        for index in start..<policies.count {
            let policy = policies[index]
            let slot = slots.withLock { $0.list[index] }
            if slot.abandoned { continue }

            // The begin phase: exchange_begin of each policy, in chain order, before any on_request.
            if phase == .begin {
                guard let begin = policy.descriptor.exchange_begin else { continue }
                let call = HookCall(exchange: exchange, policy: policy, phase: .begin, body: body)
                guard claim(progress, index: index, call: call) else { return nil }
                var created: OpaquePointer?
                let rc = policy.serialized { begin(policy.instance, call.opaque, &created) }
                progress.state.withLock { $0.current = nil }
                if rc == PAB_OK {
                    slots.withLock {
                        $0.list[index].begun = true
                        $0.list[index].pluginExchange = PluginPointer(created)
                    }
                }
                if progress.state.withLock({ $0.abandoned }) { return nil }
                if rc != PAB_OK {
                    let decision = fail(policy, phase: .begin, reason: "exchange_begin returned \(rc)")
                    if decision != .proceed { return result(decision, progress: progress, body: body) }
                    slots.withLock { $0.list[index].abandoned = true }  // never call hooks without their state
                }
                continue
            }
            let pluginExchange = slot.pluginExchange.raw

            let call = HookCall(exchange: exchange, policy: policy, phase: phase, body: body)
            guard claim(progress, index: index, call: call) else { return nil }
            let returned = policy.serialized { invoke(policy, call, pluginExchange, position) }
            progress.state.withLock { $0.current = nil }  // its deadline no longer counts
            guard let verdict = returned else { continue }
            if progress.state.withLock({ $0.abandoned }) { return nil }

            let overran = MonotonicClock.nanos() > call.deadlineNanos
            switch interpret(verdict, call: call, overran: overran) {
            case .allow:
                record(policy, phase, "allow")
            case .drop:
                record(policy, phase, "drop")
                progress.state.withLock { $0.insertedDeltas += call.insertedDeltas }
                return result(.proceed, progress: progress, body: body, dropped: true)
            case .mutate(let newBody):
                record(policy, phase, "mutate")
                body = newBody
                progress.state.withLock {
                    $0.body = newBody
                    $0.changed = true
                }
            case .deny(let payload):
                record(policy, phase, "deny")
                return result(.deny(policy: policy.name, payload: payload), progress: progress, body: body)
            case .error(let reason):
                let decision = fail(policy, phase: phase, reason: reason)
                if decision != .proceed { return result(decision, progress: progress, body: body) }
            }
            if !call.insertedDeltas.isEmpty {
                progress.state.withLock { $0.insertedDeltas += call.insertedDeltas }
            }
        }
        return result(.proceed, progress: progress, body: body)
    }

    private func result(_ decision: ChainDecision, progress: Progress, body: PhaseBody?, dropped: Bool = false)
        -> PhaseResult
    {
        progress.state.withLock { s in
            PhaseResult(
                decision: decision, body: body, dropped: dropped, insertedDeltas: s.insertedDeltas, changed: s.changed)
        }
    }

    /// Records that the job is about to run policy `index`'s hook; false when the waiting side has
    /// abandoned this job (then another job carries on and this one must stop).
    private func claim(_ progress: Progress, index: Int, call: HookCall) -> Bool {
        progress.state.withLock { s in
            guard !s.abandoned else { return false }
            s.index = index
            s.current = call
            s.started = true
            return true
        }
    }

    /// The stuck hook finally returned after its phase moved on. If the exchange already ended, pay the
    /// exchange_end this policy owes now (no other hook of it will run again for this exchange).
    private func finishAbandoned(index: Int) {
        let owed: (pab_end_reason, OpaquePointer?)? = slots.withLock { s in
            s.list[index].stuck = false
            guard let reason = s.endReason, s.list[index].begun, !s.list[index].ended else { return nil }
            s.list[index].ended = true
            return (reason, s.list[index].pluginExchange.raw)
        }
        if let (reason, pluginExchange) = owed {
            Self.callEnd(chain.policies[index], exchange: exchange, pluginExchange: pluginExchange, reason: reason)
        }
    }

    // MARK: - verdicts

    private enum Interpretation {
        case allow
        case drop
        case mutate(PhaseBody)
        case deny(DenyPayload)
        case error(String)
    }

    private func interpret(_ verdict: pab_verdict, call: HookCall, overran: Bool) -> Interpretation {
        let budgetMs = call.policy.timeoutNanos / 1_000_000
        if overran {
            return .error("timeout: the hook returned after its \(budgetMs) ms budget; its verdict was discarded")
        }
        switch verdict {
        case PAB_VERDICT_ALLOW:
            return .allow
        case PAB_VERDICT_DENY:
            guard var payload = call.deny else { return .error("DENY verdict without a deny() payload") }
            if payload.status == 0 { payload.status = 409 }
            if payload.code.isEmpty { payload.code = call.phase.isResponseSide ? "output_blocked" : "input_blocked" }
            if payload.message.isEmpty { payload.message = "Blocked by policy '\(call.policy.name)'" }
            return .deny(payload)
        case PAB_VERDICT_MUTATE:
            if let misuse = call.misuse { return .error("MUTATE after \(misuse)") }
            guard call.mayMutate else {
                return .error(
                    "MUTATE verdict without the \(call.phase.isResponseSide ? "PAB_CAP_MUTATES_RESPONSE" : "PAB_CAP_MUTATES_REQUEST") capability"
                )
            }
            return applyMutation(call)
        case PAB_VERDICT_DROP:
            guard call.phase == .streamChunk else { return .error("DROP verdict outside on_stream_chunk") }
            guard call.policy.has(UInt64(PAB_CAP_MUTATES_RESPONSE)) else {
                return .error("DROP verdict without the PAB_CAP_MUTATES_RESPONSE capability")
            }
            return .drop
        case PAB_VERDICT_ERROR:
            return .error("plugin error: \(call.errorMessage ?? "(no message given with set_error)")")
        default:
            return .error("unknown verdict \(verdict)")
        }
    }

    private func applyMutation(_ call: HookCall) -> Interpretation {
        guard let body = call.body else { return .error("MUTATE verdict in a phase without a body") }
        let newBytes: [UInt8]
        if let replacement = call.replacementBody {
            newBytes = replacement
        } else if !call.segmentEdits.isEmpty {
            let segments = body.segments
            let edits = call.segmentEdits.map { (range: segments[$0.key].valueRange, newText: $0.value) }
            newBytes = splice(source: body.bytes, replacements: edits)
        } else {
            return .error("MUTATE verdict without a change (call replace_body or replace_segment_text first)")
        }
        let next = PhaseBody(bytes: newBytes, segmentPhase: body.segmentPhase)
        if call.phase == .request {
            guard let document = next.document, document.root.kind == .object else {
                return .error("MUTATE produced a request body that is not a JSON object")
            }
        }
        return .mutate(next)
    }

    private func record(_ policy: PolicyInstance, _ phase: HookPhase, _ verdict: String) {
        // Every event of a long stream would flood the audit record: keep only what is not a plain allow.
        if phase == .streamChunk && verdict == "allow" { return }
        exchange.record(.init(policy: policy.name, hook: phase.rawValue, verdict: verdict))
    }

    /// Applies the policy's fail mode to a plugin failure and counts it.
    private func fail(_ policy: PolicyInstance, phase: HookPhase, reason: String) -> ChainDecision {
        policy.errorCount.add(1, ordering: .relaxed)
        var logger = chain.logger
        logger[metadataKey: "request_id"] = .string(exchange.requestID)
        logger[metadataKey: "policy"] = .string(policy.name)
        logger[metadataKey: "hook"] = .string(phase.rawValue)
        switch policy.failMode {
        case .failClosed:
            record(policy, phase, "error")
            logger.error("policy failed (fail_closed, exchange refused): \(reason)")
            return .failure(policy: policy.name, reason: reason)
        case .failOpen:
            record(policy, phase, "error_fail_open")
            policy.failOpenCount.add(1, ordering: .relaxed)
            logger.warning("policy failed (fail_open, exchange continues): \(reason)")
            return .proceed
        }
    }

    /// Hands three strings to a hook as views that live as long as the closure runs.
    private static func withViews<T>(
        _ call: HookCall, _ a: String, _ b: String, _ c: String, _ body: (pab_view, pab_view, pab_view) -> T
    ) -> T {
        let (pa, la) = call.arena.view(of: a)
        let (pb, lb) = call.arena.view(of: b)
        let (pc, lc) = call.arena.view(of: c)
        return body(pab_view(ptr: pa, len: la), pab_view(ptr: pb, len: lb), pab_view(ptr: pc, len: lc))
    }
}

/// A plugin-owned pointer held by the host. The host never dereferences it, only hands it back to the
/// plugin, which owns its thread-safety; that is what makes storing it across tasks sound.
struct PluginPointer: @unchecked Sendable {
    let raw: OpaquePointer?
    init(_ raw: OpaquePointer?) { self.raw = raw }
}
