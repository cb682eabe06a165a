import GatewayWire

/// libFuzzer target: the SSE parser fed the input in pieces whose sizes come from the input itself.
/// Invariants: no crash; re-serialising the events and parsing that again gives the same events.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSE(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var parser = SSEParser()
    var events: [SSEEvent] = []
    var offset = 0
    var step = 1
    do {
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            events += try parser.feed(Array(bytes[offset..<end]))
            step = Int(bytes[offset] % 17) + 1
            offset = end
        }
    } catch {
        return 0
    }
    var again = SSEParser()
    var text: [UInt8] = []
    for event in events { event.serialize(into: &text) }
    guard let reparsed = try? again.feed(text) else { preconditionFailure("serialised events did not parse") }
    precondition(reparsed.map(\.data) == events.map(\.data), "data changed across a round trip")
    return 0
}
