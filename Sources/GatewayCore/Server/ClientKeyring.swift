import Crypto
import Foundation
import GatewayWire

/// The gateway keys clients must present (`gateway.client_keys`). Empty means open: every request is
/// accepted as client "anonymous" and, for targets without a key of their own, the client's own
/// `Authorization` header is passed to the upstream (which then validates it).
package struct ClientKeyring: Sendable {
    private let digests: [(id: String, digest: [UInt8])]
    /// Each key's own data requirements, by id (only keys that set some).
    package let requirements: [String: DataRequirements]

    package init(keys: [ClientKey]) {
        digests = keys.map { ($0.id, Array(SHA256.hash(data: Array($0.secret.reveal.utf8)))) }
        var requirements: [String: DataRequirements] = [:]
        for key in keys where !key.requirements.isEmpty { requirements[key.id] = key.requirements }
        self.requirements = requirements
    }

    package var isEmpty: Bool { digests.isEmpty }

    /// What a refused `Authorization` header was, for the log: its scheme and a short fingerprint of the
    /// key (the first 8 hex digits of its SHA-256), so repeated attempts with one key can be told apart
    /// without the key, or any part of it, being written anywhere.
    package static func describe(presented authorization: String?) -> String {
        guard let authorization, !authorization.isEmpty else { return "no Authorization header" }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return "an Authorization header that is not 'Bearer <key>'"
        }
        let digest = SHA256.hash(data: Array(parts[1].utf8)).prefix(4).map { byte in
            String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }
        return "unknown key (fingerprint sha256:\(digest.joined()))"
    }

    /// The id of the key in `authorization` ("Bearer KEY"), or nil. Compares fixed-size digests in
    /// constant time, so neither the key's length nor its prefix leaks through timing.
    package func clientID(forAuthorization authorization: String?) -> String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return id(forKey: parts[1])
    }

    /// Like `clientID(forAuthorization:)`, also accepting HTTP Basic with the key as the password (any
    /// user name), which a browser sends by itself after one prompt: the admin status page uses it.
    package func adminID(forAuthorization authorization: String?) -> String? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        if parts[0].lowercased() == "bearer" { return id(forKey: parts[1]) }
        guard parts[0].lowercased() == "basic",
            let decoded = Data(base64Encoded: String(parts[1])).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":")
        else { return nil }
        return id(forKey: decoded[decoded.index(after: colon)...])
    }

    private func id(forKey key: Substring) -> String? {
        let presented = Array(SHA256.hash(data: Array(key.utf8)))
        var found: String?
        for (id, digest) in digests {
            var difference: UInt8 = 0
            for index in 0..<digest.count { difference |= digest[index] ^ presented[index] }
            if difference == 0 && found == nil { found = id }
        }
        return found
    }
}
