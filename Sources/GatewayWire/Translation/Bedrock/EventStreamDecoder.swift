/// Decoder of AWS's binary event-stream framing (`application/vnd.amazon.eventstream`), in which Bedrock's
/// ConverseStream answers. Each message is
///
///     [total length: u32 BE][headers length: u32 BE][prelude CRC32: u32 BE]
///     [headers][payload][message CRC32: u32 BE]
///
/// where the prelude CRC covers the first 8 bytes and the message CRC every byte before it. A header is
/// `[name length: u8][name][type: u8][value]`, the value's size set by its type (``EventStreamHeaderValue``).
///
/// Bytes may arrive split anywhere: `feed` keeps an incomplete message until its last byte arrives. Both
/// CRCs are verified (a corrupted or misaligned stream must fail, not be read as other events), and a
/// message longer than `maxMessageLength` (16 MiB) is refused as soon as its prelude is read, before it is
/// buffered. After an error the decoder stays failed.
///
/// The CRC32 (IEEE 802.3, zlib's `crc32`) is a parameter: this module has no checksum code of its own, the
/// gateway passes zlib's.
///
/// Usage:
/// ```swift
/// var decoder = EventStreamDecoder(crc32: { bytes in zlibCRC32(bytes) })
/// for message in try decoder.feed(chunk) {
///     if message.stringHeader(":message-type") == "event" { handle(message.stringHeader(":event-type"), message.payload) }
/// }
/// ```
package struct EventStreamDecoder: Sendable {
    /// The largest message accepted (prelude, headers, payload and CRC included).
    package static let defaultMaxMessageLength = 16 * 1024 * 1024
    /// Prelude (12 bytes) + message CRC (4 bytes): the size of a message without headers or payload.
    private static let overhead = 16

    private let crc32: @Sendable ([UInt8]) -> UInt32
    private let maxMessageLength: Int
    private var buffer: [UInt8] = []
    /// Where the next unread message starts in `buffer` (consumed bytes are dropped in batches).
    private var start = 0
    private var failure: EventStreamError?

    package init(crc32: @escaping @Sendable ([UInt8]) -> UInt32, maxMessageLength: Int = defaultMaxMessageLength) {
        self.crc32 = crc32
        self.maxMessageLength = maxMessageLength
    }

    /// Bytes received but not yet part of a whole message (nonzero at the end of a cut stream).
    package var bufferedByteCount: Int { buffer.count - start }

    /// The messages that `bytes` complete, in order.
    package mutating func feed(_ bytes: [UInt8]) throws(EventStreamError) -> [EventStreamMessage] {
        if let failure { throw failure }
        buffer.append(contentsOf: bytes)
        var messages: [EventStreamMessage] = []
        do throws(EventStreamError) {
            while let message = try nextMessage() { messages.append(message) }
        } catch {
            failure = error
            throw error
        }
        // Drop what was consumed once it is most of the buffer, so appends stay amortized O(1).
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return messages
    }

    private mutating func nextMessage() throws(EventStreamError) -> EventStreamMessage? {
        let available = buffer.count - start
        guard available >= 12 else { return nil }
        let totalLength = Int(readUInt32(start))
        let headersLength = Int(readUInt32(start + 4))
        let preludeCRC = readUInt32(start + 8)
        guard crc32(Array(buffer[start..<start + 8])) == preludeCRC else {
            throw EventStreamError("prelude CRC mismatch (a corrupted or misaligned event stream)")
        }
        guard totalLength <= maxMessageLength else {
            throw EventStreamError("a message of \(totalLength) bytes exceeds the \(maxMessageLength)-byte limit")
        }
        guard totalLength >= Self.overhead, headersLength <= totalLength - Self.overhead else {
            throw EventStreamError(
                "impossible lengths in a message prelude (total \(totalLength), headers \(headersLength))")
        }
        guard available >= totalLength else { return nil }
        let end = start + totalLength
        let messageCRC = readUInt32(end - 4)
        guard crc32(Array(buffer[start..<end - 4])) == messageCRC else {
            throw EventStreamError("message CRC mismatch (a corrupted event stream)")
        }
        let headersStart = start + 12
        let payloadStart = headersStart + headersLength
        let headers = try Self.parseHeaders(buffer[headersStart..<payloadStart])
        let message = EventStreamMessage(headers: headers, payload: Array(buffer[payloadStart..<end - 4]))
        start = end
        return message
    }

    private func readUInt32(_ offset: Int) -> UInt32 {
        buffer[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// The headers block → headers, in order. Every type is read to its exact size, so an unknown use of a
    /// known type never misaligns the rest; an unknown type or a value running past the block throws.
    static func parseHeaders(_ block: ArraySlice<UInt8>) throws(EventStreamError) -> [EventStreamHeader] {
        var headers: [EventStreamHeader] = []
        var index = block.startIndex
        func take(_ count: Int) throws(EventStreamError) -> ArraySlice<UInt8> {
            guard count <= block.endIndex - index else { throw EventStreamError("a header runs past its block") }
            defer { index += count }
            return block[index..<index + count]
        }
        func integer(_ count: Int) throws(EventStreamError) -> UInt64 {
            try take(count).reduce(0) { $0 << 8 | UInt64($1) }
        }
        while index < block.endIndex {
            let nameLength = Int(try integer(1))
            let name = String(decoding: try take(nameLength), as: UTF8.self)
            let type = try integer(1)
            let value: EventStreamHeaderValue
            switch type {
            case 0: value = .bool(true)
            case 1: value = .bool(false)
            case 2: value = .byte(Int8(truncatingIfNeeded: try integer(1)))
            case 3: value = .short(Int16(truncatingIfNeeded: try integer(2)))
            case 4: value = .integer(Int32(truncatingIfNeeded: try integer(4)))
            case 5: value = .long(Int64(bitPattern: try integer(8)))
            case 6: value = .byteArray(Array(try take(Int(try integer(2)))))
            case 7: value = .string(String(decoding: try take(Int(try integer(2))), as: UTF8.self))
            case 8: value = .timestamp(milliseconds: Int64(bitPattern: try integer(8)))
            case 9: value = .uuid(Array(try take(16)))
            default: throw EventStreamError("unknown header value type \(type) (header '\(name)')")
            }
            headers.append(EventStreamHeader(name: name, value: value))
        }
        return headers
    }
}

/// One decoded event-stream message.
///
/// Usage:
/// ```swift
/// message.stringHeader(":event-type")  // "contentBlockDelta"
/// try JSONDocument(parsing: message.payload)
/// ```
package struct EventStreamMessage: Sendable, Equatable {
    package var headers: [EventStreamHeader]
    package var payload: [UInt8]

    package init(headers: [EventStreamHeader], payload: [UInt8]) {
        self.headers = headers
        self.payload = payload
    }

    /// The value of the first header named `name`.
    package func header(_ name: String) -> EventStreamHeaderValue? {
        headers.first { $0.name == name }?.value
    }

    /// The value of the first header named `name` when it is a string.
    package func stringHeader(_ name: String) -> String? {
        if case .string(let text) = header(name) { return text }
        return nil
    }
}

/// A header of an event-stream message.
///
/// Usage: `EventStreamHeader(name: ":message-type", value: .string("event"))`
package struct EventStreamHeader: Sendable, Equatable {
    package var name: String
    package var value: EventStreamHeaderValue

    package init(name: String, value: EventStreamHeaderValue) {
        self.name = name
        self.value = value
    }
}

/// A header value; the comment gives its wire type code and encoding (integers big-endian).
///
/// Usage: `if case .string(let type) = message.header(":event-type") { ... }`
package enum EventStreamHeaderValue: Sendable, Equatable {
    /// 0 (true) and 1 (false): no value bytes.
    case bool(Bool)
    /// 2: 1 byte.
    case byte(Int8)
    /// 3: 2 bytes.
    case short(Int16)
    /// 4: 4 bytes.
    case integer(Int32)
    /// 5: 8 bytes.
    case long(Int64)
    /// 6: u16 length + bytes.
    case byteArray([UInt8])
    /// 7: u16 length + UTF-8 bytes.
    case string(String)
    /// 8: 8 bytes, milliseconds since 1970.
    case timestamp(milliseconds: Int64)
    /// 9: 16 bytes.
    case uuid([UInt8])
}

/// A malformed event stream.
///
/// Usage: `throw EventStreamError("message CRC mismatch")`
package struct EventStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) { self.message = message }

    package var description: String { message }
}
