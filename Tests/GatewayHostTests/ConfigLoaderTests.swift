import Foundation
import Testing

@testable import GatewayCore
@testable import GatewayWire

@Suite struct ConfigLoaderTests {
    static let fullConfig = """
        pack:
          name: acme-gateway
          version: 2.1.0-beta.1
          enabled: false
          description: Everything set
        policies:
          chain: [prompt-injection, pii-detector, audit-logger]
        policy:
          pii-detector:
            plugin:
              file: vendor/pii.so
              sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
              on_error: fail_open
              timeout_ms: 50
            entities: [email, phone]
            threshold: 0.85
          audit-logger:
            plugin: {file: /opt/plugins/audit.so}
          prompt-injection:
        providers:
          strategy: weighted_round_robin
          targets:
            - id: openai-gpt4o
              provider: openai
              model: gpt-4o
              base_url: https://api.openai.com/v1
              secret_key_ref: {env: OPENAI_API_KEY}
              api_key_header: Authorization
              api_key_prefix: "Bearer "
              timeout_seconds: 30
              stream_timeout_seconds: 120.5
              max_context_tokens: 128000
              max_messages: 50
              headers: {OpenAI-Organization: org-1, X-Trace: 123}
              format: openai
              provider_type: openai
              description: primary
              weight: 3
              data_policy: {zero_data_retention: true, training_opt_out: true, retention_days: 0}
              pricing: {prompt: 2.5, completion: 10}
              data_collection: deny
              zdr: true
              region: us
              health_probe: {path: /health, interval_seconds: 10}
            - id: azure
              provider: azure-openai
              model: gpt-4o-deploy
              base_url: http://localhost:9999
              secret_key_ref: {env: AZURE_KEY}
              api_key_header: api-key
              api_key_prefix: ""
              api_version: 2024-06-01
              weight: 0
            - id: claude
              provider: anthropic:chat:claude-3-5-sonnet-20241022
              format: anthropic
              secret_key_ref: {env: ANTHROPIC_API_KEY}
        gateway:
          listen: 0.0.0.0:41002
          plugins_dir: ../plugins
          max_body_bytes: 1048576
          max_header_bytes: 8192
          request_timeout_seconds: 90
          policy_threads: 4
          upstream_threads: 2
          client_keys:
            - id: team-a
              secret_key_ref: {env: TEAM_A_KEY}
          log_level: debug
        """

    static let fullEnvironment = [
        "OPENAI_API_KEY": "sk-openai", "AZURE_KEY": "az-key", "ANTHROPIC_API_KEY": "sk-ant", "TEAM_A_KEY": "team-a-key",
    ]

