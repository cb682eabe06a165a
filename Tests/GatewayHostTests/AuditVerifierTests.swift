import Foundation
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// `gatewayhost audit verify`: the hash-chain check of audit-logger files, on generated files.
@Suite struct AuditVerifierTests {
    /// A chained record as the audit-logger writes it: hashed form closed after "prev", then the hash appended.
    static func record(_ id: String, prev: String, status: Int = 200) -> (line: String, hash: String) {
        let hashed =
            #"{"ts":"2031-01-01T00:00:00.000Z","request_id":"\#(id)","status":\#(status),"#
            + #""tags":{"pii-detector.EMAIL_ADDRESS":"1"},"prev":"\#(prev)"}"#
        let hash = AuditRecordLine.hexDigest(Array(hashed.utf8))
        return (String(hashed.dropLast()) + #","hash":"\#(hash)"}"#, hash)
    }

    /// `count` chained records starting from `prev`.
    static func chain(_ count: Int, from prev: String = AuditRecordLine.zeroHash, prefix: String = "r")
        -> (lines: [String], last: String)
    {
        var lines: [String] = []
        var prev = prev
        for index in 1...count {
            let (line, hash) = record("\(prefix)\(index)", prev: prev)
            lines.append(line)
            prev = hash
        }
        return (lines, prev)
    }

    static func write(_ lines: [String], name: String = "audit-2031-01-01.jsonl", newlineAtEnd: Bool = true) throws
        -> String
    {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("audit-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        let text = lines.joined(separator: "\n") + (newlineAtEnd && !lines.isEmpty ? "\n" : "")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func verify(_ paths: String...) -> (lines: [String], ok: Bool) {
        let (reports, ok) = AuditChainVerifier.verify(paths: paths)
        return (reports.flatMap(\.lines), ok)
    }

    @Test func intactChainAcrossTwoFiles() throws {
        let first = Self.chain(3)
        let second = Self.chain(2, from: first.last, prefix: "s")
        let a = try Self.write(first.lines)
        let b = try Self.write(second.lines, name: "audit-2031-01-02.jsonl")
        let result = Self.verify(a, b)
        #expect(result.ok)
        #expect(result.lines == ["\(a): 3 records, chain intact", "\(b): 2 records, chain intact"])
    }

    @Test func emptyFileIsIntact() throws {
        let path = try Self.write([])
        #expect(Self.verify(path).lines == ["\(path): 0 records, chain intact"])
    }

    @Test func alteredFieldIsAHashMismatch() throws {
        var lines = Self.chain(4).lines
        lines[1] = lines[1].replacingOccurrences(of: #""status":200"#, with: #""status":201"#)
        let path = try Self.write(lines)
        let result = Self.verify(path)
        #expect(!result.ok)
        #expect(result.lines == ["\(path):2: hash mismatch (record altered)"])
    }

    @Test func rewrittenHashBreaksTheNextLink() throws {
        // Re-hashing an altered record makes it consistent on its own, but its successor still names the old hash.
        var lines = Self.chain(3).lines
        let prevOfSecond = try #require(lines[1].range(of: #""prev":""#)).upperBound
        let prev = String(lines[1][prevOfSecond...].prefix(64))
        lines[1] = Self.record("r2-forged", prev: prev).line
        let path = try Self.write(lines)
        #expect(Self.verify(path).lines == ["\(path):3: prev does not match line 2"])
    }

    @Test func deletedLineIsAPrevMismatch() throws {
        var lines = Self.chain(5).lines
        lines.remove(at: 2)
        let path = try Self.write(lines)
        let result = Self.verify(path)
        #expect(!result.ok)
        #expect(result.lines == ["\(path):3: prev does not match line 2"])
    }

    @Test func reorderedLinesAreAPrevMismatch() throws {
        var lines = Self.chain(4).lines
        lines.swapAt(1, 2)
        let path = try Self.write(lines)
        let result = Self.verify(path)
        #expect(!result.ok)
        #expect(result.lines == ["\(path):2: prev does not match line 1"])
    }

    @Test func tornLastLineIsReportedNeverAccepted() throws {
        var lines = Self.chain(3).lines
        lines.append(String(Self.record("r4", prev: "x").line.prefix(60)))
        let path = try Self.write(lines, newlineAtEnd: false)
        let result = Self.verify(path)
        #expect(!result.ok)
        #expect(
            result.lines == [
                "\(path):4: torn line (incomplete record, e.g. after a crash): the chain is intact up to line 3"
            ])
    }

    @Test func tornLineFollowedByGoodLines() throws {
        // What the audit-logger leaves after a kill -9 and a restart: the fragment ends with the newline the
        // plugin adds, and the next record chains onto the last complete one.
        let before = Self.chain(2)
        let after = Self.chain(2, from: before.last, prefix: "s")
        let torn = String(Self.record("r3", prev: before.last).line.dropLast(30))
        let path = try Self.write(before.lines + [torn] + after.lines)
        let result = Self.verify(path)
        #expect(!result.ok)
        #expect(
            result.lines == [
                "\(path):3: torn line (incomplete record, e.g. after a crash): the chain is intact up to line 2",
                "\(path): the 2 records after line 3 continue the chain intact "
                    + "(the writer resumed after the torn line, e.g. after a restart)",
            ])
    }

    @Test func tornLineFollowedByAForeignChainIsAPrevMismatch() throws {
        let before = Self.chain(2)
        let unrelated = Self.chain(1, prefix: "x")
        let path = try Self.write(before.lines + [#"{"ts":"2031-01-01T00:00"#] + unrelated.lines)
        let result = Self.verify(path)
        #expect(result.lines.count == 2)
        #expect(result.lines.last == "\(path):4: prev does not match line 2")
    }

    @Test func completeLastRecordWithoutNewlineIsIntact() throws {
        let path = try Self.write(Self.chain(3).lines, newlineAtEnd: false)
        #expect(Self.verify(path).lines == ["\(path): 3 records, chain intact"])
    }

    @Test func filesInTheWrongOrderBreakTheLink() throws {
        let first = Self.chain(2)
        let second = Self.chain(2, from: first.last, prefix: "s")
        let a = try Self.write(first.lines)
        let b = try Self.write(second.lines, name: "audit-2031-01-02.jsonl")
        let result = Self.verify(b, a)
        #expect(!result.ok)
        #expect(result.lines.contains("\(a):1: prev does not match the last record of \(b) (line 2)"))
    }

    @Test func chainStartingInAnEarlierFileIsNoted() throws {
        let path = try Self.write(Self.chain(2, from: String(repeating: "ab", count: 32)).lines)
        let result = Self.verify(path)
        #expect(result.ok)
        #expect(result.lines.first == "\(path): 2 records, chain intact")
        #expect(result.lines.count == 2 && result.lines[1].contains("note: the chain continues from an earlier file"))
    }

    @Test func alteredSyntaxIsInvalidJSONNotTorn() throws {
        var lines = Self.chain(3).lines
        lines[1] = lines[1].replacingOccurrences(of: #""status":200,"#, with: #""status":200,,"#)
        let path = try Self.write(lines)
        let result = Self.verify(path)
        #expect(result.lines.count == 1 && result.lines[0].hasPrefix("\(path):2: invalid JSON (record altered): "))
    }

    @Test func unchainedRecordIsReported() throws {
        let path = try Self.write([#"{"ts":"2031-01-01T00:00:00.000Z","request_id":"r1"}"#])
        let result = Self.verify(path)
        #expect(!result.ok)
        #expect(result.lines.first?.hasPrefix("\(path):1: not a chained audit record: ") == true)
    }

    @Test func unreadableFileFails() {
        let result = Self.verify("/nonexistent/audit-2031-01-01.jsonl")
        #expect(!result.ok)
        #expect(result.lines.first?.hasPrefix("/nonexistent/audit-2031-01-01.jsonl: cannot read the file") == true)
    }

    /// A line written by the C audit-logger (Plugins/audit-logger): both implementations agree on the bytes.
    @Test func recordWrittenByThePluginVerifies() {
        let line =
            #"{"ts":"2026-11-28T05:09:33.060Z","request_id":"req-smoke-1","pack":{"name":"smoke","version":"0.0.0"},"#
            + #""client":"anonymous","client_ip":"127.0.0.1","route":"/v1/chat/completions","target":null,"#
            + #""model":"gpt-smoke","stream":false,"status":200,"latency_ms":3,"end_reason":"completed","#
            + #""usage":null,"cost_usd":null,"verdicts":[],"tags":{"pii-detector.EMAIL":"1"},"#
            + #""prev":"0000000000000000000000000000000000000000000000000000000000000000","#
            + #""hash":"641c7215c39d34e4cae781ec2b7d569746b9be22e2bb60047e436412d8da5c37"}"#
        #expect(
            AuditRecordLine.classify(Array(line.utf8))
                == .record(
                    hash: "641c7215c39d34e4cae781ec2b7d569746b9be22e2bb60047e436412d8da5c37",
                    prev: AuditRecordLine.zeroHash, altered: false))
    }

    @Test func largeFileIsReadInChunks() throws {
        let chain = Self.chain(3000)
        let path = try Self.write(chain.lines)
        var verifier = AuditChainVerifier()
        #expect(verifier.verify(path: path).records == 3000)
        var reader = try AuditLineReader(path: path, chunkSize: 333)
        var count = 0
        while let line = try reader.next() {
            count += 1
            #expect(line.terminated)
        }
        #expect(count == 3000)
    }
}
