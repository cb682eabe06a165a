import GatewayWire

/// `pack: {name, version, enabled, description}`.
extension ConfigDecoder {
    package func decodePack(_ node: YAMLNode?) -> PackConfig {
        var pack = PackConfig(name: "", version: "", enabled: true, description: nil)
        guard let node,
            let reader = mapping(
                node, "pack", expected: "a mapping with name and version",
                keys: ["name", "version", "enabled", "description"])
        else { return pack }
        if let value = reader.required("name", diagnostics) {
            pack.name = string(value, reader.path("name"), expected: "a non-empty string", nonEmpty: true) ?? ""
        }
        if let value = reader.required("version", diagnostics) {
            pack.version = version(value, reader.path("version")) ?? ""
        }
        if let value = reader.value("enabled") {
            pack.enabled = bool(value, reader.path("enabled")) ?? true
        }
        if let value = reader.value("description") {
            pack.description = string(value, reader.path("description"))
        }
        return pack
    }

    /// Semver-ish: `MAJOR.MINOR.PATCH` with an optional `-pre-release` and/or `+build` suffix.
    private func version(_ node: YAMLNode, _ path: String) -> String? {
        if let text = node.scalarText, Self.isSemverish(text) { return text }
        diagnostics.error(node, path, "expected a version like 1.2.3, got \(describe(node))")
        return nil
    }

    package static func isSemverish(_ text: String) -> Bool {
        let core = text.prefix { $0 != "-" && $0 != "+" }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(ConfigText.isDigit) }) else {
            return false
        }
        let suffix = text.dropFirst(core.count)
        return suffix.isEmpty
            || (suffix.count > 1
                && suffix.dropFirst().allSatisfy { ConfigText.isLetterOrDigit($0) || "-.+".contains($0) })
    }
}
