/// A JSON value being built for the wire (a Converse request, an OpenAI answer or chunk), serialized
/// compactly with members in the order given: the same input always yields the same bytes, which the tests
/// compare and the stream's split-invariance relies on.
///
/// Values copied from a parsed document (a tool's `parameters`, a `toolUse` input) go in as
/// `.copy(JSONValue)`: written compactly without being decoded and re-encoded, so numbers keep their exact
/// digits and strings their exact escapes.
///
/// Usage:
/// ```swift
/// let config = BedrockJSON.object([("maxTokens", .int(512)), ("stopSequences", .array([.string("END")]))])
/// let bytes = config.bytes  // {"maxTokens":512,"stopSequences":["END"]}
/// ```
package indirect enum BedrockJSON: Sendable {
    case object([(String, BedrockJSON)])
    case array([BedrockJSON])
    case string(String)
    case int(Int)
    case bool(Bool)
    case null
    /// A value of a parsed document, written compactly as it is.
    case copy(JSONValue)

    /// The compact serialization.
    package var bytes: [UInt8] {
        var output: [UInt8] = []
        write(into: &output)
        return output
    }

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
        case .copy(let value):
            Self.writeCompact(value, into: &output)
        }
    }

    /// `value` without the whitespace between its tokens. String and number literals are valid JSON as
    /// parsed, so they are copied byte for byte.
    package static func writeCompact(_ value: JSONValue, into output: inout [UInt8]) {
        switch value.kind {
        case .object:
            output.append(UInt8(ascii: "{"))
            for (offset, member) in value.members.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                output.append(contentsOf: member.key.rawBytes)
                output.append(UInt8(ascii: ":"))
                writeCompact(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        case .array:
            output.append(UInt8(ascii: "["))
            for (offset, item) in value.items.enumerated() {
                if offset > 0 { output.append(UInt8(ascii: ",")) }
                writeCompact(item, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .string, .number, .bool, .null:
            output.append(contentsOf: value.rawBytes)
        }
    }

    /// The compact text of a parsed value (an OpenAI tool call's `arguments` from a `toolUse` input).
    package static func compactText(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        writeCompact(value, into: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// The value of `key`, or nil when it is absent or null (OpenAI treats null as absent).
    static func present(_ object: JSONValue, _ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }
}
