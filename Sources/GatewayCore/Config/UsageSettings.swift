/// Rate limits of one scope (a client key, a target, or the whole gateway). Unset: no limit.
package struct RateLimits: Sendable, Equatable {
    /// Requests in any 60 s.
    package var rpm: Int?
    /// Tokens in any 60 s: admitted by the request's estimated prompt tokens plus its `max_tokens` (or
    /// 256), corrected by the real usage afterwards.
    package var tpm: Int?
    /// Exchanges running at once.
    package var maxConcurrent: Int?

    package var isEmpty: Bool { rpm == nil && tpm == nil && maxConcurrent == nil }
}

/// Spending caps of one scope (a client key, or the pack), in USD per UTC day and month.
package struct Budget: Sendable, Equatable {
    package var usdPerDay: Double?
    package var usdPerMonth: Double?

    package var isEmpty: Bool { usdPerDay == nil && usdPerMonth == nil }
}

/// `state:`: where limit and budget counters live.
package struct StateSettings: Sendable, Equatable {
    package enum Backend: String, Sendable, Equatable, CaseIterable {
        /// In this process; spend is restored from the ledger at start.
        case memory
        /// Shared by every replica pointing at the same Redis.
        case redis
    }

    package enum OnError: String, Sendable, Equatable, CaseIterable {
        case failOpen = "fail_open"
        case failClosed = "fail_closed"
    }

    package var backend: Backend = .memory
    /// `redis://[:password@]host:port[/db]`; required with `backend: redis`. A `Secret`: may hold a password.
    package var url: Secret?
    package var onStateError: OnError = .failClosed
    package var keyPrefix = "gatewayhost:"
}

/// Top-level `limits` (the whole gateway), `budget` (the pack) and `state`.
package struct UsageSettings: Sendable, Equatable {
    package var globalLimits = RateLimits()
    package var packBudget = Budget()
    package var state = StateSettings()
}
