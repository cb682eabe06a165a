/// A JSON value being built for the wire by every translator (a provider request, an OpenAI answer, chunk
/// or embedding list),
/// serialized compactly with members in the order given: the same input always yields the same bytes,
/// which the tests compare and the stream's split-invariance relies on.
///
/// Values taken from a parsed document go in as `.copy(JSONValue)`: written compactly without being
/// decoded and re-encoded, so numbers keep their exact digits. Duplicate keys in a copied object keep
/// only their LAST member, the one `JSONValue` lookups (and so the policies) saw.
///
/// Usage:
/// ```swift
/// let body = WireJSON.object([("text", .string("hi")), ("n", .int(2))])
/// let bytes = body.bytes  // {"text":"hi","n":2}
/// ```
package indirect enum WireJSON: Sendable {
    case object([(String, WireJSON)])
    case array([WireJSON])
    case string(String)
    case int(Int)
    case bool(Bool)
    case null
    /// Already serialized JSON text (e.g. a number's digits), written as is.
    case raw(String)
    /// A value of a parsed document, written compactly.
    case copy(JSONValue)

    /// The compact serialization.
    package var bytes: [UInt8] {
        var output: [UInt8] = []
        write(into: &output)
        return output
    }

    /// The compact serialization as text.
    package var text: String { String(decoding: bytes, as: UTF8.self) }

    package func write(into output: inout [UInt8]) {
        switch self {
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (offset, member) in members.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                appendJSONQuoted(member.0, to: &output)
                output.append(UInt8(ascii: ":"))
                member.1.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (offset, item) in items.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                item.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .string(let text):
            appendJSONQuoted(text, to: &output)
        case .int(let value):
            output.append(contentsOf: String(value).utf8)
        case .bool(let value):
            output.append(contentsOf: (value ? "true" : "false").utf8)
        case .null:
            output.append(contentsOf: "null".utf8)
        case .raw(let text):
            output.append(contentsOf: text.utf8)
        case .copy(let value):
            Self.writeCompact(value, into: &output)
        }
    }

    /// `value` without insignificant whitespace. Strings and numbers are copied byte for byte (a string
    /// literal from a strict parse is valid JSON as it stands).
    package static func writeCompact(_ value: JSONValue, into output: inout [UInt8]) {
        switch value.kind {
        case .object:
            output.append(UInt8(ascii: "{"))
            var first = true
            for member in lastMembers(of: value) {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                output.append(contentsOf: member.key.rawBytes)
                output.append(UInt8(ascii: ":"))
                writeCompact(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .array:
            output.append(UInt8(ascii: "["))
            var first = true
            for item in value.items {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                writeCompact(item, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        default:
            output.append(contentsOf: value.rawBytes)
        }
    }

    /// The compact text of `value`.
    package static func compactText(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        writeCompact(value, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// An object's members in source order, each key once: the last member with a key wins, as in every
    /// `JSONValue` lookup.
    package static func lastMembers(of object: JSONValue) -> [(key: JSONValue, value: JSONValue, name: String)] {
        var result: [(key: JSONValue, value: JSONValue, name: String)] = []
        var position: [String: Int] = [:]
        for member in object.members {
            let name = member.key.string ?? ""
            if let existing = position[name] {
                result[existing] = (member.key, member.value, name)
            } else {
                position[name] = result.count
                result.append((member.key, member.value, name))
            }
        }
        return result
    }

    /// The value of `key`, or nil when it is absent or null (OpenAI treats null as absent).
    package static func present(_ object: JSONValue, _ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }
}
