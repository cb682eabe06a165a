import GatewayWire

/// An upstream response whose status line and headers have arrived; the body streams through `body`.
/// Non-2xx statuses are ordinary responses here (the gateway relays them), never errors.
package struct UpstreamResponse: Sendable {
    package let status: Int
    /// In arrival order, names as the upstream spelled them (lowercase over HTTP/2).
    package let headers: [(name: String, value: String)]
    package let body: UpstreamBody

    /// The first header with this name, compared case-insensitively.
    package func header(_ name: String) -> String? {
        headers.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    /// Reads the whole body. Throws `.tooLarge` (and aborts the transfer) once it exceeds `limit` bytes.
    package func collect(upTo limit: Int) async throws(UpstreamError) -> [UInt8] {
        var bytes: [UInt8] = []
        var iterator = body.makeAsyncIterator()
        while let chunk = try await iterator.next() {
            guard bytes.count + chunk.count <= limit else {
                body.cancel()
                throw .tooLarge
            }
            bytes.append(contentsOf: chunk)
        }
        return bytes
    }
}
