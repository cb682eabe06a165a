import GatewayWire
import PolicyABI

/// The phase engine: runs the hooks of a phase on the policy executor, watches each hook's deadline
/// from the waiting task, and carries on past a hook that overran.
///
/// A step works on a lane: the items that enter a policy, in order. Outside streams a lane is one body.
/// For a stream event it starts as that event, and each policy turns its input lane into its output
/// lane: every item passes the policy's hook; what the policy inserted (`insert_delta`) goes before the
/// item as new events; a dropped item leaves the lane. The next policy works on that output, so an
/// inserted text passes every later policy exactly like an upstream event, and every policy sees its
/// events in stream order.
extension ChainRun {
    /// Slack past a hook's deadline before it is abandoned: scheduling noise, not plugin time.
    package static let graceNanos: UInt64 = 20_000_000

    /// Invokes one policy's hook for the phase on one lane item; nil when the policy does not subscribe
    /// to the phase (then it does so for every item).
    package typealias Invoke = @Sendable (PolicyInstance, HookCall, OpaquePointer?, LaneItem) -> pab_verdict?

    /// Decides from a phase's last result whether (and how) the job ends the exchange right after it.
    package typealias EndAfter = @Sendable (PhaseResult) -> (reason: pab_end_reason, status: Int)?

    /// Progress of a job shared between the policy thread running its hooks and the task waiting for it.
    package final class Progress: Sendable {
        package struct State: Sendable {
            /// The step being worked on, the policy whose hook runs (or ran last), and the lane item.
            package var position: Int
            package var index: Int
            package var element = 0
            /// The lane entering that policy, and what the policy let out of the items before `element`.
            package var input: [LaneItem]
            package var output: [LaneItem] = []
            /// Results of the steps this job has finished, in order.
            package var results: [PhaseResult] = []
            package var current: HookCall?
            package var abandoned = false
            /// The job got a thread and claimed its first hook.
            package var started = false
            /// The job has returned; a late deadline must not mark anything stuck.
            package var finished = false
            /// The job finished its steps (`results` holds them all) and is running exchange_end hooks.
            package var ending = false

            /// The lane the next policy would get if the current one stopped now: what it let out, then
            /// the items it had not finished, unchanged.
            package var laneWithoutCurrentPolicy: [LaneItem] { output + input[min(element, input.count)...] }
        }
        package let state: Locked<State>
        package init(position: Int, index: Int, lane: [LaneItem]) {
            state = Locked(State(position: position, index: index, input: lane))
        }
    }

