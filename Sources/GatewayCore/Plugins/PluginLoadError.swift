import GatewayWire

/// Why a policy plugin could not be loaded. Every case renders as one line that names the file and the
/// reason, because the operator reading it has nothing else to go on: the gateway refuses to start.
package struct PluginLoadError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The plugin file as the operator configured it (or as found in the plugins folder).
    package let file: String
    /// The policy (chain entry) that wanted it, when known.
    package let policy: String?
    package let reason: String

    package var description: String {
        if let policy { return "\(file): policy '\(policy)': \(reason)" }
        return "\(file): \(reason)"
    }
}
