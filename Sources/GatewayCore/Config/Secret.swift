import GatewayWire

/// A secret value (an API key) that refuses to be printed.
///
/// `description`, `debugDescription` and the reflection mirror all show `<redacted>`, so the secret cannot leak
/// through string interpolation, `print`, `dump`, or a model value logged with `String(describing:)`. Code that
/// really needs the value (building an upstream header) asks for `reveal`, which is easy to grep for.
package struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    package init(_ value: String) {
        self.value = value
    }

    /// The secret itself. Use only where the value leaves the process on purpose.
    package var reveal: String { value }

    package var description: String { "<redacted>" }
    package var debugDescription: String { "<redacted>" }
    package var customMirror: Mirror { Mirror(self, children: [], displayStyle: nil) }
}
