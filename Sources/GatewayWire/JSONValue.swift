/// A view of one value in a ``JSONDocument``: reading it never re-parses or copies the source.
///
/// Accessors of the wrong kind return nil (or an empty sequence), so shape checks read as optional
/// chains: `doc.root["messages"]?[0]?["content"]?.string`.
package struct JSONValue: Sendable {
    package let document: JSONDocument
    /// Index of the value in the document's node table.
    package let index: Int

    private var record: JSONNodeRecord { document.storage.nodes[index] }

    package var kind: JSONKind { record.kind }

    /// Byte range of the value in the source; for a string it includes the quotes.
    package var byteRange: Range<Int> {
        let record = record
        return Int(record.start)..<Int(record.end)
    }

    /// The value's source text, byte for byte (e.g. to forward a `usage` object as-is).
    package var rawBytes: ArraySlice<UInt8> { document.storage.bytes[byteRange] }

    package var isNull: Bool { kind == .null }

    package var bool: Bool? {
        let record = record
        guard record.kind == .bool else { return nil }
        return record.flags & JSONNodeRecord.boolIsTrue != 0
    }

    /// The unescaped text of a string value.
    package var string: String? {
        let record = record
        guard record.kind == .string else { return nil }
        return JSONStringDecoding.string(
            in: document.storage.bytes, literal: Int(record.start)..<Int(record.end),
            hasEscapes: record.flags & JSONNodeRecord.stringHasEscapes != 0)
    }

    /// True when this is a string whose unescaped text is exactly `expected` (no allocation).
    package func stringEquals(_ expected: String) -> Bool {
        let record = record
        guard record.kind == .string else { return false }
        let compare = { (expectedBytes: UnsafeBufferPointer<UInt8>) -> Bool in
            document.storage.bytes.withUnsafeBufferPointer { bytes in
                JSONStringDecoding.literal(
                    in: bytes, Int(record.start)..<Int(record.end),
                    hasEscapes: record.flags & JSONNodeRecord.stringHasEscapes != 0, equals: expectedBytes)
            }
        }
        if let result = expected.utf8.withContiguousStorageIfAvailable(compare) { return result }
        return Array(expected.utf8).withUnsafeBufferPointer(compare)
    }

    /// A number as a Double (the nearest one; ±infinity for magnitudes beyond Double's range).
    package var double: Double? {
        guard kind == .number else { return nil }
        return Double(String(decoding: rawBytes, as: UTF8.self))
    }

    /// A number as an Int when its value is integral and exactly representable: "42", "-7", "1e2", "3.0";
    /// nil for "1.5" or for integers beyond Int's range.
    package var int: Int? {
        let record = record
        guard record.kind == .number else { return nil }
        if record.flags & JSONNodeRecord.numberIsNotIntegerSyntax == 0 {
            return integerFromDigits(Int(record.start)..<Int(record.end))
        }
        guard let double else { return nil }
        return Int(exactly: double)
    }

    /// Exact conversion of an integer literal, without going through Double (which loses digits past 2^53).
    private func integerFromDigits(_ range: Range<Int>) -> Int? {
        let bytes = document.storage.bytes
        var index = range.lowerBound
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var value = 0
        while index < range.upperBound {
            let digit = Int(bytes[index] - UInt8(ascii: "0"))
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            // Accumulate negatively so that Int.min parses.
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            guard !overflow1 && !overflow2 else { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        return value == Int.min ? nil : -value
    }

    /// Members of an object or items of an array; 0 for scalars.
    package var count: Int { Int(record.count) }

    /// The value of the LAST member named `key` (see ``JSONDocument`` on duplicate keys), or nil when
    /// this is not an object or has no such member.
    package subscript(key: String) -> JSONValue? {
        guard kind == .object else { return nil }
        if let index = key.utf8.withContiguousStorageIfAvailable({ lastMemberValueIndex(key: $0) }) {
            return index.map { JSONValue(document: document, index: $0) }
        }
        return Array(key.utf8).withUnsafeBufferPointer { lastMemberValueIndex(key: $0) }.map {
            JSONValue(document: document, index: $0)
        }
    }

    /// Node index of the value of the last member whose key equals `key`. One pass over the keys; a
    /// key without escapes is compared in place after a length check that rejects most keys at once.
    private func lastMemberValueIndex(key: UnsafeBufferPointer<UInt8>) -> Int? {
        let storage = document.storage
        return storage.bytes.withUnsafeBufferPointer { bytes in
            storage.nodes.withUnsafeBufferPointer { nodes in
                var found: Int?
                var keyIndex = index + 1
                for _ in 0..<Int(nodes[index].count) {
                    let keyNode = nodes[keyIndex]
                    let literal = Int(keyNode.start)..<Int(keyNode.end)
                    let matches = JSONStringDecoding.literal(
                        in: bytes, literal, hasEscapes: keyNode.flags & JSONNodeRecord.stringHasEscapes != 0,
                        equals: key)
                    if matches { found = keyIndex + 1 }
                    keyIndex = Int(nodes[keyIndex + 1].subtreeEnd)
                }
                return found
            }
        }
    }

    /// The array item at `position` (a linear walk over the preceding items), or nil.
    package subscript(position: Int) -> JSONValue? {
        guard kind == .array, position >= 0, position < count else { return nil }
        var current = 0
        for item in items {
            if current == position { return item }
            current += 1
        }
        return nil
    }

    /// The items of an array (empty for any other kind).
    package var items: JSONChildren { JSONChildren(parent: self, stride: 1) }

    /// The members of an object as key/value pairs, in source order, duplicates included.
    package var members: JSONMembers { JSONMembers(children: JSONChildren(parent: self, stride: 2)) }
}

/// Iterates the direct children of a container, skipping each child's subtree via `subtreeEnd`.
/// `stride` 2 yields only the keys of an object (the values follow them).
package struct JSONChildren: Sequence, Sendable {
    package let parent: JSONValue
    package let stride: Int

    package struct Iterator: IteratorProtocol {
        package let document: JSONDocument
        package let nodes: [JSONNodeRecord]
        package var nextIndex: Int
        package var remaining: Int
        package let stride: Int

        package mutating func next() -> JSONValue? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let value = JSONValue(document: document, index: nextIndex)
            var following = nextIndex
            for _ in 0..<stride { following = Int(nodes[following].subtreeEnd) }
            nextIndex = following
            return value
        }
    }

    package func makeIterator() -> Iterator {
        let expected: JSONKind = stride == 2 ? .object : .array
        let remaining = parent.kind == expected ? parent.count : 0
        return Iterator(
            document: parent.document, nodes: parent.document.storage.nodes, nextIndex: parent.index + 1,
            remaining: remaining, stride: stride)
    }
}

/// Key/value pairs of an object.
package struct JSONMembers: Sequence, Sendable {
    package let children: JSONChildren

    package struct Iterator: IteratorProtocol {
        package var keys: JSONChildren.Iterator

        package mutating func next() -> (key: JSONValue, value: JSONValue)? {
            guard let key = keys.next() else { return nil }
            return (key, JSONValue(document: key.document, index: key.index + 1))
        }
    }

    package func makeIterator() -> Iterator { Iterator(keys: children.makeIterator()) }
}
