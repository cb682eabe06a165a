import GatewayWire

/// Canonical JSON text of a YAML node: the form a policy plugin receives its config in.
///
/// Canonical means one spelling per value, so equal configs give byte-equal JSON (plugins and the host may hash
/// it): object keys sorted by their UTF-8 bytes, no whitespace, plain scalars typed by the YAML 1.2 core schema
/// (ints as ints, floats in Swift's shortest round-trip form, bools, null), quoted scalars as strings, strings
/// escaped per RFC 8259. Mapping keys are always JSON strings, spelt as written in the YAML.
/// JSON has no spelling for `.inf`/`.nan`; they come out as `null` here, and the config loader rejects them in
/// policy configs before this function is reached.
package func canonicalJSON(_ node: YAMLNode) -> String {
    var output = ""
    CanonicalJSONWriter.write(node, to: &output)
    return output
}

package enum CanonicalJSONWriter {
    package static func write(_ node: YAMLNode, to output: inout String) {
        switch node.content {
        case .mapping(let entries):
            let sorted = entries.map { (key: $0.key.scalarText ?? "", value: $0.value) }
                .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            output += "{"
            for (index, entry) in sorted.enumerated() {
                if index > 0 { output += "," }
                writeString(entry.key, to: &output)
                output += ":"
                write(entry.value, to: &output)
            }
            output += "}"
        case .sequence(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                write(item, to: &output)
            }
            output += "]"
        case .scalar:
            switch node.scalarValue ?? .null {
            case .null: output += "null"
            case .bool(let value): output += value ? "true" : "false"
            case .int(let value): output += String(value)
            case .float(let value): output += value.isFinite ? value.description : "null"
            case .string(let value): writeString(value, to: &output)
            }
        }
    }

    /// RFC 8259 §7: quote and backslash escaped, control characters as short forms or `\u00XX`, everything
    /// else (including non-ASCII) written as UTF-8.
    package static func writeString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16, uppercase: false)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
