import ArgumentParser
import GatewayCore
import GatewayWire

/// `gatewayhost audit ...`: tools for the audit-logger policy's files.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Work with the audit-logger policy's log files.",
        subcommands: [AuditVerifyCommand.self])
}

/// `gatewayhost audit verify FILE...`: checks the hash chain of audit files. Exit 0 intact, 1 broken or
/// unreadable, 2 usage.
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain of audit-logger files (exit 0 intact, 1 broken).",
        discussion: """
            Give the files oldest first (a shell glob such as audit/audit-*.jsonl sorts them by date): they are \
            checked as one chain. Prints 'FILE: N records, chain intact' per file, or the first broken line \
            (hash mismatch, prev mismatch, torn line). Removing the newest records cannot be detected from the \
            files alone: compare the last hash with a copy kept elsewhere.
            """)

    @Argument(help: "Audit files (PREFIX-YYYY-MM-DD.jsonl), oldest first.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one audit file") }
    }

    func run() throws {
        let (reports, ok) = AuditChainVerifier.verify(paths: files)
        for report in reports {
            for line in report.lines { print(line) }
        }
        if !ok { throw ExitCode(1) }
    }
}
