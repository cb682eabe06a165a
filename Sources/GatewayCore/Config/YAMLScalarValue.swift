import GatewayWire

/// The typed value of a scalar under the YAML 1.2 core schema.
package enum YAMLScalarValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
}

extension YAMLNode {
    /// The core-schema value of a scalar, or nil for collections. Quoted, block and `!!str`-tagged scalars are
    /// always strings; only untagged plain scalars are resolved (so `yes`, `on`, `0777` stay YAML 1.2 strings/ints).
    package var scalarValue: YAMLScalarValue? {
        guard case .scalar(let text, _) = content else { return nil }
        return isPlainScalar ? YAMLCoreSchema.resolve(plain: text) : .string(text)
    }

    /// True for a plain `null`, `~` or empty scalar.
    package var isNull: Bool { scalarValue == .null }
}

/// YAML 1.2 core schema (spec §10.3.2) resolution of plain scalars.
package enum YAMLCoreSchema {
    package static func resolve(plain text: String) -> YAMLScalarValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        let bytes = Array(text.utf8)
        if let value = resolveInteger(bytes, text: text) { return value }
        if isCoreFloat(bytes), let value = Double(text) { return .float(value) }
        return .string(text)
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. A decimal that overflows Int becomes a float (JSON has no
    /// integer limit, but Swift does); an overflowing octal/hex literal stays a string rather than lose digits.
    private static func resolveInteger(_ bytes: [UInt8], text: String) -> YAMLScalarValue? {
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
            let digits = String(decoding: bytes[2...], as: UTF8.self)
            if bytes[1] == UInt8(ascii: "o"), bytes[2...].allSatisfy({ (0x30...0x37).contains($0) }) {
                return Int(digits, radix: 8).map(YAMLScalarValue.int) ?? .string(text)
            }
            if bytes[1] == UInt8(ascii: "x"), bytes[2...].allSatisfy(isHexDigit) {
                return Int(digits, radix: 16).map(YAMLScalarValue.int) ?? .string(text)
            }
        }
        let unsigned =
            bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: "+") ? bytes.dropFirst() : bytes[...]
        guard !unsigned.isEmpty, unsigned.allSatisfy(ConfigText.isDigit) else { return nil }
        if let value = Int(text) { return .int(value) }
        return Double(text).map(YAMLScalarValue.float)
    }

    /// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
    private static func isCoreFloat(_ bytes: [UInt8]) -> Bool {
        var index = 0
        func skipDigits() -> Int {
            let start = index
            while index < bytes.count, ConfigText.isDigit(bytes[index]) { index += 1 }
            return index - start
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
        let integerDigits = skipDigits()
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            let fractionDigits = skipDigits()
            if integerDigits == 0 && fractionDigits == 0 { return false }
        } else if integerDigits == 0 {
            return false
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                index += 1
            }
            if skipDigits() == 0 { return false }
        }
        return index == bytes.count
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        ConfigText.isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte)
    }
}
