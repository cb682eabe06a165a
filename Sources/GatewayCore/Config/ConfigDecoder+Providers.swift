import GatewayWire

/// `providers: {strategy, targets: [...], retries, breakers, requirements}`.
extension ConfigDecoder {
    package static let providersKeys = [
        "strategy", "targets", "max_retries", "retry_on", "max_fallback_attempts", "retry_backoff", "circuit_breaker",
        "requirements",
    ]

    package func decodeProviders(_ node: YAMLNode?) -> ProvidersConfig {
        var providers = ProvidersConfig(strategy: .single, targets: [])
        guard let node,
            let reader = mapping(
                node, "providers", expected: "a mapping with strategy and targets", keys: Self.providersKeys)
        else { return providers }
        if let value = reader.value("strategy"), let strategy: RoutingStrategy = choice(value, reader.path("strategy"))
        {
            providers.strategy = strategy
        }
        decodeRetries(reader, into: &providers)
        if let value = reader.value("circuit_breaker") {
            providers.circuitBreaker = breakerSettings(
                value, reader.path("circuit_breaker"), defaults: BreakerSettings())
        }
        if let value = reader.value("requirements") {
            providers.requirements = requirements(value, reader.path("requirements"))
        }
        guard let list = reader.required("targets", diagnostics) else { return providers }
        let path = reader.path("targets")
        guard let items = list.sequenceItems, !items.isEmpty else {
            let got = list.sequenceItems != nil ? "an empty list" : describe(list)
            diagnostics.error(list, path, "expected a list of at least one target, got \(got)")
            return providers
        }
        var firstSeen: [String: SourceMark] = [:]
        for (index, item) in items.enumerated() {
            guard
                let target = decodeTarget(
                    item, ConfigKeyPath.index(path, index), breakerDefaults: providers.circuitBreaker)
            else { continue }
            if let first = firstSeen[target.id.value] {
                diagnostics.error(
                    target.id.node, ConfigKeyPath.child(ConfigKeyPath.index(path, index), "id"),
                    "duplicate target id '\(target.id.value)' (first defined at line \(first.line),"
                        + " column \(first.column)); target ids must be unique")
            } else {
                firstSeen[target.id.value] = target.id.node.mark
            }
            providers.targets.append(target.config)
        }
        return providers
    }

    private func decodeRetries(_ reader: MappingReader, into providers: inout ProvidersConfig) {
        if let value = reader.value("max_retries") {
            providers.maxRetries = integer(value, reader.path("max_retries"), in: 0...10) ?? providers.maxRetries
        }
        if let value = reader.value("max_fallback_attempts") {
            providers.maxFallbackAttempts =
                integer(value, reader.path("max_fallback_attempts"), in: 1...100) ?? providers.maxFallbackAttempts
        }
        if let value = reader.value("retry_on") {
            let path = reader.path("retry_on")
            if let items = value.sequenceItems {
                var classes: Set<FailureClass> = []
                for (index, item) in items.enumerated() {
                    if let failure: FailureClass = choice(item, ConfigKeyPath.index(path, index)) {
                        classes.insert(failure)
                    }
                }
                providers.retryOn = classes
            } else {
                let names = FailureClass.allCases.map(\.rawValue).joined(separator: ", ")
                diagnostics.error(value, path, "expected a list of failure classes (\(names)), got \(describe(value))")
            }
        }
        if let value = reader.value("retry_backoff"),
            let backoff = mapping(
                value, reader.path("retry_backoff"), expected: "a mapping with base_ms and max_ms",
                keys: ["base_ms", "max_ms"])
        {
            if let base = backoff.value("base_ms") {
                providers.backoffBaseMs =
                    integer(base, backoff.path("base_ms"), in: 0...60_000) ?? providers.backoffBaseMs
            }
            if let cap = backoff.value("max_ms") {
                providers.backoffMaxMs = integer(cap, backoff.path("max_ms"), in: 0...600_000) ?? providers.backoffMaxMs
            }
        }
    }

    /// `circuit_breaker: {failure_threshold, cooldown_seconds, half_open_requests}`.
    package func breakerSettings(_ node: YAMLNode, _ path: String, defaults: BreakerSettings) -> BreakerSettings {
        var settings = defaults
        guard
            let reader = mapping(
                node, path, expected: "a mapping of circuit breaker settings",
                keys: ["failure_threshold", "cooldown_seconds", "half_open_requests"])
        else { return settings }
        if let value = reader.value("failure_threshold") {
            settings.failureThreshold =
                integer(value, reader.path("failure_threshold"), in: 1...1000) ?? settings.failureThreshold
        }
        if let value = reader.value("cooldown_seconds") {
            settings.cooldownSeconds = number(value, reader.path("cooldown_seconds")) ?? settings.cooldownSeconds
        }
        if let value = reader.value("half_open_requests") {
            settings.halfOpenRequests =
                integer(value, reader.path("half_open_requests"), in: 1...1000) ?? settings.halfOpenRequests
        }
        return settings
    }

    /// `requirements: {zero_data_retention, no_training, max_retention_days, allowed_regions}`.
    package func requirements(_ node: YAMLNode, _ path: String) -> DataRequirements {
        var result = DataRequirements()
        guard
            let reader = mapping(
                node, path, expected: "a mapping of data requirements",
                keys: ["zero_data_retention", "no_training", "max_retention_days", "allowed_regions"])
        else { return result }
        if let value = reader.value("zero_data_retention") {
            result.zeroDataRetention = bool(value, reader.path("zero_data_retention")) ?? false
        }
        if let value = reader.value("no_training") {
            result.noTraining = bool(value, reader.path("no_training")) ?? false
        }
        if let value = reader.value("max_retention_days") {
            result.maxRetentionDays = integer(value, reader.path("max_retention_days"), in: 0...36500)
        }
        if let value = reader.value("allowed_regions") {
            result.allowedRegions = stringList(value, reader.path("allowed_regions"))
        }
        return result
    }

    /// A list of non-empty strings.
    package func stringList(_ node: YAMLNode, _ path: String) -> [String] {
        guard let items = node.sequenceItems else {
            diagnostics.error(node, path, "expected a list of strings, got \(describe(node))")
            return []
        }
        return items.enumerated().compactMap { index, item in
            string(item, ConfigKeyPath.index(path, index), expected: "a non-empty string", nonEmpty: true)
        }
    }
}
