import Testing

@testable import GatewayCore
@testable import GatewayWire

/// Each test feeds one broken config and asserts the complete error list: file, line, column, key path, message
/// and suggestion, through `ConfigError.description`.
@Suite struct ConfigMalformedTests {
    private func expectErrors(
        _ yaml: String, _ expected: [String], environment: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(ConfigFixture.errors(yaml, environment: environment) == expected, sourceLocation: sourceLocation)
    }

    /// The minimal config with a block-style target; `lines` start at line 7, column 7, inside targets[0].
    private func withTarget(_ lines: String) -> String {
        """
        pack: {name: demo, version: 1.0.0}
        policies: {chain: []}
        providers:
          targets:
            - id: a
              model: m

        """ + indent(lines, by: 6)
    }

    /// The minimal config plus a `gateway:` section (line 6); `lines` start at line 7, column 3.
    private func withGateway(_ lines: String) -> String {
        ConfigFixture.minimal + "\ngateway:\n" + indent(lines, by: 2)
    }

    /// A config whose chain is `[pii]` with `policy.pii` at line 7; `lines` start at line 8, column 5.
    private func withPolicy(_ lines: String) -> String {
        """
        pack: {name: demo, version: 1.0.0}
        policies: {chain: [pii]}
        providers:
          targets:
            - {id: a, model: m}
        policy:
          pii:

        """ + indent(lines, by: 4)
    }

