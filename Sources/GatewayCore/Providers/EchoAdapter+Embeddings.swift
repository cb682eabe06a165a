import Foundation
import GatewayWire

/// The echo provider's embeddings: a deterministic 8-dimensional vector per input string (FNV-1a of the
/// text spread over the dimensions), so the built-in config answers `/v1/embeddings` without a key and a
/// test can tell from the vector which text reached the provider (a redacted one gives another vector).
extension EchoAdapter {
    package static let embeddingDimensions = 8

    static func embeddings(_ document: JSONDocument, model: String) -> [UInt8] {
        let root = document.root
        var texts: [String] = []
        if let input = root["input"] {
            if let text = input.string {
                texts = [text]
            } else {
                texts = input.items.map { $0.string ?? String(decoding: $0.rawBytes, as: UTF8.self) }
            }
        }
        let base64 = root["encoding_format"]?.string == "base64"
        var items: [String] = []
        var tokens = 0
        for (index, text) in texts.enumerated() {
            tokens += max(1, text.utf8.count / 4)
            let vector = vector(for: text)
            let embedding =
                base64
                ? jsonQuoted(
                    Data(vector.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
                        .base64EncodedString())
                : "[" + vector.map { String($0) }.joined(separator: ",") + "]"
            items.append("{\"object\":\"embedding\",\"index\":\(index),\"embedding\":\(embedding)}")
        }
        return Array(
            ("{\"object\":\"list\",\"data\":[\(items.joined(separator: ","))],\"model\":\(jsonQuoted(model)),"
                + "\"usage\":{\"prompt_tokens\":\(tokens),\"total_tokens\":\(tokens)}}").utf8)
    }

    /// Values in [-1, 1): eight FNV-1a hashes of the text, each seeded with its dimension.
    static func vector(for text: String) -> [Float] {
        (0..<embeddingDimensions).map { dimension in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(dimension)
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            return Float(Int64(bitPattern: hash) >> 40) / Float(1 << 23)
        }
    }
}
