/// The kind of a JSON value.
package enum JSONKind: UInt8, Sendable {
    case object, array, string, number, bool, null
}

/// One value in the document's flat node table (20 bytes).
///
/// Nodes are stored in pre-order: a container's first child is the node right after it, and a node's
/// next sibling is at `subtreeEnd`. An object's children alternate key (a string node) and value.
package struct JSONNodeRecord: Sendable {
    /// Byte range of the value in the source (a string's includes its quotes).
    package var start: UInt32
    package var end: UInt32
    /// Index of the first node after this value's subtree.
    package var subtreeEnd: UInt32
    /// Members of an object or items of an array; 0 for scalars.
    package var count: UInt32
    package var kind: JSONKind
    package var flags: UInt8

    /// A string that contains at least one backslash escape (so it cannot be read as raw bytes).
    package static let stringHasEscapes: UInt8 = 1
    /// A number with a fraction or an exponent.
    package static let numberIsNotIntegerSyntax: UInt8 = 2
    /// The `true` literal.
    package static let boolIsTrue: UInt8 = 4
}

/// A JSON text parsed once: the source bytes plus a flat node table, so lookups never re-parse and never
/// copy the source.
///
/// Parsing is strict RFC 8259: no comments, trailing commas, NaN/Infinity, leading zeros, control
/// characters or invalid UTF-8 in strings, lone surrogate `\u` escapes, or data after the value; nesting
/// is limited to `maxDepth`. Values are reached through `root` (a ``JSONValue``).
///
/// Duplicate object keys are kept in the table; lookups by key return the LAST member with that key,
/// like JavaScript `JSON.parse` and Python's `json` (which is what the upstream sees), so a policy never
/// inspects a different value than the one the upstream acts on.
package struct JSONDocument: Sendable {
    /// Shared immutable storage: copying a document (or a `JSONValue`) retains one object.
    package final class Storage: Sendable {
        package let bytes: [UInt8]
        package let nodes: [JSONNodeRecord]

        package init(bytes: [UInt8], nodes: [JSONNodeRecord]) {
            self.bytes = bytes
            self.nodes = nodes
        }
    }

    /// The deepest nesting of arrays and objects accepted.
    package static let maxDepth = 128

    package let storage: Storage

    /// Parses `bytes`, which the document keeps (no copy when the caller does not mutate its array).
    package init(parsing bytes: [UInt8]) throws(JSONParseError) {
        // Node offsets are 32-bit to keep the table small; request bodies are far below this limit.
        guard bytes.count < Int(UInt32.max) else {
            throw JSONParseError(offset: 0, message: "document larger than 4 GiB at byte 0")
        }
        let result: Result<[JSONNodeRecord], JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(input: buffer)
            do throws(JSONParseError) {
                try parser.parseDocument()
                return .success(parser.nodes)
            } catch {
                return .failure(error)
            }
        }
        storage = Storage(bytes: bytes, nodes: try result.get())
    }

    /// Parses the UTF-8 of `text`.
    package init(parsing text: String) throws(JSONParseError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// The source bytes.
    package var bytes: [UInt8] { storage.bytes }

    /// The top-level value.
    package var root: JSONValue { JSONValue(document: self, index: 0) }

    /// Number of values (including object keys) in the document.
    package var nodeCount: Int { storage.nodes.count }
}
