import Foundation
import GatewayWire

/// Checks the hash chain of audit-logger files (see ``AuditRecordLine`` for the record format).
///
/// Files are checked in the order given, as ONE chain: the first record of each file must name the last record
/// of the previous file as its `prev` (the audit-logger continues its chain across daily files). The first
/// record of the first file is taken as the start, whatever its `prev` (older files may have been deleted by
/// retention); a note says when it is not the all-zero start.
///
/// Per file, the report is `FILE: N records, chain intact`, or the FIRST broken line. A torn line (a record cut
/// short by a crash) is reported as such, never accepted; checking then continues from the last complete
/// record, as the audit-logger itself does after a restart, so the report also tells whether the records after
/// it continue the chain. What a hash chain cannot show: the removal of records at the END of the chain.
/// Keep the last hash somewhere else (a ticket, another system) to detect that.
package struct AuditChainVerifier {
    /// The result for one file.
    package struct FileReport: Sendable, Equatable {
        package let file: String
        /// Complete records whose hash and prev checked out.
        package var records = 0
        /// Human-readable findings, in order; the first is the first broken line.
        package var problems: [String] = []
        package var notes: [String] = []

        package var intact: Bool { problems.isEmpty }

        /// What `gatewayhost audit verify` prints for this file.
        package var lines: [String] {
            (intact ? ["\(file): \(records) records, chain intact"] : problems) + notes
        }
    }

    /// The last complete record seen: what the next record's `prev` must be.
    private struct Link {
        let hash: String
        let file: String
        let line: Int
    }

    private var last: Link?
    /// False after a problem other than a torn line: the next file's first `prev` cannot be checked.
    private var linkKnown = true
    private var isFirstFile = true

    package init() {}

    /// Verifies `paths` in order; `ok` is true when every file's chain is intact.
    package static func verify(paths: [String]) -> (reports: [FileReport], ok: Bool) {
        var verifier = AuditChainVerifier()
        let reports = paths.map { verifier.verify(path: $0) }
        return (reports, reports.allSatisfy(\.intact))
    }

    /// Verifies one file, continuing the chain of the files verified before it.
    package mutating func verify(path: String) -> FileReport {
        var report = FileReport(file: path)
        defer { isFirstFile = false }
        var reader: AuditLineReader
        do {
            reader = try AuditLineReader(path: path)
        } catch {
            report.problems.append("\(path): cannot read the file: \(error.localizedDescription)")
            linkKnown = false
            return report
        }
        var lineNumber = 0
        /// Set at a torn line: the records after it are counted to say whether they continue the chain.
        var tornAt: Int?
        var afterTorn = 0
        do {
            while let line = try reader.next() {
                lineNumber += 1
                switch AuditRecordLine.classify(line.bytes) {
                case .torn:
                    if tornAt != nil {
                        report.problems.append("\(path):\(lineNumber): another torn line")
                        linkKnown = false
                        return report
                    }
                    report.problems.append(
                        "\(path):\(lineNumber): torn line (incomplete record, e.g. after a crash): "
                            + "the chain is intact up to \(describeLast(in: path))")
                    tornAt = lineNumber
                case .invalidJSON(let message):
                    return broken(&report, "\(path):\(lineNumber): invalid JSON (record altered): \(message)")
                case .notChained(let why):
                    return broken(&report, "\(path):\(lineNumber): not a chained audit record: \(why)")
                case .record(let hash, let prev, let altered):
                    if altered {
                        return broken(&report, "\(path):\(lineNumber): hash mismatch (record altered)")
                    }
                    if let last, linkKnown, prev != last.hash {
                        let previous =
                            last.file == path
                            ? "line \(last.line)" : "the last record of \(last.file) (line \(last.line))"
                        return broken(&report, "\(path):\(lineNumber): prev does not match \(previous)")
                    }
                    if last == nil && isFirstFile && lineNumber == 1 && prev != AuditRecordLine.zeroHash {
                        report.notes.append(
                            "\(path):1: note: the chain continues from an earlier file (prev \(prev.prefix(12))…); "
                                + "pass that file first to check the link")
                    }
                    linkKnown = true
                    last = Link(hash: hash, file: path, line: lineNumber)
                    if tornAt != nil { afterTorn += 1 } else { report.records += 1 }
                }
            }
        } catch {
            return broken(&report, "\(path):\(lineNumber + 1): cannot read the file: \(error.localizedDescription)")
        }
        if let tornAt, afterTorn > 0 {
            report.problems.append(
                "\(path): the \(afterTorn) records after line \(tornAt) continue the chain intact "
                    + "(the writer resumed after the torn line, e.g. after a restart)")
        }
        return report
    }

    private mutating func broken(_ report: inout FileReport, _ problem: String) -> FileReport {
        report.problems.append(problem)
        linkKnown = false
        last = nil
        return report
    }

    private func describeLast(in path: String) -> String {
        guard let last else { return "its start (no complete record precedes it)" }
        return last.file == path ? "line \(last.line)" : "the end of \(last.file)"
    }
}
