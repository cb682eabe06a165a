import Crypto
import GatewayWire

/// What one line of an audit-logger file is, judged on its own (without its neighbours).
///
/// The audit-logger writes each chained record as `{"ts":...,<members>,"prev":"P","hash":"H"}` where `H` is
/// the SHA-256 (lowercase hex) of the same bytes with the object closed right after `prev`, i.e. of
/// `{"ts":...,<members>,"prev":"P"}`. So the hashed bytes are the line without its last 75 bytes
/// (`,"hash":"` + 64 hex digits + `"}`) plus `}`.
package enum AuditRecordLine: Equatable, Sendable {
    /// A complete chained record. `altered` is true when `hash` does not match the record's bytes.
    case record(hash: String, prev: String, altered: Bool)
    /// An incomplete record: the text breaks off (a crash or kill during the write).
    case torn
    /// Not JSON, yet not cut short either: the text was changed.
    case invalidJSON(String)
    /// Valid JSON that is not a chained audit record (no hash chain fields in the canonical place).
    case notChained(String)

    /// Bytes after the hashed part: `,"hash":"` + 64 hex digits + `"}`.
    package static let hashSuffixLength = 75
    package static let hashKey = Array(#","hash":""#.utf8)
    /// The `prev` of a chain's very first record.
    package static let zeroHash = String(repeating: "0", count: 64)

    /// Classifies one line (without its `\n`).
    package static func classify(_ line: [UInt8]) -> AuditRecordLine {
        if line.isEmpty { return .invalidJSON("empty line (the audit-logger never writes one)") }
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: line)
        } catch {
            // A cut-off record either stops inside a value (the parser runs out of input) or loses its closing
            // brace; a change in the middle of a record leaves the ending intact and fails elsewhere.
            if error.offset >= line.count || line.last != UInt8(ascii: "}") { return .torn }
            return .invalidJSON(error.message)
        }
        guard document.root.kind == .object else { return .notChained("the line is JSON but not an object") }
        guard let hash = canonicalHash(of: line) else {
            return .notChained(#"no "hash" field at the end of the record (written with immutable: false?)"#)
        }
        guard let prev = document.root["prev"]?.string, isHexDigest(prev) else {
            return .notChained(#"no "prev" field with a 64-digit hex hash"#)
        }
        // The hash field must be the one the suffix holds (the last member; JSON lookups take the last).
        guard document.root["hash"]?.string == hash else { return .notChained(#""hash" is not the last field"#) }
        var hashed = Array(line[..<(line.count - hashSuffixLength)])
        hashed.append(UInt8(ascii: "}"))
        return .record(hash: hash, prev: prev, altered: hexDigest(hashed) != hash)
    }

    /// The 64 hex digits of a well-formed `,"hash":"…"}` ending, or nil.
    private static func canonicalHash(of line: [UInt8]) -> String? {
        guard line.count > hashSuffixLength, line.first == UInt8(ascii: "{") else { return nil }
        let suffix = line[(line.count - hashSuffixLength)...]
        guard suffix.starts(with: hashKey), suffix.last == UInt8(ascii: "}"),
            suffix[suffix.endIndex - 2] == UInt8(ascii: "\"")
        else { return nil }
        let digits = String(decoding: suffix.dropFirst(hashKey.count).dropLast(2), as: UTF8.self)
        return isHexDigest(digits) ? digits : nil
    }

    package static func isHexDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Lowercase hex SHA-256 of `bytes`.
    package static func hexDigest(_ bytes: [UInt8]) -> String {
        let hexDigits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
