/// `source` without the top-level member `key` of the object `doc` parsed from it (its key, value and one
/// separating comma); every other byte unchanged. Nil when the member is absent. Used to hide what the
/// gateway asked an upstream for and the client did not (`"usage": null` in chat chunks).
///
/// Usage:
/// ```swift
/// let doc = try JSONDocument(parsing: chunk)
/// let trimmed = removingMember("usage", from: chunk, doc: doc) ?? chunk
/// ```
package func removingMember(_ key: String, from source: [UInt8], doc: JSONDocument) -> [UInt8]? {
    guard doc.root.kind == .object, let value = doc.root[key] else { return nil }
    func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }
    var index = value.byteRange.lowerBound - 1
    while index >= 0 && isSpace(source[index]) { index -= 1 }
    guard index >= 0, source[index] == UInt8(ascii: ":") else { return nil }
    index -= 1
    while index >= 0 && isSpace(source[index]) { index -= 1 }
    guard index >= 0, source[index] == UInt8(ascii: "\"") else { return nil }
    // The key's opening quote. Keys this is used for hold no escaped quote.
    var open = index - 1
    while open >= 0 && source[open] != UInt8(ascii: "\"") { open -= 1 }
    guard open >= 0 else { return nil }
    var start = open
    var end = value.byteRange.upperBound
    var before = start - 1
    while before >= 0 && isSpace(source[before]) { before -= 1 }
    if before >= 0 && source[before] == UInt8(ascii: ",") {
        start = before
    } else {
        var after = end
        while after < source.count && isSpace(source[after]) { after += 1 }
        if after < source.count && source[after] == UInt8(ascii: ",") { end = after + 1 }
    }
    return Array(source[..<start]) + Array(source[end...])
}
