import GatewayWire
import Logging
import PolicyABI
import Synchronization

/// Logging goes to standard error (`StandardErrorLogHandler`, swift-log's stream format) at the configured level. Nothing
/// the gateway logs contains a header value, a body or a key: only ids, statuses, reasons and counts.
package enum LogSetup {
    private static let bootstrapped = Atomic<Bool>(false)

    package static func bootstrap(level: LogLevel, format: LogFormat = .text) {
        let swiftLevel: Logger.Level =
            switch level {
            case .trace: .trace
            case .debug: .debug
            case .info: .info
            case .notice: .notice
            case .warning: .warning
            case .error: .error
            case .critical: .critical
            }
        let pluginLevel: UInt32 =
            switch swiftLevel {
            case .trace: PAB_LOG_TRACE
            case .debug: PAB_LOG_DEBUG
            case .info, .notice: PAB_LOG_INFO
            case .warning: PAB_LOG_WARN
            default: PAB_LOG_ERROR
            }
        HostAPI.minimumLogLevel.store(pluginLevel, ordering: .relaxed)
        guard !bootstrapped.exchange(true, ordering: .relaxed) else { return }
        LoggingSystem.bootstrap { label in StandardErrorLogHandler(label: label, level: swiftLevel, format: format) }
    }
}
