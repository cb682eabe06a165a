/// Why a policy plugin could not be loaded. Every case renders as one line that names the file and the
/// reason, because the operator reading it has nothing else to go on: the gateway refuses to start.
struct PluginLoadError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The plugin file as the operator configured it (or as found in the plugins folder).
    let file: String
    /// The policy (chain entry) that wanted it, when known.
    let policy: String?
    let reason: String

    var description: String {
        if let policy { return "\(file): policy '\(policy)': \(reason)" }
        return "\(file): \(reason)"
    }
}
