/// Makes a streamed chat request ask for usage (`stream_options.include_usage: true`), changing nothing
/// else: the gateway needs exact usage for every exchange, the client may not have asked for it.
///
/// Usage:
/// ```swift
/// if let asked = StreamUsageRequest.asking(body, document: doc) { body = asked.bytes }
/// ```
package enum StreamUsageRequest {
    /// The request with `include_usage: true`, or nil when it already asks for usage or is not an object.
    package static func asking(_ source: [UInt8], document: JSONDocument) -> (bytes: [UInt8], document: JSONDocument)? {
        let root = document.root
        guard root.kind == .object else { return nil }
        var bytes: [UInt8]
        if let options = root["stream_options"], options.kind == .object {
            if let flag = options["include_usage"] {
                guard flag.bool != true else { return nil }
                // `false` or null: replace that value.
                let range = flag.byteRange
                bytes = Array(source[..<range.lowerBound]) + Array("true".utf8) + Array(source[range.upperBound...])
            } else {
                // Insert the member first in the existing object.
                let open = options.byteRange.lowerBound + 1
                let empty = options.count == 0
                bytes =
                    Array(source[..<open]) + Array(("\"include_usage\":true" + (empty ? "" : ",")).utf8)
                    + Array(source[open...])
            }
        } else {
            bytes = setMember(
                source: source, doc: document, key: "stream_options", rawValue: "{\"include_usage\":true}")
        }
        guard let parsed = try? JSONDocument(parsing: bytes) else { return nil }
        return (bytes, parsed)
    }
}
