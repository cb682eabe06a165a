/// Why the usage ledger could not be opened, written or read: the file (or folder) concerned and the
/// system's or SQLite's own message, so an operator can act on it without reading code.
///
/// Usage:
/// ```swift
/// do { ledger = try UsageLedger(folder: dataDir) } catch {
///     // "usage ledger /var/lib/gw/usage.sqlite3: cannot open: file is not a database"
///     logger.critical("\(error)")
/// }
/// ```
package struct UsageLedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The ledger file or its folder.
    package var path: String
    /// What went wrong, with SQLite's or the system's message.
    package var message: String

    package init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    package var description: String { "usage ledger \(path): \(message)" }
}
