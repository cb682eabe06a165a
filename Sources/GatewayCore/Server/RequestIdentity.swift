import GatewayWire

/// Request ids: the client's `x-request-id` when it is a sane token (so traces line up across systems),
/// otherwise a fresh random one. Never echo arbitrary client bytes into headers and logs.
package enum RequestIdentity {
    package static func id(fromClientHeader header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
            header.utf8.allSatisfy({ b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x3A
            })
        {
            return header
        }
        return generate()
    }

    /// `req_` and 24 hex digits (96 random bits): two draws from the system generator, not one per digit
    /// (each draw is a getrandom(2) call, and this runs on every request).
    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next()
        let low = generator.next() & 0xFFFF_FFFF
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 28) { buffer in
            for (index, byte) in "req_".utf8.enumerated() { buffer[index] = byte }
            for index in 0..<16 { buffer[4 + index] = digits[Int((high >> (60 - 4 * UInt64(index))) & 0xF)] }
            for index in 0..<8 { buffer[20 + index] = digits[Int((low >> (28 - 4 * UInt64(index))) & 0xF)] }
            return 28
        }
    }
}
