import GatewayWire

/// `providers: {strategy, targets: [...]}`.
extension ConfigDecoder {
    package func decodeProviders(_ node: YAMLNode?) -> ProvidersConfig {
        var providers = ProvidersConfig(strategy: .single, targets: [])
        guard let node,
            let reader = mapping(
                node, "providers", expected: "a mapping with strategy and targets", keys: ["strategy", "targets"])
        else { return providers }
        if let value = reader.value("strategy"), let strategy: RoutingStrategy = choice(value, reader.path("strategy"))
        {
            providers.strategy = strategy
            if strategy != .single {
                diagnostics.warning(
                    value, reader.path("strategy"),
                    "'\(strategy.rawValue)' is \(Self.notEnforcedMessage); requests use the first usable target"
                        + " ('single')")
            }
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
            guard let target = decodeTarget(item, ConfigKeyPath.index(path, index)) else { continue }
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
}
