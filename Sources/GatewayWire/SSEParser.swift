/// An SSE event grew past the parser's limit (a broken or hostile upstream); the stream must be cut.
package struct SSEParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The limit that was exceeded, in bytes.
    package var limit: Int
    package var message: String

    package var description: String { message }
}

/// Incremental `text/event-stream` parser (WHATWG HTML, "Interpreting an event stream"), as a value type
/// fed arbitrary chunks; it returns each event as soon as its closing blank line arrives.
///
/// - Lines end in \n, \r\n or \r. A \r that ends one chunk and a \n that starts the next are ONE line end.
/// - A leading UTF-8 byte order mark is skipped, even when split across chunks.
/// - `field: value` with one leading space of the value stripped; a line without ':' is a field with an
///   empty value; `data` lines join with "\n"; comments and unknown fields are kept (see ``SSEEvent``).
/// - Unlike a browser, every non-empty block is returned, including comment-only ones (`data == nil`), so
///   keep-alives can be forwarded.
///
/// Each event (its lines, terminators included) may be at most `maxEventBytes`; beyond that `feed`
/// throws and the parser stays failed. Work per chunk is one pass; a line is copied only when it spans
/// chunks.
package struct SSEParser: Sendable {
    package static let defaultMaxEventBytes = 8 << 20

    package let maxEventBytes: Int

    /// Start of a line that did not end in the last chunk.
    private var lineBuffer: [UInt8] = []
    /// The last chunk ended in \r: a \n starting the next chunk belongs to the same line end.
    private var skipLineFeed = false
    private var bomBytesMatched = 0
    private var checkingBOM = true
    private var pending = SSEEvent()
    private var pendingHasLines = false
    private var pendingBytes = 0
    private var failure: SSEParseError?

    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    package init(maxEventBytes: Int = SSEParser.defaultMaxEventBytes) {
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds a chunk; returns the events it completed, in order.
    package mutating func feed(_ chunk: [UInt8]) throws(SSEParseError) -> [SSEEvent] {
        var events: [SSEEvent] = []
        let failure: SSEParseError? = chunk.withUnsafeBytes { bytes in
            do throws(SSEParseError) {
                try feed(bytes, into: &events)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        return events
    }

    /// Feeds a chunk, appending the events it completed to `events` (which the caller may reuse).
    package mutating func feed(_ chunk: UnsafeRawBufferPointer, into events: inout [SSEEvent]) throws(SSEParseError) {
        if let failure { throw failure }
        let count = chunk.count
        var index = 0
        while checkingBOM && index < count {
            if chunk[index] == Self.byteOrderMark[bomBytesMatched] {
                bomBytesMatched += 1
                index += 1
                if bomBytesMatched == Self.byteOrderMark.count { checkingBOM = false }
            } else {
                endBOMCheck()
            }
        }
        if skipLineFeed && index < count {
            if chunk[index] == 0x0A { index += 1 }
            skipLineFeed = false
        }
        while index < count {
            var end = index
            while end < count && chunk[end] != 0x0A && chunk[end] != 0x0D { end += 1 }
            let fragment = UnsafeRawBufferPointer(rebasing: chunk[index..<end])
            let lineBytes = lineBuffer.count + fragment.count
            // The blank line closing an event is not counted, so an event of exactly the limit passes.
            if lineBytes > 0 { try checkSize(adding: lineBytes) }
            if end == count {
                lineBuffer.append(contentsOf: fragment)
                return
            }
            if lineBuffer.isEmpty {
                take(line: fragment, into: &events)
            } else {
                lineBuffer.append(contentsOf: fragment)
                takeBufferedLine(into: &events)
            }
            if chunk[end] == 0x0D {
                if end + 1 < count {
                    if chunk[end + 1] == 0x0A { end += 1 }
                } else {
                    skipLineFeed = true
                }
            }
            index = end + 1
        }
    }

    /// Ends the stream: returns the event that was still open (lines after the last blank line, including
    /// an unterminated last line), or nil when the stream ended cleanly between events. A non-nil result
    /// means the stream was cut mid-event. The parser is reset afterwards.
    package mutating func finish() -> SSEEvent? {
        defer { self = SSEParser(maxEventBytes: maxEventBytes) }
        if failure != nil { return nil }
        if checkingBOM { endBOMCheck() }
        var events: [SSEEvent] = []
        if !lineBuffer.isEmpty { takeBufferedLine(into: &events) }
        return pendingHasLines ? pending : nil
    }

    // MARK: - Lines

    /// A partial byte order mark that turned out not to be one is ordinary text.
    private mutating func endBOMCheck() {
        checkingBOM = false
        lineBuffer.append(contentsOf: Self.byteOrderMark[0..<bomBytesMatched])
    }

    private mutating func checkSize(adding lineBytes: Int) throws(SSEParseError) {
        guard pendingBytes + lineBytes + 1 > maxEventBytes else { return }
        let error = SSEParseError(limit: maxEventBytes, message: "SSE event larger than \(maxEventBytes) bytes")
        failure = error
        throw error
    }

    private mutating func takeBufferedLine(into events: inout [SSEEvent]) {
        // Swap the buffer out so `take` can mutate self while reading it, then keep its capacity.
        var line: [UInt8] = []
        swap(&line, &lineBuffer)
        line.withUnsafeBytes { take(line: $0, into: &events) }
        line.removeAll(keepingCapacity: true)
        swap(&line, &lineBuffer)
    }

    /// Applies one complete line (without its terminator) to the pending event.
    private mutating func take(line: UnsafeRawBufferPointer, into events: inout [SSEEvent]) {
        guard !line.isEmpty else {
            dispatch(into: &events)
            return
        }
        pendingHasLines = true
        pendingBytes += line.count + 1
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        if colon == 0 {
            pending.comments.append(String(decoding: Self.value(line, from: 1), as: UTF8.self))
            return
        }
        let name = UnsafeRawBufferPointer(rebasing: line[..<(colon ?? line.count)])
        let value = colon.map { Self.value(line, from: $0 + 1) } ?? UnsafeRawBufferPointer(rebasing: line[0..<0])
        if name.elementsEqual("data".utf8) {
            if pending.data == nil {
                pending.data = Array(value)
            } else {
                pending.data?.append(0x0A)
                pending.data?.append(contentsOf: value)
            }
        } else if name.elementsEqual("event".utf8) {
            pending.event = String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("id".utf8) {
            pending.id = String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("retry".utf8) {
            pending.retry = String(decoding: value, as: UTF8.self)
        } else {
            pending.otherFields.append(
                SSEField(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self)))
        }
    }

    /// The bytes after `start`, minus one leading space.
    private static func value(_ line: UnsafeRawBufferPointer, from start: Int) -> UnsafeRawBufferPointer {
        var start = start
        if start < line.count && line[start] == UInt8(ascii: " ") { start += 1 }
        return UnsafeRawBufferPointer(rebasing: line[start...])
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        guard pendingHasLines else { return }
        events.append(pending)
        pending = SSEEvent()
        pendingHasLines = false
        pendingBytes = 0
    }
}
