import Logging
import Synchronization
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// StandardErrorLogHandler: swift-log's stream format, metadata rendered at log time, the level honoured.
@Suite struct LogHandlerTests {
    final class Lines: Sendable {
        let all = Locked<[String]>([])
        func append(_ line: String) { all.withLock { $0.append(line) } }
    }

    private func logger(level: Logger.Level, into lines: Lines) -> Logger {
        Logger(label: "gatewayhost") { label in
            StandardErrorLogHandler(label: label, level: level) { lines.append($0) }
        }
    }

    @Test func linesHaveTheStreamFormatWithSortedMetadata() throws {
        let lines = Lines()
        var log = logger(level: .info, into: lines)
        log[metadataKey: "request_id"] = "req-1"
        log.info("upstream failed", metadata: ["b": "2", "a": "1"])
        let line = try #require(lines.all.withLock { $0 }.first)
        let pattern =
            #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} info gatewayhost: a=1 b=2 request_id=req-1 \[\w+\] upstream failed\n$/#
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test func explicitMetadataWinsAndChangingALoggerLeavesCopiesAlone() throws {
        let lines = Lines()
        var log = logger(level: .info, into: lines)
        log[metadataKey: "k"] = "base"
        var copy = log
        copy[metadataKey: "k"] = "copy"
        log.info("one")
        copy.info("two", metadata: ["k": "explicit"])
        let all = lines.all.withLock { $0 }
        #expect(all.count == 2)
        #expect(all.first?.contains(" k=base [") == true)
        #expect(all.last?.contains(" k=explicit [") == true)
    }

    @Test func messagesBelowTheLevelAreDropped() {
        let lines = Lines()
        let log = logger(level: .warning, into: lines)
        log.info("quiet")
        log.debug("quieter")
        log.error("loud")
        let all = lines.all.withLock { $0 }
        #expect(all.count == 1)
        #expect(all.first?.contains(" error gatewayhost: [") == true)
    }
}
