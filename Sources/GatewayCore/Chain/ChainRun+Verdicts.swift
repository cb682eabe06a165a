import GatewayWire
import PolicyABI

/// What a hook's verdict means for the exchange: checked against what the plugin did during the call
/// (deny payload, changes, capabilities, its deadline), and the policy's fail mode on errors.
extension ChainRun {
    package enum Interpretation {
        case allow
        case drop
        case mutate(PhaseBody)
        case deny(DenyPayload)
        case error(String)
    }

    package func interpret(_ verdict: pab_verdict, call: HookCall, overran: Bool) -> Interpretation {
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

    package func applyMutation(_ call: HookCall) -> Interpretation {
        guard let body = call.body else { return .error("MUTATE verdict in a phase without a body") }
        let newBytes: [UInt8]
        if let replacement = call.replacementBody {
            newBytes = replacement
        } else if !call.segmentEdits.isEmpty {
            newBytes = spliceSegmentEdits(call.segmentEdits, segments: call.segments, into: body.bytes)
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

    package func record(_ policy: PolicyInstance, _ phase: HookPhase, _ verdict: String) {
        policy.telemetry?.verdict(phase, verdict)
        // Every event of a long stream would flood the audit record: keep only what is not a plain allow.
        if phase == .streamChunk && verdict == "allow" { return }
        exchange.record(.init(policy: policy.name, hook: phase.rawValue, verdict: verdict))
    }

    /// Applies the policy's fail mode to a plugin failure and counts it.
    package func fail(_ policy: PolicyInstance, phase: HookPhase, reason: String) -> ChainDecision {
        policy.errorCount.add(1, ordering: .relaxed)
        policy.telemetry?.failure(timeout: reason.hasPrefix("timeout"), mode: policy.failMode.rawValue)
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
            logger.warning("policy failed (fail_open, exchange continues): \(reason)")
            return .proceed
        }
    }

    /// Hands three strings to a hook as views that live as long as the closure runs.
    package static func withViews<T>(
        _ call: HookCall, _ a: String, _ b: String, _ c: String, _ body: (pab_view, pab_view, pab_view) -> T
    ) -> T {
        let (pa, la) = call.arena.view(of: a)
        let (pb, lb) = call.arena.view(of: b)
        let (pc, lc) = call.arena.view(of: c)
        return body(pab_view(ptr: pa, len: la), pab_view(ptr: pb, len: lb), pab_view(ptr: pc, len: lc))
    }
}