    @Test func fullConfigLoadsIntoTheModel() throws {
        let loaded = try ConfigFixture.load(Self.fullConfig, environment: Self.fullEnvironment)
        #expect(loaded.warnings.isEmpty)
        #expect(loaded.file == "test.yaml")
        let config = loaded.config
        #expect(
            config.pack
                == PackConfig(
                    name: "acme-gateway", version: "2.1.0-beta.1", enabled: false, description: "Everything set"))
        #expect(config.chain == ["prompt-injection", "pii-detector", "audit-logger"])
        #expect(
            config.policies["pii-detector"]
                == PolicySettings(
                    name: "pii-detector", pluginFile: "/etc/plugins/vendor/pii.so",
                    sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", onError: .failOpen,
                    timeoutMs: 50, configJSON: #"{"entities":["email","phone"],"threshold":0.85}"#, line: 9, column: 3))
        #expect(
            config.policies["audit-logger"]
                == PolicySettings(
                    name: "audit-logger", pluginFile: "/opt/plugins/audit.so", sha256: nil, onError: .failClosed,
                    timeoutMs: 200, configJSON: "{}", line: 17, column: 3))
        // A bare `prompt-injection:` key means default settings, positioned at that key.
        #expect(
            config.policies["prompt-injection"]
                == PolicySettings(
                    name: "prompt-injection", pluginFile: "/etc/plugins/prompt-injection.so", sha256: nil,
                    onError: .failClosed, timeoutMs: 200, configJSON: "{}", line: 19, column: 3))
        #expect(config.providers.strategy == .weightedRoundRobin)
        #expect(config.providers.targets.count == 3)
        #expect(
            config.providers.targets[0]
                == TargetConfig(
                    id: "openai-gpt4o", provider: "openai", model: "gpt-4o", baseURL: "https://api.openai.com/v1",
                    secretEnvName: "OPENAI_API_KEY", secret: Secret("sk-openai"), unavailableReason: nil,
                    apiKeyHeader: "Authorization", apiKeyPrefix: "Bearer ", apiVersion: nil, timeoutSeconds: 30,
                    streamTimeoutSeconds: 120.5, maxContextTokens: 128_000, maxMessages: 50,
                    headers: ["OpenAI-Organization": "org-1", "X-Trace": "123"], format: .openai,
                    providerType: "openai", description: "primary", weight: 3,
                    dataPolicy: DataPolicyConfig(zeroDataRetention: true, trainingOptOut: true, retentionDays: 0),
                    pricing: PricingConfig(prompt: 2.5, completion: 10), dataCollection: .deny, zdr: true, region: "us",
                    healthProbe: HealthProbeConfig(path: "/health", intervalSeconds: 10, timeoutSeconds: 5), line: 23,
                    column: 7))
        #expect(
            config.providers.targets[1]
                == TargetConfig(
                    id: "azure", provider: "azure-openai", model: "gpt-4o-deploy", baseURL: "http://localhost:9999",
                    secretEnvName: "AZURE_KEY", secret: Secret("az-key"), unavailableReason: nil,
                    apiKeyHeader: "api-key", apiKeyPrefix: "", apiVersion: "2024-06-01", timeoutSeconds: 60,
                    streamTimeoutSeconds: nil, maxContextTokens: nil, maxMessages: nil, headers: [:], format: .openai,
                    providerType: nil, description: nil, weight: 0, dataPolicy: nil, pricing: nil,
                    dataCollection: nil, zdr: false, region: nil, healthProbe: nil, line: 45, column: 7))
        let claude = config.providers.targets[2]
        #expect(claude.provider == "anthropic:chat:claude-3-5-sonnet-20241022")
        #expect(claude.model == nil)
        #expect(claude.format == .anthropic)
        #expect(claude.secret == Secret("sk-ant"))
        #expect(
            config.gateway
                == GatewaySection(
                    listenHost: "0.0.0.0", listenPort: 41002, pluginsDir: "/etc/plugins", maxBodyBytes: 1_048_576,
                    maxHeaderBytes: 8192, requestTimeoutSeconds: 90, policyThreads: 4, upstreamThreads: 2,
                    clientKeys: [ClientKey(id: "team-a", secret: Secret("team-a-key"))], logLevel: .debug,
                    dataDir: "/etc/gw/data"))
    }

    @Test func minimalConfigGetsEveryDefault() throws {
        let config = try ConfigFixture.load(ConfigFixture.minimal).config
        #expect(config.pack == PackConfig(name: "demo", version: "1.0.0", enabled: true, description: nil))
        #expect(config.chain.isEmpty)
        #expect(config.policies.isEmpty)
        #expect(config.providers.strategy == .single)
        #expect(
            config.providers.targets
                == [
                    TargetConfig(
                        id: "a", provider: nil, model: "m", baseURL: nil, secretEnvName: nil, secret: nil,
                        unavailableReason: nil, apiKeyHeader: nil, apiKeyPrefix: nil, apiVersion: nil,
                        timeoutSeconds: 60, streamTimeoutSeconds: nil, maxContextTokens: nil, maxMessages: nil,
                        headers: [:], format: .openai, providerType: nil, description: nil, weight: 1.0,
                        dataPolicy: nil, pricing: nil, dataCollection: nil, zdr: false, region: nil,
                        healthProbe: nil, line: 5, column: 7)
                ])
        #expect(config.providers.targets[0].effectiveStreamTimeoutSeconds == 60)
        #expect(
            config.gateway
                == GatewaySection(
                    listenHost: "127.0.0.1", listenPort: 8080, pluginsDir: "/etc/gw/plugins.d",
                    maxBodyBytes: 4_194_304, maxHeaderBytes: 16_384, requestTimeoutSeconds: 300, policyThreads: 0,
                    upstreamThreads: 1, clientKeys: [], logLevel: .info, dataDir: "/etc/gw/data"))
    }

    @Test func chainEntryWithoutSettingsGetsDefaultsAtItsChainPosition() throws {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies:
              chain:
                - audit-logger
            providers:
              targets:
                - {id: a, model: m}
            gateway:
              plugins_dir: /srv/plugins/
            """
        let policy = try #require(try ConfigFixture.load(yaml).config.policies["audit-logger"])
        #expect(
            policy
                == PolicySettings(
                    name: "audit-logger", pluginFile: "/srv/plugins/audit-logger.so", sha256: nil, onError: .failClosed,
                    timeoutMs: 200, configJSON: "{}", line: 4, column: 7))
    }

    @Test func stringFieldsAcceptPlainScalarsVerbatim() throws {
        let yaml = """
            pack: {name: 123, version: 1.0.0}
            policies: {chain: []}
            providers:
              targets:
                - {id: 42, model: true, region: 0x10}
            """
        let config = try ConfigFixture.load(yaml).config
        #expect(config.pack.name == "123")
        #expect(config.providers.targets[0].id == "42")
        #expect(config.providers.targets[0].model == "true")
        #expect(config.providers.targets[0].region == "0x10")
    }

    @Test func listenAcceptsIPv6AndPortZero() throws {
        #expect(ConfigDecoder.parseListen("[::1]:8080")! == ("::1", 8080))
        #expect(ConfigDecoder.parseListen("localhost:0")! == ("localhost", 0))
        #expect(ConfigDecoder.parseListen("0.0.0.0:65535")! == ("0.0.0.0", 65535))
        #expect(ConfigDecoder.parseListen("127.0.0.1:65536") == nil)
        #expect(ConfigDecoder.parseListen("::1:8080") == nil)
        #expect(ConfigDecoder.parseListen("[::1]8080") == nil)
        #expect(ConfigDecoder.parseListen(":8080") == nil)
        #expect(ConfigDecoder.parseListen("host:") == nil)
    }

    // MARK: - Secrets

    @Test func missingProviderSecretIsAWarningAndMarksTheTargetUnavailable() throws {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies: {chain: []}
            providers:
              strategy: fallback
              targets:
                - id: primary
                  model: gpt-4o
                  secret_key_ref: {env: OPENAI_API_KEY}
                - id: backup
                  model: gpt-4o
                  secret_key_ref: {env: BACKUP_KEY}
            """
        let loaded = try ConfigFixture.load(yaml, environment: ["BACKUP_KEY": "sk-backup", "OTHER": "x"])
        let warnings = loaded.warnings
        let primary = loaded.config.providers.targets[0]
        #expect(primary.secret == nil)
        #expect(primary.secretEnvName == "OPENAI_API_KEY")
        #expect(primary.unavailableReason == "environment variable OPENAI_API_KEY is not set")
        #expect(loaded.config.providers.targets[1].secret?.reveal == "sk-backup")
        #expect(loaded.config.providers.targets[1].unavailableReason == nil)
        #expect(
            warnings.map(\.description) == [
                "test.yaml:8:29: providers.targets[0].secret_key_ref.env: environment variable OPENAI_API_KEY is not"
                    + " set; target 'primary' is unavailable"
            ])
    }

    @Test func emptyEnvironmentVariableIsTreatedAsUnavailable() throws {
        let yaml = ConfigFixture.minimal.replacingOccurrences(
            of: "{id: a, model: m}", with: "{id: a, model: m, secret_key_ref: {env: KEY}}")
        let loaded = try ConfigFixture.load(yaml, environment: ["KEY": ""])
        #expect(loaded.config.providers.targets[0].unavailableReason == "environment variable KEY is set but empty")
        #expect(loaded.warnings.count == 1)
    }

    @Test func literalApiKeyIsAcceptedWithAWarning() throws {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies: {chain: []}
            providers:
              targets:
                - id: a
                  model: m
                  api_key: sk-literal
            """
        let loaded = try ConfigFixture.load(yaml)
        #expect(loaded.config.providers.targets[0].secret?.reveal == "sk-literal")
        #expect(loaded.config.providers.targets[0].secretEnvName == nil)
        #expect(
            loaded.warnings.map(\.description) == [
                "test.yaml:7:16: providers.targets[0].api_key: api_key keeps the secret in the config file;"
                    + " prefer secret_key_ref: {env: NAME}"
            ])
    }

    @Test func secretsNeverAppearInDescriptionsOrDumps() throws {
        let loaded = try ConfigFixture.load(Self.fullConfig, environment: Self.fullEnvironment)
        var dumped = ""
        dump(loaded, to: &dumped)
        let renderings = [
            String(describing: loaded), String(reflecting: loaded), "\(loaded.config)", dumped,
            String(describing: loaded.config.providers.targets[0].secret), "\(loaded.config.gateway.clientKeys)",
        ]
        for text in renderings {
            for secret in Self.fullEnvironment.values {
                #expect(!text.contains(secret), "secret leaked into: \(text)")
            }
        }
        #expect(dumped.contains("<redacted>"))
        let secret = Secret("hunter2")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        #expect(secret.reveal == "hunter2")
    }

    // MARK: - Files

    @Test func loadReadsTheFileAndResolvesPathsAgainstItsFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/policy-config.yaml"
        try ConfigFixture.minimal.write(toFile: path, atomically: true, encoding: .utf8)
        let loaded = try ConfigLoader.load(path: path, environment: [:])
        #expect(loaded.file == path)
        #expect(loaded.config.gateway.pluginsDir == Paths.normalize(folder + "/plugins.d"))
    }

    @Test func missingFileIsAnErrorWithoutPosition() {
        #expect {
            try ConfigLoader.load(path: "/nonexistent/gw.yaml", environment: [:])
        } throws: { error in
            (error as? ConfigErrors)?.description
                == "/nonexistent/gw.yaml:0:0: cannot read the config file: no such file"
        }
    }

    @Test func directoryIsNotAConfigFile() {
        #expect {
            try ConfigLoader.load(path: "/tmp", environment: [:])
        } throws: { error in
            (error as? ConfigErrors)?.description == "/tmp:0:0: cannot read the config file: it is a directory"
        }
    }

    // MARK: - Error values

    @Test func errorDescriptionFormat() {
        var error = ConfigError(
            file: "gw.yaml", line: 3, column: 5, keyPath: "providers.targets[0].timeout_second",
            message: "unknown key 'timeout_second'", suggestion: "timeout_seconds")
        #expect(
            error.description
                == "gw.yaml:3:5: providers.targets[0].timeout_second: unknown key 'timeout_second'"
                + " (did you mean 'timeout_seconds'?)")
        error.suggestion = nil
        error.keyPath = ""
        #expect(error.description == "gw.yaml:3:5: unknown key 'timeout_second'")
        let errors = ConfigErrors([
            ConfigError(file: "f", line: 9, column: 1, keyPath: "b", message: "second"),
            ConfigError(file: "f", line: 2, column: 7, keyPath: "a", message: "first"),
        ])
        #expect(errors.description == "f:2:7: a: first\nf:9:1: b: second")
    }

    @Test func suggestions() {
        let keys = ConfigDecoder.targetKeys
        #expect(DidYouMean.closest(to: "timeout_second", among: keys) == "timeout_seconds")
        #expect(DidYouMean.closest(to: "modle", among: keys) == "model")
        #expect(DidYouMean.closest(to: "Base_URL", among: keys) == "base_url")
        #expect(DidYouMean.closest(to: "health", among: keys) == "health_probe")
        #expect(DidYouMean.closest(to: "xyz", among: keys) == nil)
        #expect(DidYouMean.closest(to: "ab", among: ["id"]) == nil)
        #expect(DidYouMean.editDistance(Array("fromat"), Array("format")) == 1)
        #expect(DidYouMean.editDistance(Array("kitten"), Array("sitting")) == 3)
    }

    /// Every routing, context and data-policy key acts now: none is merely accepted with a warning.
    @Test func routingContextAndDataPolicyKeysLoadWithoutWarnings() throws {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies: {chain: []}
            providers:
              strategy: fallback
              targets:
                - id: a
                  model: m
                  weight: 2
                  max_context_tokens: 1000
                  max_messages: 10
                  zdr: true
                  data_policy: {training_opt_out: true}
                  pricing: {prompt: 1, completion: 2}
                  health_probe: {path: /health}
                - {id: b, model: m}
            """
        #expect(try ConfigFixture.load(yaml).warnings.isEmpty)
        // The same config without those keys loads without a warning.
        #expect(try ConfigFixture.load(ConfigFixture.minimal).warnings.isEmpty)
    }
}
