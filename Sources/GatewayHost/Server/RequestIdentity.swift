/// Request ids: the client's `x-request-id` when it is a sane token (so traces line up across systems),
/// otherwise a fresh random one. Never echo arbitrary client bytes into headers and logs.
enum RequestIdentity {
    static func id(fromClientHeader header: String?) -> String {
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

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef")
        var id = "req_"
        for _ in 0..<24 { id.append(hex[Int(generator.next() % 16)]) }
        return id
    }
}
