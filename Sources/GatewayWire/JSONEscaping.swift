/// JSON string escaping shared by the splicer and by every place the gateway writes JSON text
/// (error bodies, audit lines).
///
/// Escapes `"`, `\`, every control character below U+0020 (short forms \n \r \t \b \f where they exist,
/// else \u00XX) and U+2028 / U+2029 (valid in JSON but line terminators in JavaScript, so a client that
/// evals or embeds the text cannot be broken). Everything else, including non-ASCII, stays raw UTF-8.

/// `text` escaped for use between the quotes of a JSON string (the quotes are NOT added).
package func jsonEscaped(_ text: String) -> String {
    var text = text
    return text.withUTF8 { input in
        let extra = JSONEscaping.extraBytes(input)
        if extra == 0 { return String(decoding: input, as: UTF8.self) }
        return String(unsafeUninitializedCapacity: input.count + extra) { output in
            JSONEscaping.write(input, into: output)
        }
    }
}

/// `text` as a complete JSON string literal, quotes included.
package func jsonQuoted(_ text: String) -> String {
    "\"" + jsonEscaped(text) + "\""
}

/// Appends `text` as a JSON string literal (quotes included) to `output`.
package func appendJSONQuoted(_ text: String, to output: inout [UInt8]) {
    var text = text
    text.withUTF8 { input in
        let length = input.count + JSONEscaping.extraBytes(input) + 2
        output.append(UInt8(ascii: "\""))
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: length - 2))
        output.withUnsafeMutableBufferPointer { buffer in
            _ = JSONEscaping.write(input, into: UnsafeMutableBufferPointer(rebasing: buffer[start...]))
        }
        output.append(UInt8(ascii: "\""))
    }
}

package enum JSONEscaping {
    /// How many bytes escaping adds to `input` (0 when it can be copied as is).
    package static func extraBytes(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        var extra = 0
        var index = 0
        let count = input.count
        while index < count {
            let byte = input[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                extra += 1
            } else if byte < 0x20 {
                extra += shortEscape(byte) == nil ? 5 : 1
            } else if byte == 0xE2 && isLineOrParagraphSeparator(input, at: index) {
                extra += 3  // 3 UTF-8 bytes become the 6 bytes \u2028
                index += 2
            }
            index += 1
        }
        return extra
    }

    /// Writes the escaped form of `input` to `output` (sized by `extraBytes`); returns the bytes written.
    @discardableResult
    package static func write(_ input: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>)
        -> Int
    {
        let hex: StaticString = "0123456789abcdef"
        var written = 0
        var index = 0
        let count = input.count
        func put(_ byte: UInt8) {
            output[written] = byte
            written += 1
        }
        while index < count {
            let byte = input[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                put(UInt8(ascii: "\\"))
                put(byte)
            } else if byte < 0x20 {
                put(UInt8(ascii: "\\"))
                if let short = shortEscape(byte) {
                    put(short)
                } else {
                    put(UInt8(ascii: "u"))
                    put(UInt8(ascii: "0"))
                    put(UInt8(ascii: "0"))
                    put(hex.utf8Start[Int(byte >> 4)])
                    put(hex.utf8Start[Int(byte & 0x0F)])
                }
            } else if byte == 0xE2 && isLineOrParagraphSeparator(input, at: index) {
                let last: UInt8 = input[index + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9")
                put(UInt8(ascii: "\\"))
                put(UInt8(ascii: "u"))
                put(UInt8(ascii: "2"))
                put(UInt8(ascii: "0"))
                put(UInt8(ascii: "2"))
                put(last)
                index += 2
            } else {
                put(byte)
            }
            index += 1
        }
        return written
    }

    private static func shortEscape(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x08: UInt8(ascii: "b")
        case 0x09: UInt8(ascii: "t")
        case 0x0A: UInt8(ascii: "n")
        case 0x0C: UInt8(ascii: "f")
        case 0x0D: UInt8(ascii: "r")
        default: nil
        }
    }

    /// U+2028 is E2 80 A8 and U+2029 is E2 80 A9 in UTF-8.
    private static func isLineOrParagraphSeparator(_ input: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        index + 2 < input.count && input[index + 1] == 0x80 && (input[index + 2] == 0xA8 || input[index + 2] == 0xA9)
    }
}
