/// Rewrites string literals inside a JSON text without re-serialising it: every byte outside the
/// replaced ranges is copied unchanged, so unknown fields, key order, whitespace and number spellings
/// reach the upstream exactly as the client sent them.
///
/// Each `range` is the byte range of a string literal INCLUDING its quotes (`TextSegment.valueRange`,
/// `JSONValue.byteRange`); it is replaced by `newText` JSON-escaped and quoted. Ranges may come in any
/// order but must lie inside `source` and must not overlap (a programming error: it traps).
package func splice(source: [UInt8], replacements: [(range: Range<Int>, newText: String)]) -> [UInt8] {
    guard !replacements.isEmpty else { return source }
    var ordered = replacements
    if !ordered.indices.dropFirst().allSatisfy({ ordered[$0 - 1].range.lowerBound <= ordered[$0].range.lowerBound }) {
        ordered.sort { $0.range.lowerBound < $1.range.lowerBound }
    }
    var capacity = source.count
    for replacement in ordered {
        capacity += replacement.newText.utf8.count + 2 - replacement.range.count
    }
    var output: [UInt8] = []
    // Escaping can add bytes; a little slack avoids a regrow for a few escaped characters.
    output.reserveCapacity(max(capacity, 0) + 64)
    var copied = 0
    for replacement in ordered {
        let range = replacement.range
        precondition(range.lowerBound >= copied, "splice: overlapping replacement ranges")
        precondition(range.upperBound <= source.count, "splice: replacement range outside the source")
        output.append(contentsOf: source[copied..<range.lowerBound])
        appendJSONQuoted(replacement.newText, to: &output)
        copied = range.upperBound
    }
    output.append(contentsOf: source[copied...])
    return output
}

/// Applies a plugin's segment edits (`index` into `segments` → new text) to `source`. Values inside
/// tool-call arguments are first spliced into the arguments' own JSON text (each written as a JSON
/// string, so the arguments stay valid JSON), which then replaces the arguments string as one edit.
package func spliceSegmentEdits(_ edits: [Int: String], segments: [TextSegment], into source: [UInt8]) -> [UInt8] {
    var direct: [(range: Range<Int>, newText: String)] = []
    var nested: [Range<Int>: (container: String, edits: [(range: Range<Int>, newText: String)])] = [:]
    for (index, newText) in edits {
        let segment = segments[index]
        if let inner = segment.inner {
            nested[segment.valueRange, default: (inner.container, [])].edits.append((inner.range, newText))
        } else {
            direct.append((segment.valueRange, newText))
        }
    }
    for (outer, group) in nested {
        let arguments = splice(source: Array(group.container.utf8), replacements: group.edits)
        direct.append((outer, String(decoding: arguments, as: UTF8.self)))
    }
    return splice(source: source, replacements: direct)
}
