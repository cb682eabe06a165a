/// A Lua script run atomically by Redis, named by the SHA-1 of its source as `EVALSHA` wants.
///
/// `RedisConnection.evaluate` sends `EVALSHA <sha1>` and, when the server does not know the script yet
/// (`NOSCRIPT`: a fresh or restarted Redis, or `SCRIPT FLUSH`), `EVAL <source>`, which also caches it.
/// The digest is computed here (SHA-1 is what Redis names scripts by; nothing here relies on it for
/// security), so no `SCRIPT LOAD` round trip is needed per connection.
///
/// Usage:
/// ```swift
/// let script = RedisScript("return redis.call('GET', KEYS[1])")
/// let value = try connection.evaluate(script, keys: ["gatewayhost:spend"], arguments: [])
/// ```
package struct RedisScript: Sendable {
    package let source: String
    /// Lowercase hex, 40 characters, equal to what `SCRIPT LOAD` answers.
    package let sha1: String

    package init(_ source: String) {
        self.source = source
        self.sha1 = Self.sha1Hex(Array(source.utf8))
    }

    /// SHA-1 (FIPS 180-4) of `bytes`, as lowercase hex.
    static func sha1Hex(_ bytes: [UInt8]) -> String {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (
            0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0
        )
        var message = bytes
        let bitLength = UInt64(bytes.count) &* 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) {
            message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }

        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: message.count, by: 64) {
            for i in 0..<16 {
                let base = chunk + i * 4
                w[i] =
                    UInt32(message[base]) << 24 | UInt32(message[base + 1]) << 16 | UInt32(message[base + 2]) << 8
                    | UInt32(message[base + 3])
            }
            for i in 16..<80 { w[i] = rotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
            var (a, b, c, d, e) = h
            for i in 0..<80 {
                let f: UInt32
                let k: UInt32
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let temp = rotateLeft(a, 5) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, rotateLeft(b, 30), a, temp)
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
        }
        return [h.0, h.1, h.2, h.3, h.4].map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 8 - hex.count) + hex
        }.joined()
    }

    private static func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }
}