    private func indent(_ lines: String, by width: Int) -> String {
        lines.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String(repeating: " ", count: width) + $0 }.joined(separator: "\n")
    }

    // MARK: - Unknown and unsupported keys

    @Test func unknownTopLevelKeyWithNearMiss() {
        expectErrors(
            ConfigFixture.minimal + "\ngatewy:\n  listen: 127.0.0.1:8080",
            ["test.yaml:6:1: gatewy: unknown key 'gatewy' (did you mean 'gateway'?)"])
    }

    @Test func misspeltRequiredSectionReportsBothErrorsSortedByPosition() {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            polices: {chain: []}
            providers:
              targets:
                - {id: a, model: m}
            """
        expectErrors(
            yaml,
            [
                "test.yaml:1:1: missing required key 'policies'",
                "test.yaml:2:1: polices: unknown key 'polices' (did you mean 'policies'?)",
            ])
    }

    @Test func agentsAndTestingSectionsAreNotSupported() {
        let valid = "(valid keys: pack, policies, policy, providers, gateway, model_groups, limits, budget, state)"
        expectErrors(
            ConfigFixture.minimal + "\nagents: {support-bot: {max_cost: 1}}\ntesting: {}",
            [
                "test.yaml:6:1: agents: key 'agents' is not supported by gatewayhost \(valid)",
                "test.yaml:7:1: testing: key 'testing' is not supported by gatewayhost \(valid)",
            ])
    }

    @Test func unknownTargetKeyNearMiss() {
        expectErrors(
            withTarget("timeout_second: 30"),
            [
                "test.yaml:7:7: providers.targets[0].timeout_second: unknown key 'timeout_second'"
                    + " (did you mean 'timeout_seconds'?)"
            ])
    }

    @Test func unknownKeyWithoutNearMissListsTheValidKeys() {
        expectErrors(
            withGateway("colour: blue"),
            [
                "test.yaml:7:3: gateway.colour: unknown key 'colour' (valid keys: listen, plugins_dir, max_body_bytes,"
                    + " max_header_bytes, request_timeout_seconds, policy_threads, upstream_threads, client_keys,"
                    + " log_level, client_header_timeout_seconds, client_body_timeout_seconds, max_connections,"
                    + " max_inflight_requests, max_header_count, shutdown_grace_seconds, stream_max_seconds, admin_keys, log_format, access_log, metrics, tracing, data_dir,"
                    + " inline_hooks, inline_hook_budget_us)"
            ])
    }

    @Test func unknownPluginKeyAndTimeoutOutOfRange() {
        expectErrors(
            withPolicy("plugin:\n  timeout_ms: 60001\n  sha265: abc"),
            [
                "test.yaml:9:19: policy.pii.plugin.timeout_ms: expected an integer from 1 to 60000, got '60001'",
                "test.yaml:10:7: policy.pii.plugin.sha265: unknown key 'sha265' (did you mean 'sha256'?)",
            ])
    }

    // MARK: - Wrong types and values

    @Test func timeoutThatIsNotANumber() {
        expectErrors(
            withTarget("timeout_seconds: abc"),
            ["test.yaml:7:24: providers.targets[0].timeout_seconds: expected a number greater than 0, got 'abc'"])
    }

    @Test func quotedNumberIsAString() {
        expectErrors(
            withTarget(#"timeout_seconds: "60""#),
            [
                "test.yaml:7:24: providers.targets[0].timeout_seconds: expected a number greater than 0,"
                    + " got the quoted string '60'"
            ])
    }

    @Test func zeroTimeoutAndFractionalTokenLimit() {
        expectErrors(
            withTarget("timeout_seconds: 0\nmax_context_tokens: 1.5"),
            [
                "test.yaml:7:24: providers.targets[0].timeout_seconds: expected a number greater than 0, got '0'",
                "test.yaml:8:27: providers.targets[0].max_context_tokens: expected an integer greater than 0,"
                    + " got '1.5'",
            ])
    }

    @Test func negativeWeight() {
        expectErrors(
            withTarget("weight: -1"),
            ["test.yaml:7:15: providers.targets[0].weight: expected a number greater than or equal to 0, got '-1'"])
    }

    @Test func badStrategyWithSuggestion() {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies: {chain: []}
            providers:
              strategy: fallbak
              targets:
                - {id: a, model: m}
            """
        expectErrors(
            yaml,
            [
                "test.yaml:4:13: providers.strategy: expected single, fallback, latency, weighted_round_robin or cost,"
                    + " got 'fallbak' (did you mean 'fallback'?)"
            ])
    }

    @Test func badOnError() {
        expectErrors(
            withPolicy("plugin:\n  on_error: fail_close"),
            [
                "test.yaml:9:17: policy.pii.plugin.on_error: expected fail_closed or fail_open, got 'fail_close'"
                    + " (did you mean 'fail_closed'?)"
            ])
    }

    @Test func badSha256() {
        expectErrors(
            withPolicy("plugin: {sha256: E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855}"),
            [
                "test.yaml:8:22: policy.pii.plugin.sha256: expected 64 lowercase hexadecimal characters"
                    + " (a SHA-256 digest), got 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7...'"
            ])
    }

    @Test func badBaseURLScheme() {
        expectErrors(
            withTarget("base_url: ftp://example.com/v1"),
            [
                "test.yaml:7:17: providers.targets[0].base_url: expected a URL starting with http:// or https://,"
                    + " got 'ftp://example.com/v1'"
            ])
    }

    @Test func headerValueThatIsNotAString() {
        expectErrors(
            withTarget("headers:\n  X-Org: {name: acme}"),
            ["test.yaml:8:16: providers.targets[0].headers.X-Org: expected a string header value, got a mapping"])
    }

    @Test func badHeaderNameAndHeaderInjection() {
        expectErrors(
            withTarget(#"headers: {"Bad Header": x, X-Ok: "a\nb"}"#),
            [
                "test.yaml:7:17: providers.targets[0].headers.Bad Header: expected an HTTP header name (letters,"
                    + " digits and !#$%&'*+-.^_`|~), got the quoted string 'Bad Header'",
                #"test.yaml:7:40: providers.targets[0].headers.X-Ok: expected a header value without line breaks,"#
                    + #" got the quoted string 'a\nb'"#,
            ])
    }

    @Test func listInAStringField() {
        expectErrors(
            withTarget("region: [eu, us]"),
            ["test.yaml:7:15: providers.targets[0].region: expected a non-empty string, got a list"])
    }

    @Test func badListenAddress() {
        expectErrors(
            withGateway("listen: localhost"),
            [
                "test.yaml:7:11: gateway.listen: expected host:port with a port from 0 to 65535 (like 127.0.0.1:8080"
                    + " or [::1]:8080), got 'localhost'"
            ])
    }

    @Test func maxBodyBytesTooSmall() {
        expectErrors(
            withGateway("max_body_bytes: 100"),
            ["test.yaml:7:19: gateway.max_body_bytes: expected an integer greater than or equal to 1024, got '100'"])
    }

    @Test func logLevelPrefixSuggestion() {
        expectErrors(
            withGateway("log_level: warn"),
            [
                "test.yaml:7:14: gateway.log_level: expected trace, debug, info, notice, warning, error or critical,"
                    + " got 'warn' (did you mean 'warning'?)"
            ])
    }

    @Test func unknownDataCollectionValue() {
        expectErrors(
            withTarget("data_collection: maybe"),
            ["test.yaml:7:24: providers.targets[0].data_collection: expected allow or deny, got 'maybe'"])
    }

    @Test func yamlOneOneBooleansAreRejected() {
        expectErrors(
            withTarget("zdr: yes\ndata_policy: {training_opt_out: off}"),
            [
                "test.yaml:7:12: providers.targets[0].zdr: expected true or false, got 'yes' (did you mean 'true'?)",
                "test.yaml:8:39: providers.targets[0].data_policy.training_opt_out: expected true or false,"
                    + " got 'off' (did you mean 'false'?)",
            ])
    }

    @Test func unsupportedTag() {
        expectErrors(
            withTarget("timeout_seconds: !!int 30"),
            [
                "test.yaml:7:24: providers.targets[0].timeout_seconds: YAML tag '!!int' is not supported in"
                    + " gatewayhost configs; remove it (only !!str is allowed)"
            ])
    }

    @Test func nonFiniteNumbersInPluginConfig() {
        let expected = "expected a finite number (JSON cannot represent infinity or NaN)"
        expectErrors(
            withPolicy("threshold: .inf\nlimits: [1, -.inf]"),
            [
                "test.yaml:8:16: policy.pii.threshold: \(expected), got '.inf'",
                "test.yaml:9:17: policy.pii.limits[1]: \(expected), got '-.inf'",
            ])
    }

    @Test func versionThatIsNotSemver() {
        expectErrors(
            ConfigFixture.minimal.replacingOccurrences(of: "version: 1.0.0", with: "version: 1.0"),
            ["test.yaml:1:29: pack.version: expected a version like 1.2.3, got '1.0'"])
    }

    // MARK: - Policies

    @Test func duplicateChainEntry() {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies:
              chain:
                - pii
                - audit
                - pii
            providers:
              targets:
                - {id: a, model: m}
            """
        expectErrors(
            yaml,
            [
                "test.yaml:6:7: policies.chain[2]: policy 'pii' is already in the chain (line 4, column 7);"
                    + " each policy may appear only once"
            ])
    }

    @Test func badPolicyName() {
        expectErrors(
            ConfigFixture.minimal.replacingOccurrences(of: "chain: []", with: "chain: [PII_Detector]"),
            [
                "test.yaml:2:20: policies.chain[0]: expected a policy name of lowercase letters, digits and '-'"
                    + " starting with a letter or digit, got 'PII_Detector' (did you mean 'pii-detector'?)"
            ])
    }

    @Test func chainThatIsAMapping() {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies:
              chain: {pii: true}
            providers:
              targets:
                - {id: a, model: m}
            """
        expectErrors(yaml, ["test.yaml:3:10: policies.chain: expected a list of policy names, got a mapping"])
    }

    @Test func policyConfiguredButNotInChain() {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies: {chain: [pii-detector]}
            policy:
              pii-detecter: {threshold: 0.5}
            providers:
              targets:
                - {id: a, model: m}
            """
        expectErrors(
            yaml,
            [
                "test.yaml:4:3: policy.pii-detecter: policy 'pii-detecter' is configured but not in policies.chain"
                    + " (did you mean 'pii-detector'?)"
            ])
    }

    // MARK: - Missing and empty

    @Test func missingPackName() {
        let yaml = """
            pack:
              version: 1.0.0
            policies: {chain: []}
            providers:
              targets:
                - {id: a, model: m}
            """
        expectErrors(yaml, ["test.yaml:2:3: pack: missing required key 'name'"])
    }

    @Test func missingProviders() {
        expectErrors(
            "pack: {name: demo, version: 1.0.0}\npolicies: {chain: []}",
            ["test.yaml:1:1: missing required key 'providers'"])
    }

    @Test func emptyTargets() {
        expectErrors(
            "pack: {name: demo, version: 1.0.0}\npolicies: {chain: []}\nproviders:\n  targets: []",
            ["test.yaml:4:12: providers.targets: expected a list of at least one target, got an empty list"])
    }

    @Test func missingTargetIdIsReportedAtTheTarget() {
        expectErrors(
            ConfigFixture.minimal + "\n    - model: n",
            ["test.yaml:6:7: providers.targets[1]: missing required key 'id'"])
    }

    @Test func missingModelWithoutShorthandProvider() {
        expectErrors(
            ConfigFixture.minimal.replacingOccurrences(of: "{id: a, model: m}", with: "{id: a, provider: openai}"),
            [
                "test.yaml:5:7: providers.targets[0]: missing required key 'model' (needed unless provider has the"
                    + " form provider:kind:model)"
            ])
    }

    @Test func duplicateTargetId() {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies: {chain: []}
            providers:
              strategy: fallback
              targets:
                - id: primary
                  model: m
                - id: primary
                  model: n
            """
        expectErrors(
            yaml,
            [
                "test.yaml:8:11: providers.targets[1].id: duplicate target id 'primary' (first defined at line 6,"
                    + " column 11); target ids must be unique"
            ])
    }

    @Test func emptyFile() {
        let expected = ["test.yaml:1:1: the file is empty; expected a mapping with pack, policies and providers"]
        expectErrors("", expected)
        expectErrors("# nothing but a comment\n", expected)
        expectErrors("---\n", expected)
    }

    @Test func rootThatIsAList() {
        expectErrors("- a\n- b", ["test.yaml:1:1: expected a mapping with pack, policies and providers, got a list"])
    }

    @Test func errorsFromEverySectionAreCollectedInPositionOrder() {
        let yaml = """
            pack: {name: demo, version: x}
            policies: {chain: [ok, Bad]}
            providers:
              strategy: random
              targets:
                - {id: a, model: m, weight: heavy}
            gateway: {policy_threads: -1}
            """
        expectErrors(
            yaml,
            [
                "test.yaml:1:29: pack.version: expected a version like 1.2.3, got 'x'",
                "test.yaml:2:24: policies.chain[1]: expected a policy name of lowercase letters, digits and '-'"
                    + " starting with a letter or digit, got 'Bad' (did you mean 'bad'?)",
                "test.yaml:4:13: providers.strategy: expected single, fallback, latency, weighted_round_robin or cost,"
                    + " got 'random'",
                "test.yaml:6:33: providers.targets[0].weight: expected a number greater than or equal to 0,"
                    + " got 'heavy'",
                "test.yaml:7:27: gateway.policy_threads: expected an integer from 0 to 1024, got '-1'",
            ])
    }

    // MARK: - Secrets

    @Test func secretKeyRefAsPlainString() {
        expectErrors(
            withTarget("secret_key_ref: OPENAI_API_KEY"),
            [
                "test.yaml:7:23: providers.targets[0].secret_key_ref: expected an object {env: NAME},"
                    + " got a string of 14 characters (its value is not shown: it may be a secret); put the key in"
                    + " an environment variable and write secret_key_ref: {env: NAME}"
            ])
    }

    /// A key pasted where its reference belongs is never printed back, in either place.
    @Test(arguments: [
        "secret_key_ref: sk-proj-AbCdEf0123456789xyz", "secret_key_ref: {env: sk-proj-AbCdEf0123456789xyz}",
        #"secret_key_ref: {env: "sk proj AbCdEf0123456789xyz"}"#,
        "secret_key_ref: {env: AbCdEfGhIjKlMn0123456789QrStUv}",
    ])
    func secretValuesAreNeverShownInErrors(line: String) {
        let errors = ConfigFixture.errors(withTarget(line))
        #expect(errors.count == 1)
        #expect(errors.allSatisfy { $0.contains("secret_key_ref") && $0.contains("not shown") }, "\(errors)")
        #expect(!errors.joined().contains("AbCdEf"), "\(errors)")
    }

    @Test func secretStoreIsNotSupported() {
        expectErrors(
            withTarget("secret_key_ref: {store: openai-key}"),
            [
                "test.yaml:7:24: providers.targets[0].secret_key_ref.store: secret stores are not supported by"
                    + " gatewayhost; use {env: NAME} to read the secret from the environment"
            ])
    }

    @Test func invalidEnvironmentVariableName() {
        expectErrors(
            withTarget(#"secret_key_ref: {env: "MY KEY"}"#),
            [
                "test.yaml:7:29: providers.targets[0].secret_key_ref.env: expected an environment variable name"
                    + " (letters, digits, '_', '.' and '-'), got a string of 6 characters (its value is not shown:"
                    + " it may be a secret)"
            ])
    }

    @Test func literalKeyTogetherWithSecretRef() {
        expectErrors(
            withTarget("secret_key_ref: {env: K}\napi_key: sk-x"),
            ["test.yaml:8:16: providers.targets[0].api_key: set either api_key or secret_key_ref, not both"],
            environment: ["K": "v"])
    }

    @Test func clientKeyWithMissingEnvironmentVariableIsAnError() {
        expectErrors(
            withGateway("client_keys:\n  - id: ops\n    secret_key_ref: {env: OPS_KEY}"),
            [
                "test.yaml:9:29: gateway.client_keys[0].secret_key_ref.env: environment variable OPS_KEY is not set;"
                    + " every client key must resolve when the config is loaded"
            ])
    }

    @Test func emptyClientKeyList() {
        expectErrors(
            withGateway("client_keys: []"),
            [
                "test.yaml:7:16: gateway.client_keys: expected a list of at least one client key (remove client_keys"
                    + " to turn client authentication off), got an empty list"
            ])
    }

    @Test func duplicateClientKeyId() {
        expectErrors(
            withGateway(
                "client_keys:\n  - {id: ops, secret_key_ref: {env: K1}}\n  - {id: ops, secret_key_ref: {env: K1}}"),
            [
                "test.yaml:9:12: gateway.client_keys[1].id: duplicate client key id 'ops' (first defined at line 8,"
                    + " column 12); client key ids must be unique"
            ],
            environment: ["K1": "secret"])
    }

    // MARK: - YAML structure

    @Test func duplicateMappingKey() {
        expectErrors(
            ConfigFixture.minimal + "\n  strategy: single\n  strategy: fallback",
            [
                "test.yaml:7:3: providers.strategy: duplicate key 'strategy' (first defined at line 6, column 3);"
                    + " each key may appear only once"
            ])
    }

    @Test func nonScalarKey() {
        expectErrors(
            ConfigFixture.minimal + "\n? [a, b]\n: 1", ["test.yaml:6:3: expected a scalar mapping key, got a list"])
    }

    @Test func anchorsAndAliasesAreRejected() {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies: {chain: []}
            providers:
              targets:
                - &base {id: a, model: m}
                - *base
            """
        expectErrors(
            yaml,
            [
                "test.yaml:5:7: providers.targets[0]: anchors (&base) are not supported in gatewayhost configs;"
                    + " write the value out in full",
                "test.yaml:6:7: providers.targets[1]: aliases (*base) are not supported in gatewayhost configs;"
                    + " write the value out in full",
            ])
    }

    @Test func multipleDocuments() {
        expectErrors(
            ConfigFixture.minimal + "\n---\npack: {}",
            ["test.yaml:6:1: found a second YAML document; a config file must hold exactly one"])
    }

    @Test func tabIndentationIsALibyamlSyntaxError() {
        expectErrors(
            "pack:\n  name: demo\n\tversion: 1.0.0",
            [
                "test.yaml:3:1: found a tab character that violates indentation (while scanning a plain scalar"
                    + " started at line 2, column 9)"
            ])
    }

    @Test func tabStartingALineGetsAHint() {
        expectErrors(
            "pack:\n\tname: demo",
            [
                "test.yaml:2:1: found character that cannot start any token (while scanning for the next token"
                    + " started at line 2, column 1); YAML does not allow tabs for indentation, use spaces"
            ])
    }

    @Test func controlCharacterIsAReaderErrorAtItsPosition() {
        expectErrors(
            "pack: {name: demo}\npack2: {name: \"a\u{07}b\"}",
            ["test.yaml:2:17: invalid YAML input: control characters are not allowed"])
    }

    @Test func badIndentationIsALibyamlSyntaxError() {
        expectErrors(
            "pack:\n  name: demo\n version: 1.0.0",
            ["test.yaml:3:2: did not find expected key (while parsing a block mapping started at line 1, column 1)"])
    }

    @Test func unclosedFlowSequence() {
        let yaml = """
            pack: {name: demo, version: 1.0.0}
            policies:
              chain: [a, b
            providers:
              targets:
                - {id: a, model: m}
            """
        expectErrors(
            yaml,
            [
                "test.yaml:4:10: did not find expected ',' or ']' (while parsing a flow sequence started at line 3,"
                    + " column 10)"
            ])
    }

    @Test func nestingDeeperThanTheLimitIsRefused() {
        let deep = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        #expect(
            ConfigFixture.errors("pack: \(deep)")
                == [
                    "test.yaml:1:70: pack\(String(repeating: "[0]", count: 63)): nesting deeper than 64 levels is not"
                        + " supported in gatewayhost configs"
                ])
        let allowed = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(YAMLTreeBuilder.build(text: "a: \(allowed)", file: "t").errors.isEmpty)
    }
}
