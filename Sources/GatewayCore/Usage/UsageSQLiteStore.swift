import CSQLite
import Foundation

/// The ledger's SQLite file: one connection, WAL journal, `synchronous=NORMAL` (a committed transaction
/// survives the process being killed; only an OS crash can lose the last ones), the `usage` table and its
/// index on `time`. Not thread-safe: `UsageLedger` serialises every call under its own lock.
///
/// Usage:
/// ```swift
/// let store = try UsageSQLiteStore(path: folder + "/usage.sqlite3")
/// try store.insert(records)                                      // one transaction
/// let spent = try store.spend(UsageFilter(from: dayStart))       // USD
/// store.close()
/// ```
final class UsageSQLiteStore {
    let path: String
    private var db: OpaquePointer?
    private var insertStatement: OpaquePointer?

    /// The schema this code writes (`PRAGMA user_version`).
    static let schemaVersion: Int64 = 1

    private static let schema = """
        CREATE TABLE IF NOT EXISTS usage (
            id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            request_id TEXT NOT NULL,
            client_id TEXT NOT NULL,
            pack TEXT NOT NULL,
            model TEXT NOT NULL,
            target TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            cached_tokens INTEGER NOT NULL,
            cost_usd REAL NOT NULL,
            estimated INTEGER NOT NULL,
            status INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS usage_time ON usage(time);
        PRAGMA user_version = 1;
        """

    /// Opens (the file must exist: `UsageLedgerFiles.prepareFile`), switches to WAL and creates the schema.
    init(path: String) throws(UsageLedgerError) {
        self.path = path
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        db = handle
        do throws(UsageLedgerError) {
            guard code == SQLITE_OK, handle != nil else { throw failure("cannot open", code) }
            sqlite3_extended_result_codes(handle, 1)
            sqlite3_busy_timeout(handle, 5000)  // another process (`gatewayhost usage`) may hold the lock
            // The first statement reads the header: a corrupt or foreign file fails here.
            let version = try queryInt("PRAGMA user_version", context: "cannot open")
            guard version <= Self.schemaVersion else {
                throw UsageLedgerError(
                    path: path,
                    message: "written by a newer gatewayhost (schema \(version), this one reads \(Self.schemaVersion))")
            }
            // Switching a new file to WAL takes a lock the busy timeout does not wait for: two gateways
            // opening one new ledger at once (replicas on one host, a restart overlapping the old process)
            // would fail here. Retry for about 5 s, as the busy timeout would.
            var attempt = 0
            var mode = ""
            while true {
                do throws(UsageLedgerError) {
                    mode = try queryText("PRAGMA journal_mode=WAL", context: "cannot switch to WAL")
                    break
                } catch {
                    attempt += 1
                    let busy = error.message.contains("locked") || error.message.contains("busy")
                    guard busy && attempt < 100 else { throw error }
                    usleep(50_000)
                }
            }
            guard mode.lowercased() == "wal" else {
                throw UsageLedgerError(path: path, message: "cannot switch to WAL (journal_mode is \(mode))")
            }
            try execute("PRAGMA synchronous=NORMAL", context: "cannot set synchronous=NORMAL")
            try execute("BEGIN IMMEDIATE; \(Self.schema) COMMIT;", context: "cannot create the schema")
            insertStatement = try prepare(
                """
                INSERT INTO usage (time, request_id, client_id, pack, model, target, attempt, prompt_tokens,
                    completion_tokens, cached_tokens, cost_usd, estimated, status)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                """, context: "cannot prepare the insert")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Closes the connection (the last one checkpoints the WAL into the file). Idempotent.
    func close() {
        if let insertStatement { sqlite3_finalize(insertStatement) }
        insertStatement = nil
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    /// Writes `records` in one transaction: all of them or, on an error, none.
    func insert(_ records: [UsageRecord]) throws(UsageLedgerError) {
        guard !records.isEmpty else { return }
        guard let statement = insertStatement else { throw closedError() }
        try execute("BEGIN IMMEDIATE", context: "cannot write")
        do throws(UsageLedgerError) {
            for record in records {
                sqlite3_reset(statement)
                sqlite3_bind_double(statement, 1, record.time.timeIntervalSince1970)
                bindText(statement, 2, record.requestID)
                bindText(statement, 3, record.clientID)
                bindText(statement, 4, record.pack)
                bindText(statement, 5, record.model)
                bindText(statement, 6, record.target)
                sqlite3_bind_int64(statement, 7, Int64(record.attempt))
                sqlite3_bind_int64(statement, 8, Int64(record.promptTokens))
                sqlite3_bind_int64(statement, 9, Int64(record.completionTokens))
                sqlite3_bind_int64(statement, 10, Int64(record.cachedTokens))
                sqlite3_bind_double(statement, 11, record.costUSD)
                sqlite3_bind_int64(statement, 12, record.estimated ? 1 : 0)
                sqlite3_bind_int64(statement, 13, Int64(record.status))
                let code = sqlite3_step(statement)
                guard code == SQLITE_DONE else { throw failure("cannot write", code) }
            }
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            try execute("COMMIT", context: "cannot commit")
        } catch {
            sqlite3_reset(statement)
            if let db, sqlite3_get_autocommit(db) == 0 { sqlite3_exec(db, "ROLLBACK", nil, nil, nil) }
            throw error
        }
    }

    /// The USD spent by the records matching `filter` (its `clientID` and `pack` nil for all).
    func spend(_ filter: UsageFilter) throws(UsageLedgerError) -> Double {
        let (clause, binds) = Self.whereClause(filter)
        let statement = try prepare("SELECT TOTAL(cost_usd) FROM usage\(clause)", context: "cannot read")
        defer { sqlite3_finalize(statement) }
        try bind(statement, binds)
        let code = sqlite3_step(statement)
        guard code == SQLITE_ROW else { throw failure("cannot read", code) }
        return sqlite3_column_double(statement, 0)
    }

    /// The stored records matching `filter`, totalled per `groupBy` key (unsorted).
    func summary(groupBy: UsageGrouping, filter: UsageFilter) throws(UsageLedgerError) -> [UsageSummaryRow] {
        let (clause, binds) = Self.whereClause(filter)
        let column = groupBy.column
        let statement = try prepare(
            """
            SELECT \(column), COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cached_tokens),
                TOTAL(cost_usd), SUM(estimated)
            FROM usage\(clause) GROUP BY \(column)
            """, context: "cannot read")
        defer { sqlite3_finalize(statement) }
        try bind(statement, binds)
        var rows: [UsageSummaryRow] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw failure("cannot read", code) }
            let key = sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? ""
            rows.append(
                UsageSummaryRow(
                    key: key, requests: Int(sqlite3_column_int64(statement, 1)),
                    promptTokens: Int(sqlite3_column_int64(statement, 2)),
                    completionTokens: Int(sqlite3_column_int64(statement, 3)),
                    cachedTokens: Int(sqlite3_column_int64(statement, 4)),
                    costUSD: sqlite3_column_double(statement, 5),
                    estimated: Int(sqlite3_column_int64(statement, 6))))
        }
        return rows
    }

    // MARK: - SQLite plumbing

    private enum Bind { case real(Double), text(String) }

    private static func whereClause(_ filter: UsageFilter) -> (String, [Bind]) {
        var conditions: [String] = []
        var binds: [Bind] = []
        if let from = filter.from {
            binds.append(.real(from.timeIntervalSince1970))
            conditions.append("time >= ?\(binds.count)")
        }
        if let to = filter.to {
            binds.append(.real(to.timeIntervalSince1970))
            conditions.append("time < ?\(binds.count)")
        }
        if let clientID = filter.clientID {
            binds.append(.text(clientID))
            conditions.append("client_id = ?\(binds.count)")
        }
        if let pack = filter.pack {
            binds.append(.text(pack))
            conditions.append("pack = ?\(binds.count)")
        }
        return (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "), binds)
    }

    private func bind(_ statement: OpaquePointer, _ binds: [Bind]) throws(UsageLedgerError) {
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .real(let number): code = sqlite3_bind_double(statement, index, number)
            case .text(let text): code = bindText(statement, index, text)
            }
            guard code == SQLITE_OK else { throw failure("cannot read", code) }
        }
    }

