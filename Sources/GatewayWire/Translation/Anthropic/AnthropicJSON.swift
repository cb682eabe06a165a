/// A JSON value being built for the wire (an Anthropic request, an OpenAI answer or chunk), serialized
/// compactly with members in the order given, so the same input always yields the same bytes (tests
/// compare bytes, and split-invariance of streams relies on it).
///
/// Values copied from a parsed document (a tool's `parameters`, a `tool_use` input) go in as
/// `.copy(JSONValue)`: written compactly without being decoded and re-encoded, so numbers keep their exact
/// digits and strings their exact escapes.
///
/// Usage:
/// ```swift
/// let body = AnthropicJSON.object([("model", .string("claude-sonnet-4-5")), ("max_tokens", .int(1024))])
/// let bytes = body.bytes  // {"model":"claude-sonnet-4-5","max_tokens":1024}
/// ```
package indirect enum AnthropicJSON: Sendable {
    case object([(String, AnthropicJSON)])
    case array([AnthropicJSON])
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

    /// `value` without the whitespace between its tokens. Strings and numbers are copied byte for byte
    /// (their literals are valid JSON as parsed), so nothing is decoded.
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

    /// The compact text of a parsed value (an OpenAI tool call's `arguments` from a `tool_use` input).
    package static func compactText(_ value: JSONValue) -> String {
        var output: [UInt8] = []
        writeCompact(value, into: &output)
        return String(decoding: output, as: UTF8.self)
    }
}
