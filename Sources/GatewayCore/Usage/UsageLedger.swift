import Foundation

/// The embedded usage ledger: every billed attempt, in `<data_dir>/usage.sqlite3` (folder 0700, file 0600,
/// WAL, `synchronous=NORMAL`). Spend survives a restart (`spend(clientID:since:)` restores the budgets)
/// and `/admin/usage` / `gatewayhost usage` read it back (`summary(groupBy:from:to:)`).
///
/// `append` never touches the disk: it adds the record to an in-memory buffer under a lock held for a
/// few instructions. A thread of the ledger's own (not Swift's cooperative pool) writes the buffer in one
/// transaction every `writeInterval` (0.5 s by default) and `flush()` / `close()` write it at once, so a
/// `kill -9` loses at most the records of the last `writeInterval` (plus the time a commit takes).
/// `spend` and `summary` count the buffered records too, each record exactly once.
///
/// Usage:
/// ```swift
/// let ledger = try UsageLedger(folder: dataDir) { error in logger.error("\(error)") }
/// ledger.append(record)                                            // from any thread or task
/// let today = try ledger.spend(clientID: "team-a", since: startOfUTCDay)
/// let rows = try ledger.summary(groupBy: .client, from: monthStart, to: nil)
/// try ledger.close()                                               // at shutdown: writes the rest
/// ```
///
/// `flush`, `close`, `spend` and `summary` block the calling thread on the disk: call them at start and
/// shutdown, or from a thread of your own (the admin endpoint's reads are short, but may wait for a write).
package final class UsageLedger: @unchecked Sendable {
    // @unchecked: `pending` and the flags are guarded by `state`, `store` by `diskLock`.

    /// The ledger file, `<folder>/usage.sqlite3`.
    package let path: String
    /// How often the writer thread writes the buffer.
    package let writeInterval: TimeInterval

    private let store: UsageSQLiteStore
    /// Held while the store is used; taken before `state` when both are needed, never after it.
    private let diskLock = NSLock()
    /// Guards the buffer and the flags; the writer thread waits on it.
    private let state = NSCondition()
    /// Records appended and not yet committed, oldest first. Only `writePending` takes from it.
    private var pending: [UsageRecord] = []
    private var closing = false
    private var closed = false
    private var writerStopped = false
    private var storedWriteError: UsageLedgerError?
    private let onWriteError: (@Sendable (UsageLedgerError) -> Void)?

    /// The file name inside the data folder.
    package static let fileName = "usage.sqlite3"

    /// Creates `folder` (0700, with its missing parents) and `usage.sqlite3` (0600) when absent, opens
    /// it, and starts the writer thread.
    /// - Parameters:
    ///   - writeInterval: how long a record may wait in memory; at most 1 s keeps the `kill -9` promise.
    ///   - onWriteError: called on the writer thread when a periodic write fails (the records stay
    ///     buffered and are retried at the next tick); log it.
    /// - Throws: `UsageLedgerError` naming the folder or file and the system's or SQLite's message (a
    ///   folder that cannot be created or written, a corrupt file, a file from a newer schema).
    package init(
        folder: String, writeInterval: TimeInterval = 0.5,
        onWriteError: (@Sendable (UsageLedgerError) -> Void)? = nil
    ) throws(UsageLedgerError) {
        let folder = folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        try UsageLedgerFiles.prepareFolder(folder)
        let path = folder + "/" + Self.fileName
        try UsageLedgerFiles.prepareFile(path)
        self.path = path
        self.writeInterval = max(0.01, min(writeInterval, 1))
        self.onWriteError = onWriteError
        store = try UsageSQLiteStore(path: path)
        let thread = Thread { [weak self] in
            while let ledger = self, ledger.waitAndWrite() {}
        }
        thread.name = "gatewayhost-usage-ledger"
        thread.start()
    }

    deinit {
        // Only reached without `close()`. The writer thread holds `self` weakly between ticks, so it is not
        // inside a method now (this may run on it, at the end of a tick). Write what is left and close;
        // the writer then finds nil and ends.
        if !closed {
            closing = true
            try? writePending()
            store.close()
        }
    }

    /// Buffers `record`; it reaches the disk within `writeInterval`. Never blocks on the disk. Records
    /// appended once `close()` has begun are dropped.
    package func append(_ record: UsageRecord) {
        state.lock()
        if !closing { pending.append(record) }
        state.unlock()
    }

    /// Writes every buffered record now, in one transaction, on the calling thread.
    package func flush() throws(UsageLedgerError) {
        state.lock()
        let isClosed = closed
        state.unlock()
        if isClosed { return }
        try writePending()
    }

    /// Stops the writer thread, writes the buffered records and closes the file. Idempotent; `spend` and
    /// `summary` throw afterwards.
    package func close() throws(UsageLedgerError) {
        state.lock()
        if closing {
            state.unlock()
            return
        }
        closing = true
        state.broadcast()
        while !writerStopped { state.wait() }
        state.unlock()
        var failure: UsageLedgerError?
        do { try writePending() } catch { failure = error }
        diskLock.lock()
        store.close()
        diskLock.unlock()
        state.lock()
        closed = true
        state.unlock()
        if let failure { throw failure }
    }

    /// The USD spent since `since` (inclusive) by `clientID` (nil: every client), in `pack` (nil: every
    /// pack), buffered records included. For restoring the budgets' counters at start.
    package func spend(clientID: String?, since: Date, pack: String? = nil) throws(UsageLedgerError) -> Double {
        let filter = UsageFilter(from: since, to: nil, clientID: clientID, pack: pack)
        return try read { store, buffered throws(UsageLedgerError) in
            var total = try store.spend(filter)
            for record in buffered where filter.matches(record) { total += record.costUSD }
            return total
        }
    }

    /// Totals per client, model or target for records in `[from, to)` (nil: unbounded), buffered records
    /// included, sorted by cost (highest first), then requests, then key.
    package func summary(groupBy: UsageGrouping, from: Date?, to: Date?, pack: String? = nil) throws(UsageLedgerError)
        -> [UsageSummaryRow]
    {
        let filter = UsageFilter(from: from, to: to, clientID: nil, pack: pack)
        return try read { store, buffered throws(UsageLedgerError) in
            filter.merge(
                stored: try store.summary(groupBy: groupBy, filter: filter), buffered: buffered, groupBy: groupBy)
        }
    }

    /// Records appended and not yet written.
    package var bufferedCount: Int {
        state.lock()
        defer { state.unlock() }
        return pending.count
    }

    /// The last periodic write's error, nil once a write succeeds again.
    package var lastWriteError: UsageLedgerError? {
        state.lock()
        defer { state.unlock() }
        return storedWriteError
    }

    // MARK: - Writing and reading

    /// The writer thread's step: waits for the next tick (or `close()`), then writes. False once closing.
    private func waitAndWrite() -> Bool {
        state.lock()
        let deadline = Date(timeIntervalSinceNow: writeInterval)
        while !closing, Date() < deadline { _ = state.wait(until: deadline) }
        if closing {
            writerStopped = true
            state.broadcast()
            state.unlock()
            return false
        }
        state.unlock()
        do {
            try writePending()
            state.lock()
            storedWriteError = nil
            state.unlock()
        } catch {
            state.lock()
            storedWriteError = error
            state.unlock()
            onWriteError?(error)
        }
        return true
    }

    /// Takes the buffer (appends go on into a fresh one, nothing is copied under the lock), commits it,
    /// and puts it back in front of the buffer if the commit fails. Under `diskLock`, which readers take
    /// too, so a reader sees every record either on disk or in the buffer, never both, never neither.
    private func writePending() throws(UsageLedgerError) {
        diskLock.lock()
        defer { diskLock.unlock() }
        state.lock()
        let batch = pending
        pending = []
        state.unlock()
        guard !batch.isEmpty else { return }
        do {
            try store.insert(batch)
        } catch {
            state.lock()
            pending = batch + pending
            state.unlock()
            throw error
        }
    }

    /// Runs `body` with the store and a consistent copy of the buffer.
    private func read<T>(_ body: (UsageSQLiteStore, [UsageRecord]) throws(UsageLedgerError) -> T)
        throws(UsageLedgerError)
        -> T
    {
        diskLock.lock()
        defer { diskLock.unlock() }
        state.lock()
        let buffered = pending
        let isClosed = closed
        state.unlock()
        guard !isClosed else { throw UsageLedgerError(path: path, message: "the ledger is closed") }
        return try body(store, buffered)
    }
}
