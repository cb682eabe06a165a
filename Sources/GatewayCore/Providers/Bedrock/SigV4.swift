import Crypto
import Foundation

/// AWS Signature Version 4 for one request (header-based, `AWS4-HMAC-SHA256`), as AWS documents it and as
/// botocore computes it; the test vectors in `SigV4Tests` come from botocore's `SigV4Auth`.
///
/// Signed: the `host` header (from the URL: lowercase host, port only when not the scheme's default, as
/// libcurl sends it), every header passed in (except `user-agent`, `expect`, `x-amzn-trace-id`, which
/// proxies and clients rewrite, as botocore leaves them out), `x-amz-date`, `x-amz-content-sha256` (the
/// body's SHA-256) and, with temporary credentials, `x-amz-security-token`. Pass only headers that go out
/// byte for byte (`content-type`, `accept`): a header the HTTP client rewrites breaks the signature.
///
/// The URL is the one sent, already percent-encoded: a Bedrock model id is one path segment, so build it
/// with ``uriEncode(_:)`` (`anthropic.claude-3-5-sonnet-20240620-v1:0` → `...-v1%3A0`, as botocore
/// does). The canonical path encodes the sent path once more (`%3A` → `%253A`): every AWS service but S3
/// signs the path encoded twice.
///
/// Usage:
/// ```swift
/// let signer = SigV4Signer(accessKeyID: key, secretAccessKey: secret, sessionToken: token,
///                          region: "us-east-1", service: "bedrock")
/// let url = "https://bedrock-runtime.us-east-1.amazonaws.com/model/" + SigV4Signer.uriEncode(model) + "/converse"
/// let added = signer.sign(method: "POST", url: url, headers: [("content-type", "application/json")],
///                         body: body, date: Date())
/// // [("authorization", "AWS4-HMAC-SHA256 Credential=.../us-east-1/bedrock/aws4_request, SignedHeaders=..., Signature=..."),
/// //  ("x-amz-date", "20240620T123456Z"), ("x-amz-content-sha256", "..."), ("x-amz-security-token", token)]
/// ```
package struct SigV4Signer: Sendable {
    package let accessKeyID: String
    package let secretAccessKey: String
    package let sessionToken: String?
    package let region: String
    package let service: String

    package init(accessKeyID: String, secretAccessKey: String, sessionToken: String?, region: String, service: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken.flatMap { $0.isEmpty ? nil : $0 }
        self.region = region
        self.service = service
    }

    /// The headers to add to the request: `authorization`, `x-amz-date`, `x-amz-content-sha256`, and
    /// `x-amz-security-token` when there is a session token.
    package func sign(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8], date: Date)
        -> [(name: String, value: String)]
    {
        let parts = URLParts(url)
        let timestamp = Self.timestamp(date)
        let day = String(timestamp.prefix(8))
        let payloadHash = Self.hex(SHA256.hash(data: body))

        var added: [(name: String, value: String)] = [("x-amz-date", timestamp), ("x-amz-content-sha256", payloadHash)]
        if let sessionToken { added.append(("x-amz-security-token", sessionToken)) }

        // Canonical headers: lowercase names, sorted; values trimmed with inner whitespace runs collapsed;
        // repeated names joined with ",".
        var canonical: [String: [String]] = [:]
        for (name, value) in headers + added {
            let lower = name.lowercased()
            guard !Self.unsigned.contains(lower) else { continue }
            canonical[lower, default: []].append(value.split(whereSeparator: \.isWhitespace).joined(separator: " "))
        }
        if canonical["host"] == nil { canonical["host"] = [parts.host] }
        let names = canonical.keys.sorted()
        let signedHeaders = names.joined(separator: ";")

        let canonicalRequest = [
            method.uppercased(),
            Self.canonicalPath(parts.path),
            Self.canonicalQuery(parts.query),
            names.map { "\($0):\(canonical[$0]!.joined(separator: ","))\n" }.joined(),
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", timestamp, scope, Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        var key = Self.hmac(Array("AWS4\(secretAccessKey)".utf8), day)
        for part in [region, service, "aws4_request"] { key = Self.hmac(key, part) }
        let signature = Self.hex(Self.hmac(key, stringToSign))

        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return [("authorization", authorization)] + added
    }

    /// `text` percent-encoded as AWS requires: every byte but `A-Z a-z 0-9 - _ . ~` as `%XX` (uppercase),
    /// `/` too unless `keepSlash`. For a model id in a URL path (`v1:0` → `v1%3A0`, an ARN's `/` → `%2F`).
    package static func uriEncode(_ text: String, keepSlash: Bool = false) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                output.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    // MARK: - Canonical forms

    /// Headers botocore never signs: rewritten on the way by clients and proxies.
    private static let unsigned: Set<String> = ["user-agent", "expect", "x-amzn-trace-id", "authorization"]

    /// The path without `.`/`..` segments and empty segments (as botocore normalizes it), encoded again.
    private static func canonicalPath(_ path: String) -> String {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                _ = segments.popLast()
            } else {
                segments.append(segment)
            }
        }
        var normalized = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/") && !segments.isEmpty { normalized += "/" }
        return uriEncode(normalized, keepSlash: true)
    }

    /// `a=1&b=2` pairs sorted by name, then value (byte order); each side is sent already encoded, as
    /// botocore reads it from the URL, and kept as is.
    private static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> (String, String) in
            guard let equals = pair.firstIndex(of: "=") else { return (String(pair), "") }
            return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
        }
        return pairs.sorted { left, right in
            left.0 != right.0
                ? Array(left.0.utf8).lexicographicallyPrecedes(right.0.utf8)
                : Array(left.1.utf8).lexicographicallyPrecedes(right.1.utf8)
        }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC, computed directly (no formatter, locale or calendar involved).
    static func timestamp(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        // Civil date from days since 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2)
            + pad(secondOfDay / 60 % 60, 2) + pad(secondOfDay % 60, 2) + "Z"
    }

    private static func hmac(_ key: [UInt8], _ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key)))
    }

    private static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        for byte in bytes { output += [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
        return String(decoding: output, as: UTF8.self)
    }
}

/// The parts of an absolute URL the signature needs: `host` as the Host header carries it, the path as sent
/// (still percent-encoded), the raw query.
private struct URLParts {
    var host = ""
    var path = "/"
    var query = ""

    init(_ url: String) {
        var rest = Substring(url)
        var scheme = ""
        if let range = rest.range(of: "://") {
            scheme = rest[..<range.lowerBound].lowercased()
            rest = rest[range.upperBound...]
        }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        // The port follows the last ":" that is not inside an IPv6 literal's brackets.
        var hostPart = authority
        var port = ""
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            hostPart = authority[..<colon]
            port = String(authority[authority.index(after: colon)...])
        }
        host = hostPart.lowercased()
        let defaultPort = ["http": "80", "https": "443"][scheme]
        if !port.isEmpty && port != defaultPort { host += ":" + port }
        if let question = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: question)...])
            rest = rest[..<question]
        }
        path = rest.isEmpty ? "/" : String(rest)
    }
}
