/// Fields of a client request the server needs before the policy chain runs.

/// The `model` the client asked for, when it is a string.
package func requestModel(in doc: JSONDocument) -> String? {
    doc.root["model"]?.string
}

/// Whether the client asked for a stream: `"stream": true`. Absent, null or false mean no stream; any
/// other type is rejected earlier by `validateRequest`.
package func requestStream(in doc: JSONDocument) -> Bool {
    doc.root["stream"]?.bool ?? false
}

/// The request with its `model` set to `model` (for a target that has its own model name), every
/// other byte unchanged. `doc` must be the parse of `source`. The member the upstream reads (the last
/// `model`, see ``JSONDocument``) is rewritten whatever its type; without one, `"model":...` is inserted
/// as the object's first member. A `source` that is not an object is returned unchanged.
package func rewriteModel(source: [UInt8], doc: JSONDocument, to model: String) -> [UInt8] {
    let root = doc.root
    guard root.kind == .object else { return source }
    if let current = root["model"] {
        return splice(source: source, replacements: [(range: current.byteRange, newText: model)])
    }
    let insertAt = root.byteRange.lowerBound + 1
    var output: [UInt8] = []
    output.reserveCapacity(source.count + model.utf8.count + 16)
    output.append(contentsOf: source[..<insertAt])
    output.append(contentsOf: #""model":"#.utf8)
    appendJSONQuoted(model, to: &output)
    if root.count > 0 { output.append(UInt8(ascii: ",")) }
    output.append(contentsOf: source[insertAt...])
    return output
}

/// Sets the member `key` of the body's top-level object to `rawValue` (JSON text, written as it is),
/// replacing its value when present or adding it first; every other byte stays as it was.
package func setMember(source: [UInt8], doc: JSONDocument, key: String, rawValue: String) -> [UInt8] {
    let root = doc.root
    guard root.kind == .object else { return source }
    if let current = root[key] {
        var output = Array(source[..<current.byteRange.lowerBound])
        output += Array(rawValue.utf8)
        output += source[current.byteRange.upperBound...]
        return output
    }
    let open = root.byteRange.lowerBound + 1
    let member = jsonQuoted(key) + ":" + rawValue + (root.count > 0 ? "," : "")
    return Array(source[..<open]) + Array(member.utf8) + Array(source[open...])
}
