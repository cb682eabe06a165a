/// Decoding of already-validated JSON string literals (the parser guarantees well-formed escapes,
/// paired surrogates and valid UTF-8, so these functions do not re-check).
package enum JSONStringDecoding {
    /// Decodes the content between the quotes of a validated string literal into `output`, which must
    /// have room for `content.count` bytes (decoding never grows the text). Returns the bytes written.
    package static func decode(_ content: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>)
        -> Int
    {
        var read = 0
        var written = 0
        let count = content.count
        while read < count {
            let byte = content[read]
            guard byte == UInt8(ascii: "\\") else {
                output[written] = byte
                written += 1
                read += 1
                continue
            }
            let escaped = content[read + 1]
            read += 2
            let simple: UInt8
            switch escaped {
            case UInt8(ascii: "b"): simple = 0x08
            case UInt8(ascii: "f"): simple = 0x0C
            case UInt8(ascii: "n"): simple = 0x0A
            case UInt8(ascii: "r"): simple = 0x0D
            case UInt8(ascii: "t"): simple = 0x09
            case UInt8(ascii: "u"):
                var scalar = hexQuad(content, at: read)
                read += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = hexQuad(content, at: read + 2)
                    read += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                written += encodeUTF8(scalar, into: output, at: written)
                continue
            default: simple = escaped  // \" \\ \/
            }
            output[written] = simple
            written += 1
        }
        return written
    }

    /// The decoded text of the string literal spanning `literal` (quotes included) in `bytes`.
    package static func string(in bytes: [UInt8], literal: Range<Int>, hasEscapes: Bool) -> String {
        bytes.withUnsafeBufferPointer { buffer in
            let content = UnsafeBufferPointer(rebasing: buffer[(literal.lowerBound + 1)..<(literal.upperBound - 1)])
            guard hasEscapes else { return String(decoding: content, as: UTF8.self) }
            return String(unsafeUninitializedCapacity: content.count) { output in decode(content, into: output) }
        }
    }

    /// True when the decoded literal equals `expected` byte for byte (code points, not Unicode
    /// canonical equivalence, which is how JSON keys compare).
    package static func literal(
        in bytes: UnsafeBufferPointer<UInt8>, _ literal: Range<Int>, hasEscapes: Bool,
        equals expected: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        let content = UnsafeBufferPointer(rebasing: bytes[(literal.lowerBound + 1)..<(literal.upperBound - 1)])
        if !hasEscapes {
            return content.count == expected.count && content.elementsEqual(expected)
        }
        // Escapes only shrink text, so a decoded value can only match a key no longer than the raw text.
        guard expected.count <= content.count else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: content.count) { output in
            let length = decode(content, into: output)
            return length == expected.count && UnsafeBufferPointer(rebasing: output[0..<length]).elementsEqual(expected)
        }
    }

    private static func hexQuad(_ content: UnsafeBufferPointer<UInt8>, at index: Int) -> UInt32 {
        var value: UInt32 = 0
        for offset in 0..<4 {
            value = value << 4 | UInt32(hexDigitValue(content[index + offset]) ?? 0)
        }
        return value
    }

    private static func encodeUTF8(
        _ scalar: UInt32, into output: UnsafeMutableBufferPointer<UInt8>, at index: Int
    ) -> Int {
        switch scalar {
        case 0..<0x80:
            output[index] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            output[index] = UInt8(0xC0 | scalar >> 6)
            output[index + 1] = UInt8(0x80 | scalar & 0x3F)
            return 2
        case 0x800..<0x10000:
            output[index] = UInt8(0xE0 | scalar >> 12)
            output[index + 1] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[index + 2] = UInt8(0x80 | scalar & 0x3F)
            return 3
        default:
            output[index] = UInt8(0xF0 | scalar >> 18)
            output[index + 1] = UInt8(0x80 | scalar >> 12 & 0x3F)
            output[index + 2] = UInt8(0x80 | scalar >> 6 & 0x3F)
            output[index + 3] = UInt8(0x80 | scalar & 0x3F)
            return 4
        }
    }
}
