/// Rebuilds the response head from curl's header callback, which hands over one raw line at a time: every status
/// line of the exchange (interim 1xx included), the header lines, the blank line ending each block, and later any
/// trailers. A status line starts a new head, so only the final block survives.
struct ResponseHeadParser {
    private(set) var status: Int?
    private var headers: [(name: String, value: String)] = []
    /// Set once the final head was returned; later lines (trailers) are ignored.
    private(set) var isComplete = false

    /// Feeds one line (with or without its CRLF). Returns the head when `line` completes the final block.
    mutating func consume<Line: Collection<UInt8>>(_ line: Line) -> ResponseHead? {
        if isComplete { return nil }
        var bytes = Array(line)
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        if bytes.isEmpty {
            // End of a block. Interim responses (100 Continue, 103 Early Hints) are followed by another block.
            guard let status, status >= 200 else { return nil }
            isComplete = true
            return ResponseHead(status: status, headers: headers)
        }
        if bytes.starts(with: Array("HTTP/".utf8)) {
            status = Self.statusCode(of: bytes)
            headers = []
            return nil
        }
        if bytes[0] == UInt8(ascii: " ") || bytes[0] == UInt8(ascii: "\t") {
            // Obsolete line folding: the line continues the previous header's value.
            if let last = headers.indices.last {
                headers[last].value += " " + Self.trimmed(String(decoding: bytes, as: UTF8.self))
            }
            return nil
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return nil }
        let name = Self.trimmed(String(decoding: bytes[..<colon], as: UTF8.self))
        let value = Self.trimmed(String(decoding: bytes[(colon + 1)...], as: UTF8.self))
        headers.append((name: name, value: value))
        return nil
    }

    /// "HTTP/1.1 200 OK" or "HTTP/2 200" → 200.
    private static func statusCode(of line: [UInt8]) -> Int? {
        let fields = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
        guard fields.count >= 2 else { return nil }
        return Int(String(decoding: fields[1], as: UTF8.self))
    }

    private static func trimmed(_ s: String) -> String {
        var sub = Substring(s)
        while let c = sub.first, c == " " || c == "\t" { sub.removeFirst() }
        while let c = sub.last, c == " " || c == "\t" { sub.removeLast() }
        return String(sub)
    }
}
