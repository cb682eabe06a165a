import GatewayWire

/// `model_groups: [{name, targets, aliases, strategy, fallback_group}]`.
extension ConfigDecoder {
    package func decodeModelGroups(_ node: YAMLNode?, targets: [TargetConfig]) -> [ModelGroupConfig] {
        guard let node, !node.isNull else { return [] }
        let path = "model_groups"
        guard let items = node.sequenceItems else {
            diagnostics.error(node, path, "expected a list of model groups, got \(describe(node))")
            return []
        }
        let targetIDs = targets.map(\.id)
        var groups: [ModelGroupConfig] = []
        var names: [String: SourceMark] = [:]
        var fallbacks: [(group: Int, node: YAMLNode, path: String)] = []
        for (index, item) in items.enumerated() {
            let itemPath = ConfigKeyPath.index(path, index)
            guard
                let reader = mapping(
                    item, itemPath, expected: "a mapping with name and targets",
                    keys: ["name", "targets", "aliases", "strategy", "fallback_group"]),
                let nameNode = reader.required("name", diagnostics),
                let name = string(nameNode, reader.path("name"), expected: "a non-empty string", nonEmpty: true)
            else { continue }
            var group = ModelGroupConfig(name: name, targets: [])
            if let aliases = reader.value("aliases") { group.aliases = stringList(aliases, reader.path("aliases")) }
            for (alias, aliasPath) in [(name, reader.path("name"))]
                + group.aliases.map({ ($0, reader.path("aliases")) })
            {
                if let first = names[alias] {
                    diagnostics.error(
                        nameNode, aliasPath,
                        "the model name '\(alias)' is already a group name or alias (line \(first.line)); each must be"
                            + " unique")
                } else {
                    names[alias] = nameNode.mark
                }
            }
            if let list = reader.required("targets", diagnostics) {
                let targetsPath = reader.path("targets")
                group.targets = stringList(list, targetsPath)
                if group.targets.isEmpty, list.sequenceItems != nil {
                    diagnostics.error(list, targetsPath, "expected at least one target id")
                }
                for (position, id) in group.targets.enumerated() where !targetIDs.contains(id) {
                    let suggestion = DidYouMean.closest(to: id, among: targetIDs)
                    diagnostics.error(
                        list.sequenceItems?[position] ?? list, ConfigKeyPath.index(targetsPath, position),
                        "no target has the id '\(id)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? ""),
                        suggestion: suggestion)
                }
            }
            if let value = reader.value("strategy") {
                group.strategy = choice(value, reader.path("strategy"))
            }
            if let value = reader.value("fallback_group") {
                group.fallbackGroup = string(
                    value, reader.path("fallback_group"), expected: "a group name", nonEmpty: true)
                fallbacks.append((groups.count, value, reader.path("fallback_group")))
            }
            groups.append(group)
        }
        let groupNames = groups.map(\.name)
        for (index, node, path) in fallbacks {
            guard let fallback = groups[index].fallbackGroup else { continue }
            if !groupNames.contains(fallback) {
                let suggestion = DidYouMean.closest(to: fallback, among: groupNames)
                diagnostics.error(
                    node, path,
                    "no model group is named '\(fallback)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? ""),
                    suggestion: suggestion)
            } else if fallback == groups[index].name {
                diagnostics.error(node, path, "a group cannot fall back to itself")
            }
        }
        return groups
    }
}
