import GatewayWire

/// Turns the YAML tree of a config file into a `GatewayConfig`, checking every key and value against the schema
/// and recording each problem in `diagnostics` instead of stopping at the first.
///
/// Decoding functions always return a value (placeholders where the input was wrong) so that one bad section
/// does not hide the problems of the next; the loader discards the result whenever an error was recorded.
/// The sections live in `ConfigDecoder+*.swift`, one file per section.
package struct ConfigDecoder {
    package let diagnostics: ConfigDiagnostics
    package let environment: [String: String]
    /// Absolute folder of the config file: the base of a relative `gateway.plugins_dir`.
    package let baseDirectory: String

    package static let topLevelKeys = [
        "pack", "policies", "policy", "providers", "gateway", "model_groups", "limits", "budget", "state",
    ]
    /// Sections of the Keeptrusts schema that gatewayhost deliberately does not implement.
    package static let unsupportedTopLevelKeys: Set<String> = ["agents", "testing"]

    package func decode(root: YAMLNode) -> GatewayConfig {
        guard
            let top = mapping(
                root, "", expected: "a mapping with pack, policies and providers", keys: Self.topLevelKeys,
                unsupported: Self.unsupportedTopLevelKeys)
        else {
            return GatewayConfig(
                pack: PackConfig(name: "", version: "", enabled: false), chain: [], policies: [:],
                providers: ProvidersConfig(strategy: .single, targets: []), gateway: decodeGateway(nil))
        }
        // gateway first: policy plugin paths resolve against its plugins_dir.
        let gateway = decodeGateway(top.value("gateway"))
        let pack = decodePack(top.required("pack", diagnostics))
        let chain = decodeChain(top.required("policies", diagnostics))
        let policies = decodePolicies(top.value("policy"), chain: chain, pluginsDir: gateway.pluginsDir)
        let providers = decodeProviders(top.required("providers", diagnostics))
        let groups = decodeModelGroups(top.value("model_groups"), targets: providers.targets)
        var usage = UsageSettings()
        if let node = top.value("limits") { usage.globalLimits = rateLimits(node, "limits") }
        if let node = top.value("budget") { usage.packBudget = budget(node, "budget") }
        if let node = top.value("state") { usage.state = stateSettings(node, "state") }
        return GatewayConfig(
            pack: pack, chain: chain.entries.map(\.name), policies: policies, providers: providers, gateway: gateway,
            modelGroups: groups, usage: usage)
    }
}

/// A mapping node whose keys have been checked, with helpers to fetch values and build key paths.
package struct MappingReader {
    package let node: YAMLNode
    package let path: String
    package let entries: [YAMLMappingEntry]

    package func value(_ key: String) -> YAMLNode? {
        entries.first { $0.key.scalarText == key }?.value
    }

    package func path(_ key: String) -> String {
        ConfigKeyPath.child(path, key)
    }

    /// The value of a required key; a missing key is reported at this mapping's own position.
    package func required(_ key: String, _ diagnostics: ConfigDiagnostics, note: String = "") -> YAMLNode? {
        if let value = value(key) { return value }
        diagnostics.error(node, path, "missing required key '\(key)'" + note)
        return nil
    }
}

extension ConfigDecoder {
    /// Checks that `node` is a mapping and, when `keys` is given, that it holds no other keys (each unknown key
    /// is an error with a did-you-mean). Returns nil after reporting when `node` is not a mapping.
    package func mapping(
        _ node: YAMLNode, _ path: String, expected: String, keys: [String]?, unsupported: Set<String> = []
    ) -> MappingReader? {
        guard let entries = node.mappingEntries else {
            diagnostics.error(node, path, "expected \(expected), got \(describe(node))")
            return nil
        }
        var known: [YAMLMappingEntry] = []
        for entry in entries {
            let key = entry.key.scalarText ?? ""
            guard let keys, !keys.contains(key) else {
                known.append(entry)
                continue
            }
            let validKeys = "(valid keys: \(keys.joined(separator: ", ")))"
            if unsupported.contains(key) {
                diagnostics.error(
                    entry.key, ConfigKeyPath.child(path, key),
                    "key '\(key)' is not supported by gatewayhost \(validKeys)")
            } else if let suggestion = DidYouMean.closest(to: key, among: keys) {
                diagnostics.error(
                    entry.key, ConfigKeyPath.child(path, key), "unknown key '\(key)'", suggestion: suggestion)
            } else {
                diagnostics.error(entry.key, ConfigKeyPath.child(path, key), "unknown key '\(key)' \(validKeys)")
            }
        }
        return MappingReader(node: node, path: path, entries: known)
    }

    /// How a wrong value is shown after "got": `a mapping`, `a list`, `an empty value`, `'abc'`, or
    /// `the quoted string '60'` (so the user sees that quotes are what turned their number into a string).
    package func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, let style):
            let shown = "'\(Self.abbreviate(text))'"
            switch style {
            case .plain: return node.tag != nil ? "the string \(shown)" : (text.isEmpty ? "an empty value" : shown)
            case .singleQuoted, .doubleQuoted: return "the quoted string \(shown)"
            case .literal, .folded: return "the block string \(shown)"
            }
        }
    }

    /// Keeps messages on one readable line: control characters escaped, long values cut.
    package static func abbreviate(_ text: String) -> String {
        var shown = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": shown += "\\n"
            case "\t": shown += "\\t"
            case "\r": shown += "\\r"
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown.count > 60 ? String(shown.prefix(57)) + "..." : shown
    }
}
