import Foundation
import GatewayWire

/// Reads a file line by line in fixed-size chunks, so that verifying a large audit file never holds it whole
/// in memory.
///
/// Lines are split at `\n` only; the `\n` is not part of a line. A last line without `\n` is still returned
/// (with `terminated == false`): after a crash it is usually a torn record, but it may also be a complete
/// record whose newline never reached the disk.
package struct AuditLineReader: ~Copyable {
    /// One line of the file.
    package struct Line {
        package let bytes: [UInt8]
        package let terminated: Bool
    }

    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private let chunkSize: Int

    /// Opens `path` for reading; throws the system's error when it cannot be opened.
    package init(path: String, chunkSize: Int = 1 << 20) throws {
        handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        self.chunkSize = chunkSize
    }

    deinit { try? handle.close() }

    /// The next line, or nil at the end of the file.
    package mutating func next() throws -> Line? {
        while true {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Line(bytes: Array(buffer[start..<newline]), terminated: true)
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = Line(bytes: Array(buffer[start...]), terminated: false)
                start = buffer.count
                return line
            }
            // Keep only the unfinished line before reading more.
            buffer.removeSubrange(0..<start)
            start = 0
            let chunk = try handle.read(upToCount: chunkSize) ?? Data()
            if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}
