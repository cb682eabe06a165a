import Foundation

/// Renders usage summaries: the JSON of `GET /admin/usage` (and `gatewayhost usage --json`) and the
/// plain-text table `gatewayhost usage` prints. USD amounts are rounded to 1e-12 (the floating-point
/// noise of adding many small costs) and printed without trailing zeros in JSON.
///
/// Usage:
/// ```swift
/// let rows = try ledger.summary(groupBy: .client, from: from, to: to)
/// let body = UsageRendering.json(rows: rows, groupBy: .client, from: from, to: to)
/// // {"group_by":"client","from":"2026-12-01T00:00:00Z","to":null,"rows":[{"key":"team-a",...}]}
/// print(UsageRendering.table(rows: rows, groupBy: .client), terminator: "")
/// ```
package enum UsageRendering {
    /// The whole `/admin/usage` answer; `from` / `to` are ISO 8601 UTC, or null when unbounded.
    package static func json(rows: [UsageSummaryRow], groupBy: UsageGrouping, from: Date?, to: Date?) -> String {
        var out = "{\"group_by\":" + quoted(groupBy.rawValue)
        out += ",\"from\":" + (from.map { quoted(iso8601($0)) } ?? "null")
        out += ",\"to\":" + (to.map { quoted(iso8601($0)) } ?? "null")
        out += ",\"rows\":[" + rows.map(\.json).joined(separator: ",") + "]}"
        return out
    }

    /// A table with a header, one line per row and a total line, columns aligned, ending with a newline.
    /// ```
    /// CLIENT  REQUESTS  PROMPT_TOKENS  COMPLETION_TOKENS  CACHED_TOKENS  COST_USD  ESTIMATED
    /// team-a         3             30                 12              0  0.000195          1
    /// TOTAL          3             30                 12              0  0.000195          1
    /// ```
    package static func table(rows: [UsageSummaryRow], groupBy: UsageGrouping) -> String {
        var total = UsageSummaryRow(key: "TOTAL")
        for row in rows { total.add(row) }
        let header = [
            groupBy.rawValue.uppercased(), "REQUESTS", "PROMPT_TOKENS", "COMPLETION_TOKENS", "CACHED_TOKENS",
            "COST_USD", "ESTIMATED",
        ]
        let lines =
            [header]
            + (rows + [total]).map { row in
                [
                    row.key, String(row.requests), String(row.promptTokens), String(row.completionTokens),
                    String(row.cachedTokens), String(format: "%.6f", rounded(row.costUSD)), String(row.estimated),
                ]
            }
        var widths = Array(repeating: 0, count: header.count)
        for line in lines { for (index, cell) in line.enumerated() { widths[index] = max(widths[index], cell.count) } }
        var out = ""
        for line in lines {
            let cells = line.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + padding : padding + cell  // key left, numbers right
            }
            out += cells.joined(separator: "  ") + "\n"
        }
        return out
    }

    /// A USD amount as a JSON number: rounded to 1e-12, no exponent noise for ordinary amounts, 0 when
    /// not finite (JSON has no NaN).
    static func number(_ value: Double) -> String {
        let value = rounded(value)
        guard value.isFinite else { return "0" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.12f", value)
        while text.hasSuffix("0") { text.removeLast() }
        return text
    }

    static func rounded(_ value: Double) -> Double {
        guard value.isFinite, abs(value) < 1e6 else { return value }
        return (value * 1e12).rounded() / 1e12
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `2026-12-01T00:00:00Z` (fractional seconds when there are some).
    static func iso8601(_ date: Date) -> String {
        let hasFraction = date.timeIntervalSince1970 != date.timeIntervalSince1970.rounded(.down)
        return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: hasFraction))
    }
}

extension UsageSummaryRow {
    /// `{"key":"team-a","requests":3,"prompt_tokens":30,"completion_tokens":12,"cached_tokens":0,"cost_usd":0.000195,"estimated":1}`
    package var json: String {
        "{\"key\":\(UsageRendering.quoted(key)),\"requests\":\(requests),\"prompt_tokens\":\(promptTokens)"
            + ",\"completion_tokens\":\(completionTokens),\"cached_tokens\":\(cachedTokens)"
            + ",\"cost_usd\":\(UsageRendering.number(costUSD)),\"estimated\":\(estimated)}"
    }
}
