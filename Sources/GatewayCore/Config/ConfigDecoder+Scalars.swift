import GatewayWire

/// Typed readers for scalar fields. Each returns nil after reporting "expected X, got Y" at the value.
extension ConfigDecoder {
    /// Any non-null scalar, as written: a plain `123` in a string field is the string "123".
    package func string(_ node: YAMLNode, _ path: String, expected: String = "a string", nonEmpty: Bool = false)
        -> String?
    {
        guard let text = node.scalarText, !node.isNull, !(nonEmpty && text.isEmpty) else {
            diagnostics.error(node, path, "expected \(expected), got \(describe(node))")
            return nil
        }
        return text
    }

    /// Only the YAML 1.2 booleans. `yes`/`no`/`on`/`off` are YAML 1.1 booleans but plain strings in 1.2, so they
    /// are rejected with the 1.2 spelling as the suggestion rather than silently read either way.
    package func bool(_ node: YAMLNode, _ path: String) -> Bool? {
        if case .bool(let value) = node.scalarValue { return value }
        let suggestion: String? =
            switch node.scalarText?.lowercased() {
            case "yes", "y", "on", "true": "true"
            case "no", "n", "off", "false": "false"
            default: nil
            }
        diagnostics.error(node, path, "expected true or false, got \(describe(node))", suggestion: suggestion)
        return nil
    }

    /// A plain integer within `range`; floats such as `1.5` or `1e3` are rejected.
    package func integer(_ node: YAMLNode, _ path: String, in range: ClosedRange<Int>) -> Int? {
        if case .int(let value) = node.scalarValue, range.contains(value) { return value }
        let expected =
            switch (range.lowerBound, range.upperBound) {
            case (1, Int.max): "an integer greater than 0"
            case (let low, Int.max): "an integer greater than or equal to \(low)"
            case (let low, let high): "an integer from \(low) to \(high)"
            }
        diagnostics.error(node, path, "expected \(expected), got \(describe(node))")
        return nil
    }

    /// A finite plain number (int or float) that is > 0, or >= 0 when `allowZero`.
    package func number(_ node: YAMLNode, _ path: String, allowZero: Bool = false) -> Double? {
        let value: Double? =
            switch node.scalarValue {
            case .int(let int): Double(int)
            case .float(let float) where float.isFinite: float
            default: nil
            }
        if let value, allowZero ? value >= 0 : value > 0 { return value }
        let expected = allowZero ? "a number greater than or equal to 0" : "a number greater than 0"
        diagnostics.error(node, path, "expected \(expected), got \(describe(node))")
        return nil
    }

    /// One of an enum's raw values, with a did-you-mean for near misses.
    package func choice<Value: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: String) -> Value?
    where Value.RawValue == String {
        let names = Value.allCases.map(\.rawValue)
        if let text = node.scalarText, !node.isNull, let value = Value(rawValue: text) { return value }
        let expected = names.dropLast().joined(separator: ", ") + " or " + names.last!
        let suggestion = node.scalarText.flatMap { DidYouMean.closest(to: $0, among: names) }
        diagnostics.error(node, path, "expected \(expected), got \(describe(node))", suggestion: suggestion)
        return nil
    }
}
