import GatewayWire

/// Collects the errors and warnings of one load, so every problem in the file is reported in one go.
/// Lives only for the duration of one `ConfigLoader.parse` call on one thread, hence not Sendable.
package final class ConfigDiagnostics {
    package let file: String
    private(set) var errors: [ConfigError] = []
    private(set) var warnings: [ConfigWarning] = []

    package init(file: String) {
        self.file = file
    }

    package func error(at mark: SourceMark, _ keyPath: String, _ message: String, suggestion: String? = nil) {
        errors.append(
            ConfigError(
                file: file, line: mark.line, column: mark.column, keyPath: keyPath, message: message,
                suggestion: suggestion))
    }

    package func error(_ node: YAMLNode, _ keyPath: String, _ message: String, suggestion: String? = nil) {
        error(at: node.mark, keyPath, message, suggestion: suggestion)
    }

    package func warning(_ node: YAMLNode, _ keyPath: String, _ message: String) {
        warnings.append(
            ConfigWarning(
                file: file, line: node.mark.line, column: node.mark.column, keyPath: keyPath, message: message))
    }
}
