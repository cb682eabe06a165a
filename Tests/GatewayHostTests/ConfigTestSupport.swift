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

extension ConfigFixture {
    /// A target config with every optional field empty, for tests that build targets directly.
    static func targetConfig(id: String, model: String = "m") -> TargetConfig {
        TargetConfig(
            id: id, provider: "openai-compatible", model: model, baseURL: "http://127.0.0.1:9/v1", secretEnvName: nil,
            secret: nil, unavailableReason: nil, apiKeyHeader: nil, apiKeyPrefix: nil, apiVersion: nil,
            timeoutSeconds: 1, streamTimeoutSeconds: nil, maxContextTokens: nil, maxMessages: nil, headers: [:],
            format: .openai, providerType: nil, description: nil, weight: 1, dataPolicy: nil, pricing: nil,
            dataCollection: nil, zdr: false, region: nil, healthProbe: nil, line: 1, column: 1)
    }
}
