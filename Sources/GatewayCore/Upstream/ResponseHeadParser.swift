import GatewayWire

/// Rebuilds the response head from curl's header callback, which hands over one raw line at a time: every status
/// line of the exchange (interim 1xx included), the header lines, the blank line ending each block, and later any
/// trailers. A status line starts a new head, so only the final block survives.
package struct ResponseHeadParser {
    private(set) var status: Int?
    private var headers: [(name: String, value: String)] = []
    /// Set once the final head was returned; later lines (trailers) are ignored.
    private(set) var isComplete = false

    /// Feeds one line (with or without its CRLF). Returns the head when `line` completes the final block.
    /// Works on the bytes in place (one call per header line on the curl thread, so no copies of the line
    /// and no Character-level String work).
    package mutating func consume<Line: BidirectionalCollection<UInt8>>(_ line: Line) -> ResponseHead?
    where Line.Index == Int {
        if isComplete { return nil }
        var end = line.endIndex
        while end > line.startIndex, line[end - 1] == UInt8(ascii: "\n") || line[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        let bytes = line[line.startIndex..<end]
        if bytes.isEmpty {
            // End of a block. Interim responses (100 Continue, 103 Early Hints) are followed by another block.
            guard let status, status >= 200 else { return nil }
            isComplete = true
            return ResponseHead(status: status, headers: headers)
        }
        if bytes.starts(with: "HTTP/".utf8) {
            status = Self.statusCode(of: bytes)
            headers = []
            return nil
        }
        let first = bytes[bytes.startIndex]
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            // Obsolete line folding: the line continues the previous header's value.
            if let last = headers.indices.last {
                headers[last].value += " " + Self.trimmedString(bytes)
            }
            return nil
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > bytes.startIndex else { return nil }
        headers.append((name: Self.trimmedString(bytes[..<colon]), value: Self.trimmedString(bytes[(colon + 1)...])))
        return nil
    }

    /// "HTTP/1.1 200 OK" or "HTTP/2 200" → 200.
    private static func statusCode<Bytes: Collection<UInt8>>(of line: Bytes) -> Int? {
        let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: true)
        guard fields.count >= 2, !fields[1].isEmpty, fields[1].count <= 3 else { return nil }
        var code = 0
        for byte in fields[1] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return code
    }

    /// The bytes without surrounding spaces and tabs, as a String.
    private static func trimmedString<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> String {
        var lower = bytes.startIndex
        var upper = bytes.endIndex
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        while lower < upper, isBlank(bytes[lower]) { lower = bytes.index(after: lower) }
        while upper > lower, isBlank(bytes[bytes.index(before: upper)]) { upper = bytes.index(before: upper) }
        return String(decoding: bytes[lower..<upper], as: UTF8.self)
    }
}
