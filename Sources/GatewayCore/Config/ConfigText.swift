import GatewayWire

/// ASCII character classes for config values. Config syntax (names, ports, versions, header tokens) is ASCII
/// by definition; `Character.isNumber` and friends would also accept digits and letters from other scripts.
package enum ConfigText {
    package static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    package static func isLetterOrDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    package static func isDigit(_ character: Character) -> Bool {
        character.asciiValue.map(isDigit) ?? false
    }

    package static func isLetterOrDigit(_ character: Character) -> Bool {
        character.asciiValue.map(isLetterOrDigit) ?? false
    }
}
