import GatewayWire

/// libFuzzer target: the JSON span parser, then everything built on a parse (segments of every phase, the
/// request validator, splicing every segment). Invariants: no crash or hang; a document that parses has
/// spans inside the input; splicing a segment with its own text re-parses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let document = try? JSONDocument(parsing: bytes) else { return 0 }
    precondition(document.root.byteRange.upperBound <= bytes.count)
    for api in [WireAPI.chatCompletions, .responses] {
        _ = validateRequest(document, api: api)
        for phase in [SegmentPhase.request(api), .response(api), .streamEvent(api)] {
            let found = segments(of: document, phase: phase)
            guard !found.isEmpty else { continue }
            var edits: [Int: String] = [:]
            for index in found.indices { edits[index] = found[index].text + "\u{2028}\"\\" }
            let spliced = spliceSegmentEdits(edits, segments: found, into: bytes)
            precondition((try? JSONDocument(parsing: spliced)) != nil, "splicing broke the JSON")
        }
    }
    return 0
}
