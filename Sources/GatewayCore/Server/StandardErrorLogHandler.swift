import GatewayWire
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Writes log lines to standard error in swift-log's stream format
/// (`2026-11-29T02:00:00+0000 info gatewayhost: request_id=… [GatewayHost] message`).
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

    /// - Parameter sink: where lines go; standard error unless a test collects them.
    package init(label: String, level: Logger.Level, sink: @escaping Sink = Self.writeToStandardError) {
        self.label = label
        self.logLevel = level
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
