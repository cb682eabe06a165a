import Foundation
import GatewayWire
import Logging

/// Rate limits and budgets of one config generation, counted in the process-wide `LimitState`: a client
/// key's and the whole gateway's `rpm` / `tpm` / `max_concurrent`, a target's own (checked by routing),
/// and the client's and the pack's USD budgets per UTC day and month. Admission happens before any
/// upstream call; after the exchange the real token usage corrects the `tpm` estimate and the cost is added
/// to the budgets.
///
/// Usage:
/// ```swift
/// switch await limiter.admit(client: "team-a", tokens: 900) {
/// case .admitted(let admission): ...; await limiter.finish(admission, tokens: 850, cost: 0.002)
/// case .refused(let error, let headers): return 429 / 503
/// }
/// ```
package struct UsageLimiter: Sendable {
    package let state: any LimitState
    package let onError: StateSettings.OnError
    package let global: RateLimits
    package let packBudget: Budget
    package let pack: String
    package let clients: [String: (limits: RateLimits, budget: Budget)]
    package let metrics: GatewayMetrics
    package let logger: Logger

    /// A slot of `max_concurrent` is held at most this long (a replica that died without giving it back):
    /// longer than the longest stream (`stream_max_seconds`, 3600 s by default).
    package static let leaseSeconds = 3900.0
    static let window = 60.0

    /// What one exchange took: given back or corrected by `finish`.
    package struct Admission: Sendable {
        package var windows: [(key: String, amount: Double)] = []
        package var tokenWindows: [String] = []
        package var slots: [String] = []
        package var estimatedTokens = 0
        package var client: String
        /// `x-ratelimit-*` headers for the client's own limits.
        package var headers: [(name: String, value: String)] = []
    }

    package enum Decision: Sendable {
        case admitted(Admission)
        case refused(GatewayError, headers: [(name: String, value: String)])
    }

    package var isActive: Bool {
        !global.isEmpty || !packBudget.isEmpty || clients.values.contains { !$0.limits.isEmpty || !$0.budget.isEmpty }
    }

    // MARK: - admission

    /// Budgets first (no upstream call is made for a client or pack over budget), then the client's and
    /// the gateway's windows and slots. A refusal gives back what earlier checks took.
    package func admit(client: String, tokens: Int, now: Double = UnixClock.now()) async -> Decision {
        var admission = Admission(estimatedTokens: tokens, client: client)
        let own = clients[client] ?? (RateLimits(), Budget())
        do throws(LimitStateError) {
            if let refusal = try await checkBudget(own.budget, scope: "client", name: client, now: now) {
                return .refused(refusal, headers: [])
            }
            if let refusal = try await checkBudget(packBudget, scope: "pack", name: pack, now: now) {
                return .refused(refusal, headers: [])
            }
            for (scope, name, limits) in [("client", client, own.limits), ("gateway", "all", global)] {
                if let refusal = try await take(
                    limits, scope: scope, name: name, tokens: tokens, now: now,
                    into: &admission)
                {
                    await giveBack(admission, now: now)
                    return refusal
                }
            }
            return .admitted(admission)
        } catch {
            await giveBack(admission, now: now)
            return stateFailure(error, admission: admission)
        }
    }

    /// A target's own limits, for routing: nil when it may take the exchange (its slot and window entries
    /// are then part of `admission`), else why not.
    package func admitTarget(
        _ target: Target, tokens: Int, into admission: inout Admission, now: Double = UnixClock.now()
    )
        async -> GatewayError?
    {
        guard !target.limits.isEmpty else { return nil }
        var local = Admission(client: admission.client)
        do throws(LimitStateError) {
            if case .refused(let error, _) = try await take(
                target.limits, scope: "target", name: target.id, tokens: tokens, now: now, into: &local)
            {
                await giveBack(local, now: now)
                return error
            }
        } catch {
            await giveBack(local, now: now)
            if case .refused(let refusal, _) = stateFailure(error, admission: local) { return refusal }
            return nil
        }
        admission.windows += local.windows
        admission.tokenWindows += local.tokenWindows
        admission.slots += local.slots
        return nil
    }

    /// After the exchange: slots back, `tpm` windows corrected to the real token count, cost added to the
    /// client's and the pack's day and month spend.
    package func finish(_ admission: Admission, tokens: Int?, cost: Double?, now: Double = UnixClock.now()) async {
        do throws(LimitStateError) {
            for slot in admission.slots { try await state.release(slot) }
            if let tokens, tokens != admission.estimatedTokens {
                for key in admission.tokenWindows {
                    try await state.record(
                        key, amount: Double(tokens - admission.estimatedTokens), windowSeconds: Self.window, now: now)
                }
            }
            if let cost, cost > 0 {
                for key in Self.spendKeys(scope: "client", name: admission.client, now: now)
                    + Self.spendKeys(scope: "pack", name: pack, now: now)
                {
                    _ = try await state.add(key.key, amount: cost, ttlSeconds: key.ttl)
                }
            }
        } catch {
            metrics.counter("gatewayhost_limit_state_errors_total").increment()
            logger.warning("limit state: could not settle an exchange: \(error.description)")
        }
    }

    // MARK: - parts

    /// A refusal whose error carries its headers too (routing answers with the error alone).
    private func refused(_ error: GatewayError, _ headers: [(name: String, value: String)]) -> Decision {
        var error = error
        error.headers = headers
        return .refused(error, headers: headers)
    }

    private func take(
        _ limits: RateLimits, scope: String, name: String, tokens: Int, now: Double, into admission: inout Admission
    ) async throws(LimitStateError) -> Decision? {
        if let rpm = limits.rpm {
            let key = "rpm:\(scope):\(name)"
            let verdict = try await state.admit(
                key, amount: 1, limit: Double(rpm), windowSeconds: Self.window, now: now)
            let headers = Self.headers("requests", limit: rpm, used: verdict.total, reset: verdict.retryAfterSeconds)
            if scope == "client" { admission.headers += headers }
            guard verdict.admitted else {
                return refused(
                    Self.rateLimited(
                        scope: scope, name: name, unit: "requests per min (RPM)", type: "requests", limit: rpm,
                        used: Int(verdict.total), requested: 1, wait: verdict.retryAfterSeconds),
                    Self.retryAfter(verdict.retryAfterSeconds) + headers)
            }
            admission.windows.append((key, 1))
        }
        if let tpm = limits.tpm {
            let key = "tpm:\(scope):\(name)"
            let amount = Double(tokens)
            let verdict = try await state.admit(
                key, amount: amount, limit: Double(tpm), windowSeconds: Self.window, now: now)
            let headers = Self.headers("tokens", limit: tpm, used: verdict.total, reset: verdict.retryAfterSeconds)
            if scope == "client" { admission.headers += headers }
            guard verdict.admitted else {
                return refused(
                    Self.rateLimited(
                        scope: scope, name: name, unit: "tokens per min (TPM)", type: "tokens", limit: tpm,
                        used: Int(verdict.total), requested: tokens, wait: verdict.retryAfterSeconds),
                    Self.retryAfter(verdict.retryAfterSeconds) + headers)
            }
            admission.windows.append((key, amount))
            admission.tokenWindows.append(key)
        }
        if let maxConcurrent = limits.maxConcurrent {
            let key = "concurrent:\(scope):\(name)"
            let (acquired, held) = try await state.acquire(
                key, limit: maxConcurrent, leaseSeconds: Self.leaseSeconds, now: now)
            guard acquired else {
                return refused(
                    GatewayError(
                        status: 429,
                        message: "Rate limit reached for \(Self.describe(scope, name)) on concurrent requests: Limit"
                            + " \(maxConcurrent), Running \(held). Please try again when one of them has finished.",
                        type: "requests", code: "rate_limit_exceeded"),
                    Self.retryAfter(1))
            }
            admission.slots.append(key)
        }
        return nil
    }

    private func giveBack(_ admission: Admission, now: Double) async {
        for (key, amount) in admission.windows {
            try? await state.record(key, amount: -amount, windowSeconds: Self.window, now: now)
        }
        for slot in admission.slots { try? await state.release(slot) }
    }

    private func checkBudget(_ budget: Budget, scope: String, name: String, now: Double) async throws(LimitStateError)
        -> GatewayError?
    {
        guard !budget.isEmpty else { return nil }
        let keys = Self.spendKeys(scope: scope, name: name, now: now)
        let spent = try await state.totals(keys.map(\.key))
        for (index, (limit, period)) in [(budget.usdPerDay, "day"), (budget.usdPerMonth, "month")].enumerated() {
            guard let limit, spent[index] >= limit else { continue }
            return GatewayError(
                status: 429,
                message: "You exceeded your current quota: \(Self.describe(scope, name)) spent USD "
                    + String(format: "%.4f", spent[index]) + " of its USD " + String(format: "%.2f", limit)
                    + " per \(period) budget. The budget renews at the start of the next UTC \(period).",
                type: "insufficient_quota", code: "insufficient_quota")
        }
        return nil
    }

    private func stateFailure(_ error: LimitStateError, admission: Admission) -> Decision {
        metrics.counter("gatewayhost_limit_state_errors_total").increment()
        switch onError {
        case .failOpen:
            logger.warning("limit state unavailable (on_state_error: fail_open, request served): \(error)")
            return .admitted(Admission(estimatedTokens: admission.estimatedTokens, client: admission.client))
        case .failClosed:
            logger.error("limit state unavailable (on_state_error: fail_closed, request refused): \(error)")
            return .refused(
                GatewayError(
                    status: 503,
                    message: "The gateway cannot check rate limits and budgets right now (its state store is"
                        + " unavailable). Please try again shortly.",
                    type: "server_error", code: "limit_state_unavailable"),
                headers: Self.retryAfter(1))
        }
    }
}