    /// Runs steps on the policy executor in one job: step after step (a phase on a lane: one body, each
    /// event of a batch, or exchange_begin then on_request), each through the policies in chain order.
    /// Returns a result per step up to and including the first that does not proceed.
    ///
    /// `endAfter`, given the last result, may end the exchange right away in the same job (see `runJob`).
    package func runPhase(
        _ phases: [HookPhase], items: [LaneItem], endAfter: EndAfter? = nil, invoke: @escaping Invoke
    ) async -> [PhaseResult] {
        let policies = chain.policies
        var results: [PhaseResult] = []
        var position = 0
        var start = 0
        // The lane entering policy `start` at step `position`, carried over an abandoned job.
        var lane = [items[0]]
        while position < items.count {
            if start >= policies.count {
                // Every policy is done with this step (the chain's last hook was abandoned): next step.
                results.append(PhaseResult(decision: .proceed, items: lane))
                position += 1
                start = 0
                if position < items.count { lane = [items[position]] }
                continue
            }
            let (fromPosition, from) = (position, start)
            let progress = Progress(position: fromPosition, index: from, lane: lane)
            // Inline-safe plugins on small bodies: the job runs right here, with no hand-off to a policy
            // thread and back. Nothing can overrun unnoticed: each call is measured against the budget, and
            // a plugin that breaks its promise runs on the policy threads from the next job on.
            if chain.runsInline(from: from, bodyBytes: Self.bodyBytes(items, from: fromPosition)) {
                return results
                    + runJob(
                        phases, items: items, position: fromPosition, from: from, progress: progress,
                        endAfter: endAfter, invoke: invoke)
            }
            let job = chain.executor.start {
                self.runJob(
                    phases, items: items, position: fromPosition, from: from, progress: progress, endAfter: endAfter,
                    invoke: invoke)
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
            if let finished = outcome { return results + finished }
            // Overdue in an exchange_end after the steps: the steps' results stand; the end hook goes on in
            // the background, as with `end`.
            if let finished = progress.state.withLock({ s in s.ending ? s.results : nil }) {
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
            results += stuck.results  // the steps the job finished before it got stuck
            position = stuck.position
            lane = stuck.laneWithoutCurrentPolicy
            let decision = fail(
                policies[stuck.index], phase: phases[stuck.position],
                reason: starved
                    ? "timeout: no policy thread became free within the hook's budget (all are busy)"
                    : "timeout: the hook did not return within its budget")
            if decision != .proceed {
                results.append(PhaseResult(decision: decision, items: lane))
                return results
            }
            start = stuck.index + 1
        }
        return results
    }

    /// The bytes the steps from `position` on hand to the plugins.
    private static func bodyBytes(_ items: [LaneItem], from position: Int) -> Int {
        var total = 0
        for index in position..<items.count { total += items[index].body?.bytes.count ?? 0 }
        return total
    }

    /// The job body, on a policy thread (or inline, see `runPhase`): the steps from `position` on, each through the policies (the
    /// first from policy `from`). When the waiting side gave up on this job meanwhile, the policy it blamed
    /// is released here (its owed exchange_end paid), and the results are not used.
    ///
    /// When the steps completed (not abandoned) and `endAfter` asks for it, the job then ends the exchange
    /// itself: one hand-off for the last phase and exchange_end together. Each exchange_end is watched by
    /// its deadline like a hook; one that overruns is left to finish in the background.
    private func runJob(
        _ phases: [HookPhase], items: [LaneItem], position start: Int, from firstPolicy: Int, progress: Progress,
        endAfter: EndAfter?, invoke: Invoke
    ) -> [PhaseResult] {
        var results: [PhaseResult] = []
        var complete = true
        for position in start..<items.count {
            if position > start {
                let carryOn = progress.state.withLock { s -> Bool in
                    guard !s.abandoned else { return false }
                    s.position = position
                    s.index = 0
                    s.element = 0
                    s.input = [items[position]]
                    s.output = []
                    return true
                }
                guard carryOn else {
                    complete = false
                    break
                }
            }
            let from = position == start ? firstPolicy : 0
            guard let result = runPolicies(phases[position], from: from, progress: progress, invoke: invoke) else {
                complete = false
                break
            }
            results.append(result)
            // Only a batch needs them shared: the waiting side reads them if the job gets stuck on a later step.
            if items.count > 1 { progress.state.withLock { $0.results.append(result) } }
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
            let started = MonotonicClock.nanos()
            policy.serialized { hook(policy.instance, pluginExchange.raw, call.opaque, reason) }
            policy.finished(.end, nanos: MonotonicClock.nanos() &- started, budgetNanos: chain.inline.budgetNanos)
            progress.state.withLock { $0.current = nil }
        }
    }

    /// One step's lane through the policies from `start` on. Nil when the waiting side abandoned the job.
    private func runPolicies(_ phase: HookPhase, from start: Int, progress: Progress, invoke: Invoke) -> PhaseResult? {
        let policies = chain.policies
        var lane = progress.state.withLock { $0.input }
        for index in start..<policies.count {
            let policy = policies[index]
            let slot = slots.withLock { $0.list[index] }
            if slot.abandoned { continue }
            if phase == .begin {
                // exchange_begin of each policy, in chain order, before any on_request.
                guard let decision = begin(policy, index: index, lane: lane, progress: progress) else { return nil }
                if decision != .proceed { return PhaseResult(decision: decision, items: lane) }
                continue
            }
            var output: [LaneItem] = []
            output.reserveCapacity(lane.count)
            for (element, item) in lane.enumerated() {
                let call = HookCall(exchange: exchange, policy: policy, phase: phase, body: item.body)
                guard claim(progress, index: index, element: element, lane: lane, output: output, call: call) else {
                    return nil
                }
                let started = MonotonicClock.nanos()
                let returned = policy.serialized { invoke(policy, call, slot.pluginExchange.raw, item) }
                if returned != nil {
                    policy.finished(
                        phase, nanos: MonotonicClock.nanos() &- started, budgetNanos: chain.inline.budgetNanos)
                }
                progress.state.withLock { $0.current = nil }  // its deadline no longer counts
                guard let verdict = returned else {
                    output = lane  // not subscribed to this phase: the whole lane passes
                    break
                }
                if progress.state.withLock({ $0.abandoned }) { return nil }

                let overran = MonotonicClock.nanos() > call.deadlineNanos
                var kept: LaneItem? = item
                switch interpret(verdict, call: call, overran: overran) {
                case .allow:
                    record(policy, phase, "allow")
                case .drop:
                    record(policy, phase, "drop")
                    kept = nil
                case .mutate(let newBody):
                    record(policy, phase, "mutate")
                    kept?.body = newBody
                    kept?.changed = true
                case .deny(let payload):
                    record(policy, phase, "deny")
                    return PhaseResult(decision: .deny(policy: policy.name, payload: payload), items: output)
                case .error(let reason):
                    let decision = fail(policy, phase: phase, reason: reason)
                    if decision != .proceed { return PhaseResult(decision: decision, items: output) }
                    output.append(item)  // fail open: the item goes on as this policy got it, nothing inserted
                    continue
                }
                // Released text goes before the event it was released at, as events of its own.
                for delta in call.insertedDeltas {
                    output.append(insertedItem(delta, before: item))
                }
                if let kept { output.append(kept) }
            }
            lane = output
        }
        return PhaseResult(decision: .proceed, items: lane)
    }

    /// exchange_begin of one policy. Nil when the waiting side abandoned the job; otherwise whether the
    /// exchange goes on (a failed begin applies the fail mode; fail open skips the policy from now on).
    private func begin(_ policy: PolicyInstance, index: Int, lane: [LaneItem], progress: Progress) -> ChainDecision? {
        guard let begin = policy.descriptor.exchange_begin else { return .proceed }
        let call = HookCall(exchange: exchange, policy: policy, phase: .begin, body: lane.first?.body)
        guard claim(progress, index: index, element: 0, lane: lane, output: [], call: call) else { return nil }
        var created: OpaquePointer?
        let started = MonotonicClock.nanos()
        let rc = policy.serialized { begin(policy.instance, call.opaque, &created) }
        policy.finished(.begin, nanos: MonotonicClock.nanos() &- started, budgetNanos: chain.inline.budgetNanos)
        progress.state.withLock { $0.current = nil }
        if rc == PAB_OK {
            slots.withLock {
                $0.list[index].begun = true
                $0.list[index].pluginExchange = PluginPointer(created)
            }
        }
        if progress.state.withLock({ $0.abandoned }) { return nil }
        guard rc == PAB_OK else {
            let decision = fail(policy, phase: .begin, reason: "exchange_begin returned \(rc)")
            if decision == .proceed { slots.withLock { $0.list[index].abandoned = true } }  // never hooks without state
            return decision
        }
        return .proceed
    }

    /// A stream event made from text a policy inserted before `item`, in the stream's own format.
    private func insertedItem(_ delta: InsertedDelta, before item: LaneItem) -> LaneItem {
        let event = synthesizer.withLock { $0.event(item: delta.item, part: delta.part, text: delta.text) }
        return LaneItem(
            body: PhaseBody(bytes: event.data ?? [], segmentPhase: .streamEvent(exchange.api)), event: event.event,
            index: item.index, isFinal: false, changed: false, inserted: true)
    }

    /// Records that the job is about to run policy `index`'s hook on lane item `element`; false when the
    /// waiting side has abandoned this job (then another job carries on and this one must stop).
    private func claim(
        _ progress: Progress, index: Int, element: Int, lane: [LaneItem], output: [LaneItem], call: HookCall
    ) -> Bool {
        progress.state.withLock { s in
            guard !s.abandoned else { return false }
            s.index = index
            s.element = element
            s.input = lane
            s.output = output
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
            Self.callEnd(
                chain.policies[index], exchange: exchange, pluginExchange: pluginExchange, reason: reason,
                budgetNanos: chain.inline.budgetNanos)
        }
    }
}
