/// The kind of a JSON value.
enum JSONKind: UInt8, Sendable {
    case object, array, string, number, bool, null
}

/// One value in the document's flat node table (20 bytes).
///
/// Nodes are stored in pre-order: a container's first child is the node right after it, and a node's
/// next sibling is at `subtreeEnd`. An object's children alternate key (a string node) and value.
struct JSONNodeRecord: Sendable {
    /// Byte range of the value in the source (a string's includes its quotes).
    var start: UInt32
    var end: UInt32
    /// Index of the first node after this value's subtree.
    var subtreeEnd: UInt32
    /// Members of an object or items of an array; 0 for scalars.
    var count: UInt32
    var kind: JSONKind
    var flags: UInt8

    /// A string that contains at least one backslash escape (so it cannot be read as raw bytes).
    static let stringHasEscapes: UInt8 = 1
    /// A number with a fraction or an exponent.
    static let numberIsNotIntegerSyntax: UInt8 = 2
    /// The `true` literal.
    static let boolIsTrue: UInt8 = 4
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
struct JSONDocument: Sendable {
    /// Shared immutable storage: copying a document (or a `JSONValue`) retains one object.
    final class Storage: Sendable {
        let bytes: [UInt8]
        let nodes: [JSONNodeRecord]

        init(bytes: [UInt8], nodes: [JSONNodeRecord]) {
            self.bytes = bytes
            self.nodes = nodes
        }
    }

    /// The deepest nesting of arrays and objects accepted.
    static let maxDepth = 128

    let storage: Storage

    /// Parses `bytes`, which the document keeps (no copy when the caller does not mutate its array).
    init(parsing bytes: [UInt8]) throws(JSONParseError) {
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
    init(parsing text: String) throws(JSONParseError) {
        try self.init(parsing: Array(text.utf8))
    }

    /// The source bytes.
    var bytes: [UInt8] { storage.bytes }

    /// The top-level value.
    var root: JSONValue { JSONValue(document: self, index: 0) }

    /// Number of values (including object keys) in the document.
    var nodeCount: Int { storage.nodes.count }
}
