/// A validated policy-config.yaml, with every default filled in and every secret resolved.
struct GatewayConfig: Sendable, Equatable {
    var pack: PackConfig
    /// Policy names in execution order (`policies.chain`).
    var chain: [String]
    /// Settings for every chain entry (defaults when the file has no `policy.<name>` section), keyed by name.
    var policies: [String: PolicySettings]
    var providers: ProvidersConfig
    var gateway: GatewaySection
}

/// `pack:`, the identity of the policy pack (shown by the config endpoint and in logs).
struct PackConfig: Sendable, Equatable {
    var name: String
    /// Semver-ish `x.y.z` (pre-release/build suffixes allowed).
    var version: String
    var enabled: Bool
    var description: String?
}

/// The result of loading a config file: the model plus the warnings worth logging at startup.
struct LoadedConfig: Sendable, Equatable {
    var config: GatewayConfig
    /// Sorted by position.
    var warnings: [ConfigWarning]
    /// The file name used in messages (the path as given to the loader).
    var file: String
}
