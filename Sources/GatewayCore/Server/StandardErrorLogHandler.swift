import Foundation
import GatewayWire
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Writes log lines to standard error in swift-log's stream format
/// (`2026-11-29T02:00:00+0000 info gatewayhost: request_id=… [GatewayHost] message`), or with
/// `gateway.log_format: json` as one JSON object a line:
/// `{"ts":"2026-11-29T02:00:00.123Z","level":"info","logger":"gatewayhost","msg":"…","request_id":"…"}`.
///
/// Unlike swift-log's `StreamLogHandler`, setting metadata only stores it: the metadata text is built when a
/// line is actually written. Hummingbird and the gateway attach a request id to a logger on every request,
/// and most requests log nothing, so building that text eagerly was measurable per-request work.
///
/// Each line goes out in one `write(2)`, so lines from different threads do not interleave.
package struct StandardErrorLogHandler: LogHandler {
    /// Receives each finished line, newline included.
    package typealias Sink = @Sendable (String) -> Void

    package let label: String
    package var logLevel: Logger.Level
    package var metadata = Logger.Metadata()
    private let sink: Sink
    private let format: LogFormat

    /// - Parameter sink: where lines go; standard error unless a test collects them.
    package init(
        label: String, level: Logger.Level, format: LogFormat = .text, sink: @escaping Sink = Self.writeToStandardError
    ) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var all = metadata
        if let explicit = event.metadata { all.merge(explicit) { _, explicit in explicit } }
        if let error = event.error {
            all["error.message"] = "\(error)"
            all["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        if format == .json {
            sink(Self.jsonLine(label: label, event: event, metadata: all))
            return
        }
        var line = Self.timestamp()
        line += " \(event.level)"
        if !label.isEmpty { line += " \(label):" } else { line += ":" }
        if !all.isEmpty {
            line += " "
            line += all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        line += " [\(event.source)] \(event.message)\n"
        sink(line)
    }

    /// One JSON object: fixed keys first, then the metadata (nested metadata as JSON objects and arrays).
    /// A metadata key that collides with a fixed key is prefixed with `meta.`.
    static func jsonLine(label: String, event: LogEvent, metadata: Logger.Metadata) -> String {
        var line = "{\"ts\":\(jsonQuoted(Timestamps.iso8601(Date())))"
        line += ",\"level\":\(jsonQuoted(event.level.rawValue)),\"logger\":\(jsonQuoted(label))"
        line += ",\"msg\":\(jsonQuoted(event.message.description)),\"source\":\(jsonQuoted(event.source))"
        let fixed: Set<String> = ["ts", "level", "logger", "msg", "source"]
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            let name = fixed.contains(key) ? "meta." + key : key
            line += ",\(jsonQuoted(name)):\(json(value))"
        }
        return line + "}\n"
    }

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): jsonQuoted(text)
        case .stringConvertible(let convertible):
            switch convertible {
            case let number as Int: String(number)
            case let number as UInt64: String(number)
            case let number as Double where number.isFinite: String(number)
            case let flag as Bool: flag ? "true" : "false"
            default: jsonQuoted(convertible.description)
            }
        case .array(let items): "[" + items.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries):
            "{"
                + entries.sorted { $0.key < $1.key }.map { "\(jsonQuoted($0.key)):\(json($0.value))" }
                .joined(separator: ",") + "}"
        }
    }

    /// Local time as `%Y-%m-%dT%H:%M:%S%z`, as swift-log's stream handler prints it.
    private static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        guard localtime_r(&now, &parts) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Writes the line in one `write(2)` (retried for a partial write).
    package static func writeToStandardError(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // standard error is gone: nothing sensible left to do with a log line
                }
            }
        }
    }
}
