/// A field of an SSE event the gateway does not interpret, kept so it can be forwarded.
package struct SSEField: Sendable, Equatable {
    package var name: String
    package var value: String
}

/// One server-sent event, as parsed by ``SSEParser`` or built by the gateway.
///
/// Beyond the WHATWG fields it keeps what a proxy must forward: comment lines (keep-alives such as
/// `: ping`) and unknown fields. An event that is only comments (no `data` line) has `data == nil`;
/// a browser would not dispatch it, the gateway forwards it without showing it to policies.
package struct SSEEvent: Sendable, Equatable {
    /// The `event:` field (last one wins); nil when absent.
    package var event: String?
    /// The `data:` lines joined with "\n"; nil when the event had no data line. Raw bytes: forwarded as
    /// received, decoded only when a policy or the segment extractor needs text.
    package var data: [UInt8]?
    /// The `id:` field; nil when absent.
    package var id: String?
    /// The `retry:` field, uninterpreted; nil when absent.
    package var retry: String?
    /// Comment lines, without the leading ':' and one following space.
    package var comments: [String]
    /// Fields other than event / data / id / retry, in order.
    package var otherFields: [SSEField]

    package init(
        event: String? = nil, data: [UInt8]? = nil, id: String? = nil, retry: String? = nil,
        comments: [String] = [], otherFields: [SSEField] = []
    ) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
        self.comments = comments
        self.otherFields = otherFields
    }

    package init(
        event: String? = nil, data: String, id: String? = nil, retry: String? = nil,
        comments: [String] = [], otherFields: [SSEField] = []
    ) {
        self.init(
            event: event, data: Array(data.utf8), id: id, retry: retry, comments: comments, otherFields: otherFields)
    }

    /// The data as text (invalid UTF-8 repaired), or nil without a data line.
    package var dataString: String? { data.map { String(decoding: $0, as: UTF8.self) } }

    /// The event in canonical wire form, ending with the blank line that dispatches it.
    package func serialize() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((data?.count ?? 0) + 32)
        serialize(into: &output)
        return output
    }

    /// Appends the canonical wire form: comments (`: text`), `event:`, `id:`, `retry:`, other fields,
    /// one `data:` line per line of data, then a blank line. A data line break may be \n, \r\n or \r
    /// (a policy may have written any); line breaks inside single-line fields become spaces so they
    /// cannot end the event early.
    package func serialize(into output: inout [UInt8]) {
        for comment in comments { Self.appendLines(name: "", Array(comment.utf8), to: &output) }
        if let event { Self.appendField("event", event.utf8, to: &output) }
        if let id { Self.appendField("id", id.utf8, to: &output) }
        if let retry { Self.appendField("retry", retry.utf8, to: &output) }
        for field in otherFields { Self.appendField(field.name, field.value.utf8, to: &output) }
        if let data { Self.appendLines(name: "data", data, to: &output) }
        output.append(0x0A)
    }

    private static func appendField(_ name: String, _ value: String.UTF8View, to output: inout [UInt8]) {
        output.append(contentsOf: name.utf8)
        output.append(UInt8(ascii: ":"))
        if !value.isEmpty {
            output.append(UInt8(ascii: " "))
            for byte in value { output.append(byte == 0x0A || byte == 0x0D ? UInt8(ascii: " ") : byte) }
        }
        output.append(0x0A)
    }

    /// One `name: line` per line of `value` (split at \n, \r\n or \r); an empty name writes comments.
    private static func appendLines(name: String, _ value: [UInt8], to output: inout [UInt8]) {
        value.withUnsafeBufferPointer { bytes in
            var lineStart = 0
            var index = 0
            while index <= bytes.count {
                let atEnd = index == bytes.count
                if atEnd || bytes[index] == 0x0A || bytes[index] == 0x0D {
                    output.append(contentsOf: name.utf8)
                    output.append(UInt8(ascii: ":"))
                    if index > lineStart {
                        output.append(UInt8(ascii: " "))
                        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[lineStart..<index]))
                    }
                    output.append(0x0A)
                    if !atEnd && bytes[index] == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A {
                        index += 1
                    }
                    lineStart = index + 1
                }
                index += 1
            }
        }
    }
}
