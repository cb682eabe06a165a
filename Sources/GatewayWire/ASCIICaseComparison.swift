extension String {
    /// Compares two strings byte by byte, ignoring the case of ASCII letters only (HTTP header names are
    /// ASCII and case-insensitive). No lowercased copies, unlike `lowercased() ==`.
    package func equalsIgnoringASCIICase(_ other: String) -> Bool {
        var lhs = utf8.makeIterator()
        var rhs = other.utf8.makeIterator()
        while true {
            switch (lhs.next(), rhs.next()) {
            case (nil, nil): return true
            case (let a?, let b?):
                if a != b && Self.asciiLower(a) != Self.asciiLower(b) { return false }
            default: return false
            }
        }
    }

    private static func asciiLower(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}
