import GatewayWire

/// `limits` (top level, per client key, per target), `budget` (top level, per client key) and `state`.
extension ConfigDecoder {
    func rateLimits(_ node: YAMLNode, _ path: String) -> RateLimits {
        var limits = RateLimits()
        guard
            let reader = mapping(
                node, path, expected: "a mapping {rpm, tpm, max_concurrent}", keys: ["rpm", "tpm", "max_concurrent"])
        else { return limits }
        if let value = reader.value("rpm") { limits.rpm = integer(value, reader.path("rpm"), in: 1...10_000_000) }
        if let value = reader.value("tpm") { limits.tpm = integer(value, reader.path("tpm"), in: 1...1_000_000_000) }
        if let value = reader.value("max_concurrent") {
            limits.maxConcurrent = integer(value, reader.path("max_concurrent"), in: 1...1_000_000)
        }
        return limits
    }

    func budget(_ node: YAMLNode, _ path: String) -> Budget {
        var budget = Budget()
        guard
            let reader = mapping(
                node, path, expected: "a mapping {usd_per_day, usd_per_month}", keys: ["usd_per_day", "usd_per_month"])
        else { return budget }
        if let value = reader.value("usd_per_day") { budget.usdPerDay = number(value, reader.path("usd_per_day")) }
        if let value = reader.value("usd_per_month") {
            budget.usdPerMonth = number(value, reader.path("usd_per_month"))
        }
        return budget
    }

    func stateSettings(_ node: YAMLNode, _ path: String) -> StateSettings {
        var state = StateSettings()
        guard
            let reader = mapping(
                node, path, expected: "a mapping {backend, url, on_state_error, key_prefix}",
                keys: ["backend", "url", "on_state_error", "key_prefix"])
        else { return state }
        if let value = reader.value("backend") { state.backend = choice(value, reader.path("backend")) ?? .memory }
        if let value = reader.value("on_state_error") {
            state.onStateError = choice(value, reader.path("on_state_error")) ?? .failClosed
        }
        if let value = reader.value("key_prefix"),
            let prefix = string(value, reader.path("key_prefix"), expected: "a key prefix")
        {
            state.keyPrefix = prefix
        }
        if let value = reader.value("url") {
            // A Redis URL may carry a password: it is never quoted back, only its shape is checked.
            if let text = value.scalarText, !value.isNull, text.hasPrefix("redis://") {
                state.url = Secret(text)
            } else {
                diagnostics.error(
                    value, reader.path("url"),
                    "expected redis://[:password@]host:port[/db], got \(Self.shape(of: value)) (not shown: it may"
                        + " hold a password)")
            }
        }
        if state.backend == .redis && state.url == nil && reader.value("url") == nil {
            diagnostics.error(node, path, "backend redis needs url (redis://host:port)")
        }
        // Every key acts or is refused: these three only mean something for the shared backend.
        if state.backend == .memory {
            for key in ["url", "on_state_error", "key_prefix"] {
                guard let value = reader.value(key) else { continue }
                diagnostics.error(value, reader.path(key), "\(key) is only used with backend: redis")
            }
        }
        return state
    }
}
