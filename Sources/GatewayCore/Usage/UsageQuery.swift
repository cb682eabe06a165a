import Foundation

/// The parameters of `GET /admin/usage` and `gatewayhost usage`: the grouping and an optional time range
/// (ISO 8601, `2026-12-01T00:00:00Z` or a plain date `2026-12-01`, UTC).
///
/// Usage:
/// ```swift
/// let query = try UsageQuery(groupBy: "client", from: "2026-12-01", to: nil)
/// let rows = try ledger.summary(groupBy: query.groupBy, from: query.from, to: query.to)
/// ```
package struct UsageQuery: Sendable {
    package var groupBy: UsageGrouping
    package var from: Date?
    package var to: Date?

    package struct Invalid: Error, CustomStringConvertible, Sendable {
        package let param: String
        package let description: String
    }

    package init(groupBy: String?, from: String?, to: String?) throws(Invalid) {
        let names = UsageGrouping.allCases.map(\.rawValue)
        guard let grouping = UsageGrouping(rawValue: groupBy ?? "client") else {
            throw Invalid(
                param: "group_by",
                description: "Invalid group_by '\(groupBy ?? "")': expected one of \(names.joined(separator: ", ")).")
        }
        self.groupBy = grouping
        self.from = try Self.date(from, param: "from")
        self.to = try Self.date(to, param: "to")
    }

    private static func date(_ text: String?, param: String) throws(Invalid) -> Date? {
        guard let text, !text.isEmpty else { return nil }
        let full = ISO8601DateFormatter()
        if let date = full.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = fractional.date(from: text) { return date }
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        if let date = day.date(from: text) { return date }
        throw Invalid(
            param: param,
            description: "Invalid \(param) '\(text)': expected an ISO 8601 time like 2026-12-01T00:00:00Z or a date.")
    }
}
