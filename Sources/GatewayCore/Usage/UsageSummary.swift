import Foundation

/// What `/admin/usage` and `gatewayhost usage` group the ledger by (`group_by=client|model|target`).
///
/// Usage:
/// ```swift
/// guard let grouping = UsageGrouping(rawValue: query["group_by"] ?? "client") else { /* 400 */ }
/// let rows = try ledger.summary(groupBy: grouping, from: from, to: to)
/// ```
package enum UsageGrouping: String, Sendable, CaseIterable {
    case client
    case model
    case target

    /// The ledger column this grouping reads.
    var column: String {
        switch self {
        case .client: "client_id"
        case .model: "model"
        case .target: "target"
        }
    }

    /// The record's value for this grouping.
    func key(of record: UsageRecord) -> String {
        switch self {
        case .client: record.clientID
        case .model: record.model
        case .target: record.target
        }
    }
}

/// One line of a usage summary: the totals of every record sharing `key` (a client id, a model or a
/// target id) in the period asked.
///
/// Usage:
/// ```swift
/// for row in try ledger.summary(groupBy: .client, from: monthStart, to: nil) {
///     print(row.key, row.requests, row.costUSD)   // "team-a 3 0.000195"
/// }
/// let body = row.json   // {"key":"team-a","requests":3,...}
/// ```
package struct UsageSummaryRow: Sendable, Equatable {
    package var key: String
    /// Records (billed attempts) counted.
    package var requests: Int
    package var promptTokens: Int
    package var completionTokens: Int
    package var cachedTokens: Int
    package var costUSD: Double
    /// How many of the records carry estimated usage (a stream cut before its usage).
    package var estimated: Int

    package init(
        key: String, requests: Int = 0, promptTokens: Int = 0, completionTokens: Int = 0, cachedTokens: Int = 0,
        costUSD: Double = 0, estimated: Int = 0
    ) {
        self.key = key
        self.requests = requests
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedTokens = cachedTokens
        self.costUSD = costUSD
        self.estimated = estimated
    }

    /// Adds another row's totals (same key) to this one.
    mutating func add(_ other: UsageSummaryRow) {
        requests += other.requests
        promptTokens += other.promptTokens
        completionTokens += other.completionTokens
        cachedTokens += other.cachedTokens
        costUSD += other.costUSD
        estimated += other.estimated
    }

    /// Adds one record to this row.
    mutating func add(_ record: UsageRecord) {
        requests += 1
        promptTokens += record.promptTokens
        completionTokens += record.completionTokens
        cachedTokens += record.cachedTokens
        costUSD += record.costUSD
        estimated += record.estimated ? 1 : 0
    }
}

/// Filters and totals shared by the SQL queries and the records still buffered in memory, so both count
/// a record the same way: `from` inclusive, `to` exclusive, `pack` nil for every pack.
struct UsageFilter: Sendable {
    var from: Date?
    var to: Date?
    var clientID: String?
    var pack: String?

    func matches(_ record: UsageRecord) -> Bool {
        if let from, record.time < from { return false }
        if let to, record.time >= to { return false }
        if let clientID, record.clientID != clientID { return false }
        if let pack, record.pack != pack { return false }
        return true
    }

    /// Merges the rows read from disk with the buffered records matching this filter, sorted by cost
    /// (highest first), then requests (most first), then key.
    func merge(stored: [UsageSummaryRow], buffered: [UsageRecord], groupBy: UsageGrouping) -> [UsageSummaryRow] {
        var byKey: [String: UsageSummaryRow] = [:]
        for row in stored { byKey[row.key, default: UsageSummaryRow(key: row.key)].add(row) }
        for record in buffered where matches(record) {
            let key = groupBy.key(of: record)
            byKey[key, default: UsageSummaryRow(key: key)].add(record)
        }
        return byKey.values.sorted { a, b in
            if a.costUSD != b.costUSD { return a.costUSD > b.costUSD }
            if a.requests != b.requests { return a.requests > b.requests }
            return a.key < b.key
        }
    }
}
