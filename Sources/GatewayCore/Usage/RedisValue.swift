import CHiredis

/// One Redis reply, copied out of hiredis's `redisReply` tree into Swift values (so the C reply can be
/// freed at once and the value can cross threads).
///
/// Usage:
/// ```swift
/// let value = try connection.command(["MGET", "a", "b"])
/// if case .array(let items) = value { for item in items { print(item.double ?? 0) } }
/// ```
package enum RedisValue: Sendable, Equatable {
    case string(String)
    case status(String)
    case integer(Int64)
    case array([RedisValue])
    case null
    /// An error reply (`-ERR ...`, `-NOSCRIPT ...`): Redis answered, the connection is fine.
    case error(String)

    /// Copies the reply tree under `reply` (which the caller still frees with `freeReplyObject`).
    init(copying reply: UnsafePointer<redisReply>) {
        let r = reply.pointee
        func text() -> String {
            guard let str = r.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: str, count: Int(r.len)), as: UTF8.self)
        }
        switch r.type {
        case REDIS_REPLY_STRING: self = .string(text())
        case REDIS_REPLY_STATUS: self = .status(text())
        case REDIS_REPLY_ERROR: self = .error(text())
        case REDIS_REPLY_INTEGER: self = .integer(Int64(r.integer))
        case REDIS_REPLY_NIL: self = .null
        case REDIS_REPLY_ARRAY:
            var items: [RedisValue] = []
            items.reserveCapacity(Int(r.elements))
            if let elements = r.element {
                for index in 0..<Int(r.elements) {
                    if let element = elements[index] {
                        items.append(RedisValue(copying: element))
                    } else {
                        items.append(.null)
                    }
                }
            }
            self = .array(items)
        default:
            // RESP3 types (double, map, ...) do not exist in hiredis 0.14; a newer hiredis speaking RESP2
            // (the default) never produces them either.
            self = .error("unexpected reply type \(r.type)")
        }
    }

    /// The number in an integer, bulk string or status reply (`INCRBYFLOAT` and the scripts answer
    /// numbers as strings, `"%.17g"`), `nil` otherwise.
    package var double: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .string(let text), .status(let text): return Double(text)
        default: return nil
        }
    }

    /// The items of an array reply, `nil` otherwise.
    package var array: [RedisValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}
