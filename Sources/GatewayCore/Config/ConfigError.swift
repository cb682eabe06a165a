import GatewayWire

/// One problem found in a config file, pointing at the exact line and column.
///
/// `description` is `FILE:LINE:COLUMN: KEYPATH: MESSAGE`, plus ` (did you mean 'X'?)` when there is a suggestion.
/// Problems that belong to no key (syntax errors, an empty or unreadable file) have an empty `keyPath`, and the
/// `KEYPATH: ` part is then left out rather than printed empty.
package struct ConfigError: Error, CustomStringConvertible, Sendable, Equatable {
    package var file: String
    /// 1-based; 0 when the problem has no position (the file cannot be read).
    package var line: Int
    /// 1-based, counted in characters; 0 when the problem has no position.
    package var column: Int
    /// Where in the document the problem is, e.g. `providers.targets[0].timeout_seconds`.
    package var keyPath: String
    /// What is wrong and what was expected.
    package var message: String
    /// A replacement the user probably meant (a key name or a value), shown as `(did you mean 'X'?)`.
    package var suggestion: String?

    package var description: String {
        var text = "\(file):\(line):\(column): "
        if !keyPath.isEmpty { text += "\(keyPath): " }
        text += message
        if let suggestion { text += " (did you mean '\(suggestion)'?)" }
        return text
    }
}

/// Every error found while loading one config file, sorted by position. Loading never stops at the first error
/// in the config's own structure, so one run shows the user everything to fix.
package struct ConfigErrors: Error, CustomStringConvertible, Sendable, Equatable {
    package var errors: [ConfigError]

    package init(_ errors: [ConfigError]) {
        // Sort by position; the original order breaks ties so related errors stay in the order they were found.
        self.errors = errors.enumerated()
            .sorted {
                ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
            }
            .map(\.element)
    }

    /// One error per line.
    package var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// Something in the config that works but deserves the operator's attention (a literal API key, an unset
/// environment variable that makes a provider target unavailable).
package struct ConfigWarning: CustomStringConvertible, Sendable, Equatable {
    package var file: String
    package var line: Int
    package var column: Int
    package var keyPath: String
    package var message: String

    /// `FILE:LINE:COLUMN: KEYPATH: MESSAGE`, the same layout as `ConfigError`.
    package var description: String {
        "\(file):\(line):\(column): " + (keyPath.isEmpty ? "" : "\(keyPath): ") + message
    }
}
