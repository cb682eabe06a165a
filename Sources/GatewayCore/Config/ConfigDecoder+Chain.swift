import GatewayWire

/// `policies: {chain: [names]}`.
extension ConfigDecoder {
    /// The chain as decoded, with where each name was written. `isValid` is false when `policies.chain` itself
    /// is missing or not a list: then cross-checks against the chain would only produce noise.
    package struct Chain {
        package var entries: [(name: String, mark: SourceMark)] = []
        package var isValid = false
    }

    package func decodeChain(_ node: YAMLNode?) -> Chain {
        var chain = Chain()
        guard let node, let reader = mapping(node, "policies", expected: "a mapping with chain", keys: ["chain"]),
            let list = reader.required("chain", diagnostics)
        else { return chain }
        let path = reader.path("chain")
        guard let items = list.sequenceItems else {
            diagnostics.error(list, path, "expected a list of policy names, got \(describe(list))")
            return chain
        }
        chain.isValid = true
        var firstSeen: [String: SourceMark] = [:]
        for (index, item) in items.enumerated() {
            let itemPath = ConfigKeyPath.index(path, index)
            guard let name = policyName(item, itemPath) else { continue }
            if let first = firstSeen[name] {
                diagnostics.error(
                    item, itemPath,
                    "policy '\(name)' is already in the chain (line \(first.line), column \(first.column));"
                        + " each policy may appear only once")
                continue
            }
            firstSeen[name] = item.mark
            chain.entries.append((name, item.mark))
        }
        return chain
    }

    /// `[a-z0-9][a-z0-9-]*`: the name doubles as the default plugin file name, so it must be file-system safe.
    private func policyName(_ node: YAMLNode, _ path: String) -> String? {
        if let text = node.scalarText, !node.isNull, Self.isPolicyName(text) { return text }
        // The usual slip is PascalCase or snake_case: offer the kebab-case spelling when that is valid.
        let kebab = node.scalarText.map { String($0.lowercased().map { $0 == "_" ? "-" : $0 }) }
        diagnostics.error(
            node, path,
            "expected a policy name of lowercase letters, digits and '-' starting with a letter or digit,"
                + " got \(describe(node))",
            suggestion: kebab.flatMap { Self.isPolicyName($0) && $0 != node.scalarText ? $0 : nil })
        return nil
    }

    package static func isPolicyName(_ text: String) -> Bool {
        func allowed(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || ConfigText.isDigit(byte) }
        guard let first = text.utf8.first, allowed(first) else { return false }
        return text.utf8.allSatisfy { allowed($0) || $0 == UInt8(ascii: "-") }
    }
}
