import GatewayWire

/// A validated policy-config.yaml, with every default filled in and every secret resolved.
package struct GatewayConfig: Sendable, Equatable {
    package var pack: PackConfig
    /// Policy names in execution order (`policies.chain`).
    package var chain: [String]
    /// Settings for every chain entry (defaults when the file has no `policy.<name>` section), keyed by name.
    package var policies: [String: PolicySettings]
    package var providers: ProvidersConfig
    package var gateway: GatewaySection
    /// `model_groups`, in file order.
    package var modelGroups: [ModelGroupConfig] = []
    /// Top-level `limits`, `budget` and `state`.
    package var usage = UsageSettings()
}

/// `pack:`, the identity of the policy pack (shown by the config endpoint and in logs).
package struct PackConfig: Sendable, Equatable {
    package var name: String
    /// Semver-ish `x.y.z` (pre-release/build suffixes allowed).
    package var version: String
    package var enabled: Bool
    package var description: String?
}

/// The result of loading a config file: the model plus the warnings worth logging at startup.
package struct LoadedConfig: Sendable, Equatable {
    package var config: GatewayConfig
    /// Sorted by position.
    package var warnings: [ConfigWarning]
    /// The file name used in messages (the path as given to the loader).
    package var file: String
}
