import GatewayWire

/// `policy: {<name>: {plugin: {...}, <plugin's own keys>...}}`.
extension ConfigDecoder {
    package static let pluginKeys = ["file", "sha256", "on_error", "timeout_ms"]

    /// Settings for every chain entry: from `policy.<name>` when present, defaults otherwise.
    package func decodePolicies(_ node: YAMLNode?, chain: Chain, pluginsDir: String) -> [String: PolicySettings] {
        var configured: [String: PolicySettings] = [:]
        if let node, !node.isNull,
            let reader = mapping(node, "policy", expected: "a mapping of policy names to settings", keys: nil)
        {
            let names = chain.entries.map(\.name)
            for entry in reader.entries {
                let name = entry.key.scalarText ?? ""
                let path = reader.path(name)
                guard names.contains(name) || !chain.isValid else {
                    diagnostics.error(
                        entry.key, path, "policy '\(name)' is configured but not in policies.chain",
                        suggestion: DidYouMean.closest(to: name, among: names))
                    continue
                }
                configured[name] = decodePolicy(
                    entry.value, path, name: name, mark: entry.key.mark, pluginsDir: pluginsDir)
            }
        }
        var policies: [String: PolicySettings] = [:]
        for (name, mark) in chain.entries {
            policies[name] =
                configured[name]
                ?? PolicySettings(
                    name: name, pluginFile: Paths.resolve("\(name).so", against: pluginsDir), sha256: nil,
                    onError: .failClosed, timeoutMs: 200, configJSON: "{}", line: mark.line, column: mark.column)
        }
        return policies
    }

    private func decodePolicy(
        _ node: YAMLNode, _ path: String, name: String, mark: SourceMark, pluginsDir: String
    ) -> PolicySettings {
        var settings = PolicySettings(
            name: name, pluginFile: Paths.resolve("\(name).so", against: pluginsDir), sha256: nil,
            onError: .failClosed, timeoutMs: 200, configJSON: "{}", line: mark.line, column: mark.column)
        // `name:` with nothing after it means "this policy, default settings".
        guard !node.isNull,
            let reader = mapping(node, path, expected: "a mapping of settings for policy '\(name)'", keys: nil)
        else { return settings }
        // `plugin:` left empty means default plugin settings, like an empty policy entry.
        if let plugin = reader.value("plugin"), !plugin.isNull {
            decodePlugin(plugin, reader.path("plugin"), into: &settings, pluginsDir: pluginsDir)
        }
        // Everything but the host-reserved `plugin` key belongs to the plugin, untouched apart from the check that
        // it can be expressed as JSON.
        let own = reader.entries.filter { $0.key.scalarText != "plugin" }
        for entry in own {
            rejectNonFiniteNumbers(entry.value, reader.path(entry.key.scalarText ?? ""))
        }
        settings.configJSON = canonicalJSON(YAMLNode(.mapping(own), mark: node.mark))
        return settings
    }

    private func decodePlugin(_ node: YAMLNode, _ path: String, into settings: inout PolicySettings, pluginsDir: String)
    {
        guard
            let reader = mapping(
                node, path, expected: "a mapping of plugin settings (file, sha256, on_error, timeout_ms)",
                keys: Self.pluginKeys)
        else { return }
        if let value = reader.value("file"),
            let file = string(value, reader.path("file"), expected: "a file path", nonEmpty: true)
        {
            settings.pluginFile = Paths.resolve(file, against: pluginsDir)
        }
        if let value = reader.value("sha256") {
            if let text = value.scalarText, Self.isSHA256Hex(text) {
                settings.sha256 = text
            } else {
                diagnostics.error(
                    value, reader.path("sha256"),
                    "expected 64 lowercase hexadecimal characters (a SHA-256 digest), got \(describe(value))")
            }
        }
        if let value = reader.value("on_error"), let mode: FailMode = choice(value, reader.path("on_error")) {
            settings.onError = mode
        }
        if let value = reader.value("timeout_ms"),
            let timeout = integer(value, reader.path("timeout_ms"), in: 1...60_000)
        {
            settings.timeoutMs = timeout
        }
    }

    package static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { ConfigText.isDigit($0) || (0x61...0x66).contains($0) }
    }

    /// JSON cannot spell `.inf` or `.nan`; refuse them rather than hand the plugin a silently changed value.
    private func rejectNonFiniteNumbers(_ node: YAMLNode, _ path: String) {
        switch node.content {
        case .mapping(let entries):
            for entry in entries {
                rejectNonFiniteNumbers(entry.value, ConfigKeyPath.child(path, entry.key.scalarText ?? ""))
            }
        case .sequence(let items):
            for (index, item) in items.enumerated() { rejectNonFiniteNumbers(item, ConfigKeyPath.index(path, index)) }
        case .scalar:
            if case .float(let value) = node.scalarValue, !value.isFinite {
                diagnostics.error(
                    node, path,
                    "expected a finite number (JSON cannot represent infinity or NaN), got \(describe(node))")
            }
        }
    }
}
