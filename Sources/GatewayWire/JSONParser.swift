/// Single-pass strict RFC 8259 parser filling a pre-order node table (see ``JSONDocument``).
///
/// Recursive descent: recursion depth is bounded by `JSONDocument.maxDepth`, so the stack stays small.
/// Strings are validated (escapes, surrogate pairs, UTF-8, control characters) but not decoded; decoding
/// happens lazily when a value is read.
package struct JSONParser {
    package let input: UnsafeBufferPointer<UInt8>
    package var position = 0
    package var nodes: [JSONNodeRecord] = []

    package init(input: UnsafeBufferPointer<UInt8>) {
        self.input = input
        // Roughly one value per 12 bytes of typical API JSON; growth handles the rest.
        nodes.reserveCapacity(input.count / 12 + 4)
    }

    package mutating func parseDocument() throws(JSONParseError) {
        skipWhitespace()
        try parseValue(depth: 0)
        skipWhitespace()
        if position < input.count {
            throw JSONParseError(
                offset: position,
                message:
                    "unexpected \(describeByte(input[position])) at byte \(position) after the end of the JSON value")
        }
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(JSONParseError) {
        guard position < input.count else { throw unexpected(at: position) }
        switch input[position] {
        case UInt8(ascii: "{"): try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): try parseString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
        case UInt8(ascii: "t"): try parseLiteral("true", flags: JSONNodeRecord.boolIsTrue, kind: .bool)
        case UInt8(ascii: "f"): try parseLiteral("false", flags: 0, kind: .bool)
        case UInt8(ascii: "n"): try parseLiteral("null", flags: 0, kind: .null)
        default: throw unexpected(at: position)
        }
    }

    private mutating func beginContainer(_ kind: JSONKind, depth: Int) throws(JSONParseError) -> Int {
        if depth > JSONDocument.maxDepth {
            throw JSONParseError(
                offset: position, message: "nesting deeper than \(JSONDocument.maxDepth) at byte \(position)")
        }
        nodes.append(
            JSONNodeRecord(
                start: UInt32(truncatingIfNeeded: position), end: 0, subtreeEnd: 0, count: 0, kind: kind, flags: 0))
        position += 1
        skipWhitespace()
        return nodes.count - 1
    }

    private mutating func endContainer(_ nodeIndex: Int, count: UInt32) {
        nodes[nodeIndex].end = UInt32(truncatingIfNeeded: position)
        nodes[nodeIndex].subtreeEnd = UInt32(truncatingIfNeeded: nodes.count)
        nodes[nodeIndex].count = count
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) {
        let nodeIndex = try beginContainer(.object, depth: depth)
        var count: UInt32 = 0
        if position < input.count, input[position] == UInt8(ascii: "}") {
            position += 1
            endContainer(nodeIndex, count: 0)
            return
        }
        while true {
            guard position < input.count, input[position] == UInt8(ascii: "\"") else {
                throw unexpected(at: position)
            }
            try parseString()
            skipWhitespace()
            guard position < input.count, input[position] == UInt8(ascii: ":") else {
                throw unexpected(at: position)
            }
            position += 1
            skipWhitespace()
            try parseValue(depth: depth)
            count += 1
            skipWhitespace()
            guard position < input.count else { throw unexpected(at: position) }
            switch input[position] {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                position += 1
                endContainer(nodeIndex, count: count)
                return
            default:
                throw unexpected(at: position)
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) {
        let nodeIndex = try beginContainer(.array, depth: depth)
        var count: UInt32 = 0
        if position < input.count, input[position] == UInt8(ascii: "]") {
            position += 1
            endContainer(nodeIndex, count: 0)
            return
        }
        while true {
            try parseValue(depth: depth)
            count += 1
            skipWhitespace()
            guard position < input.count else { throw unexpected(at: position) }
            switch input[position] {
            case UInt8(ascii: ","):
                position += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                position += 1
                endContainer(nodeIndex, count: count)
                return
            default:
                throw unexpected(at: position)
            }
        }
    }

    private mutating func parseLiteral(_ literal: StaticString, flags: UInt8, kind: JSONKind) throws(JSONParseError) {
        let start = position
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for byte in expected {
            guard position < input.count, input[position] == byte else { throw unexpected(at: position) }
            position += 1
        }
        appendScalar(kind, start: start, flags: flags)
    }

    private mutating func appendScalar(_ kind: JSONKind, start: Int, flags: UInt8) {
        nodes.append(
            JSONNodeRecord(
                start: UInt32(truncatingIfNeeded: start), end: UInt32(truncatingIfNeeded: position),
                subtreeEnd: UInt32(truncatingIfNeeded: nodes.count + 1), count: 0, kind: kind, flags: flags))
    }

    // MARK: - Numbers

    private mutating func parseNumber() throws(JSONParseError) {
        let start = position
        var flags: UInt8 = 0
        if input[position] == UInt8(ascii: "-") { position += 1 }
        guard position < input.count, isDigit(input[position]) else {
            throw unexpected(at: position, expecting: "a digit")
        }
        if input[position] == UInt8(ascii: "0") {
            position += 1
            if position < input.count, isDigit(input[position]) {
                throw JSONParseError(offset: start, message: "leading zero in number at byte \(start)")
            }
        } else {
            skipDigits()
        }
        if position < input.count, input[position] == UInt8(ascii: ".") {
            flags = JSONNodeRecord.numberIsNotIntegerSyntax
            position += 1
            guard position < input.count, isDigit(input[position]) else {
                throw unexpected(at: position, expecting: "a digit after the decimal point")
            }
            skipDigits()
        }
        if position < input.count, input[position] | 0x20 == UInt8(ascii: "e") {
            flags = JSONNodeRecord.numberIsNotIntegerSyntax
            position += 1
            if position < input.count, input[position] == UInt8(ascii: "+") || input[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < input.count, isDigit(input[position]) else {
                throw unexpected(at: position, expecting: "a digit in the exponent")
            }
            skipDigits()
        }
        appendScalar(.number, start: start, flags: flags)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    private mutating func skipDigits() {
        while position < input.count, isDigit(input[position]) { position += 1 }
    }

    // MARK: - Strings

    private mutating func parseString() throws(JSONParseError) {
        let start = position
        var index = position + 1
        var flags: UInt8 = 0
        let count = input.count
        while true {
            guard index < count else {
                throw JSONParseError(offset: start, message: "unterminated string starting at byte \(start)")
            }
            let byte = input[index]
            if byte >= 0x20 && byte < 0x80 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                index += 1
            } else if byte == UInt8(ascii: "\"") {
                break
            } else if byte == UInt8(ascii: "\\") {
                flags = JSONNodeRecord.stringHasEscapes
                index = try validateEscape(at: index, stringStart: start)
            } else if byte < 0x20 {
                throw JSONParseError(
                    offset: index, message: "control character \(hexByte(byte)) in string at byte \(index)")
            } else {
                index = try validateUTF8Sequence(at: index)
            }
        }
        position = index + 1
        appendScalar(.string, start: start, flags: flags)
    }

    /// Validates the escape starting with the backslash at `index`; returns the index after it.
    private func validateEscape(at index: Int, stringStart: Int) throws(JSONParseError) -> Int {
        guard index + 1 < input.count else {
            throw JSONParseError(offset: stringStart, message: "unterminated string starting at byte \(stringStart)")
        }
        switch input[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index + 2
        case UInt8(ascii: "u"):
            let unit = try hexQuad(at: index + 2, escapeAt: index)
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate is only valid as the first half of a \uXXXX\uXXXX pair.
                guard index + 7 < input.count, input[index + 6] == UInt8(ascii: "\\"),
                    input[index + 7] == UInt8(ascii: "u")
                else {
                    throw JSONParseError(offset: index, message: "lone surrogate in \\u escape at byte \(index)")
                }
                let low = try hexQuad(at: index + 8, escapeAt: index + 6)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw JSONParseError(offset: index, message: "lone surrogate in \\u escape at byte \(index)")
                }
                return index + 12
            case 0xDC00...0xDFFF:
                throw JSONParseError(offset: index, message: "lone surrogate in \\u escape at byte \(index)")
            default:
                return index + 6
            }
        default:
            throw JSONParseError(
                offset: index, message: "invalid escape \(describeByte(input[index + 1])) at byte \(index)")
        }
    }

    private func hexQuad(at index: Int, escapeAt: Int) throws(JSONParseError) -> UInt32 {
        guard index + 4 <= input.count else {
            throw JSONParseError(offset: escapeAt, message: "invalid \\u escape at byte \(escapeAt)")
        }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = hexDigitValue(input[index + offset]) else {
                throw JSONParseError(offset: escapeAt, message: "invalid \\u escape at byte \(escapeAt)")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (Unicode 15, table 3-7: no overlongs, no surrogates, at
    /// most U+10FFFF) starting at `index`; returns the index after it.
    private func validateUTF8Sequence(at index: Int) throws(JSONParseError) -> Int {
        let lead = input[index]
        let length: Int
        var secondLow: UInt8 = 0x80
        var secondHigh: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondLow = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondHigh = 0x9F
        case 0xF0: length = 4; secondLow = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondHigh = 0x8F
        default: throw invalidUTF8(at: index)
        }
        guard index + length <= input.count else { throw invalidUTF8(at: index) }
        let second = input[index + 1]
        guard second >= secondLow && second <= secondHigh else { throw invalidUTF8(at: index) }
        for offset in 2..<length where input[index + offset] & 0xC0 != 0x80 {
            throw invalidUTF8(at: index)
        }
        return index + length
    }

    private func invalidUTF8(at index: Int) -> JSONParseError {
        JSONParseError(offset: index, message: "invalid UTF-8 in string at byte \(index)")
    }

    // MARK: - Whitespace and errors

    private mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): position += 1
            default: return
            }
        }
    }

    private func unexpected(at offset: Int, expecting expected: String? = nil) -> JSONParseError {
        let suffix = expected.map { ", expected \($0)" } ?? ""
        guard offset < input.count else {
            return JSONParseError(offset: offset, message: "unexpected end of input at byte \(offset)\(suffix)")
        }
        return JSONParseError(
            offset: offset, message: "unexpected \(describeByte(input[offset])) at byte \(offset)\(suffix)")
    }

    private func describeByte(_ byte: UInt8) -> String {
        if byte > 0x20 && byte < 0x7F {
            return "character '\(Character(Unicode.Scalar(byte)))'"
        }
        return "byte \(hexByte(byte))"
    }

    private func hexByte(_ byte: UInt8) -> String {
        let digits: StaticString = "0123456789ABCDEF"
        let high = digits.utf8Start[Int(byte >> 4)]
        let low = digits.utf8Start[Int(byte & 0x0F)]
        return "0x" + String(decoding: [high, low], as: UTF8.self)
    }
}

/// The value of an ASCII hex digit, or nil.
package func hexDigitValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