    @discardableResult
    private func bindText(_ statement: OpaquePointer, _ index: Int32, _ text: String) -> Int32 {
        // SQLITE_TRANSIENT: SQLite copies the bytes before this returns.
        sqlite3_bind_text(statement, index, text, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    }

    private func prepare(_ sql: String, context: String) throws(UsageLedgerError) -> OpaquePointer {
        guard let db else { throw closedError() }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(db, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(context, code) }
        return statement
    }

    private func execute(_ sql: String, context: String) throws(UsageLedgerError) {
        guard let db else { throw closedError() }
        let code = sqlite3_exec(db, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw failure(context, code) }
    }

    private func queryInt(_ sql: String, context: String) throws(UsageLedgerError) -> Int64 {
        let statement = try prepare(sql, context: context)
        defer { sqlite3_finalize(statement) }
        let code = sqlite3_step(statement)
        guard code == SQLITE_ROW else { throw failure(context, code) }
        return sqlite3_column_int64(statement, 0)
    }

    private func queryText(_ sql: String, context: String) throws(UsageLedgerError) -> String {
        let statement = try prepare(sql, context: context)
        defer { sqlite3_finalize(statement) }
        let code = sqlite3_step(statement)
        guard code == SQLITE_ROW else { throw failure(context, code) }
        return sqlite3_column_text(statement, 0).map { String(cString: $0) } ?? ""
    }

    private func closedError() -> UsageLedgerError { UsageLedgerError(path: path, message: "the ledger is closed") }

    /// `context: <SQLite's message for this connection> (<the result code's name>)`.
    private func failure(_ context: String, _ code: Int32) -> UsageLedgerError {
        let detail = db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? ""
        let generic = String(cString: sqlite3_errstr(code))
        var message = detail.isEmpty || detail == "not an error" ? generic : detail
        // "unable to open database file" / "disk I/O error" say more with the system's reason.
        let primary = code & 0xFF
        if primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL
            || primary == SQLITE_READONLY,
            let db, case let systemCode = sqlite3_system_errno(db), systemCode != 0
        {
            message += " (\(String(cString: strerror(systemCode))))"
        }
        return UsageLedgerError(path: path, message: "\(context): \(message) (SQLite code \(code))")
    }
}
