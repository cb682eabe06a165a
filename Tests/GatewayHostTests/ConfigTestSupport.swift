@testable import GatewayCore
@testable import GatewayWire

/// Shared helpers for the config loader tests: configs are inline strings, "loaded" from `/etc/gw/test.yaml`.
enum ConfigFixture {
    static let file = "test.yaml"
    static let baseDirectory = "/etc/gw"

    /// The smallest valid config; malformed-config tests start from it so each one shows a single mistake.
    static let minimal = """
        pack: {name: demo, version: 1.0.0}
        policies: {chain: []}
        providers:
          targets:
            - {id: a, model: m}
        """

    static func load(_ yaml: String, environment: [String: String] = [:]) throws(ConfigErrors) -> LoadedConfig {
        try ConfigLoader.parse(text: yaml, file: file, baseDirectory: baseDirectory, environment: environment)
    }

    /// The description of every error the config produces; a config that loads gives a marker that no
    /// expected error list can equal, so the test fails loudly.
    static func errors(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        do {
            _ = try load(yaml, environment: environment)
            return ["<loaded without errors>"]
        } catch {
            return error.errors.map(\.description)
        }
    }
}
