import GatewayWire

/// The config `gatewayhost` runs without `--config`: the built-in echo provider (no network, no key) and
/// an empty policy chain, listening on 127.0.0.1:8080. The repository's policy-config.yaml is the same
/// plus the example policies.
package enum BuiltinConfig {
    package static let yaml = """
        pack:
          name: builtin-default
          version: 1.0.0
        policies:
          chain: []
        providers:
          strategy: single
          targets:
            - id: echo
              provider: echo
              model: gpt-4o-mini
              description: Answers locally with the last user message; needs no key and no network.
        gateway:
          listen: 127.0.0.1:8080
          plugins_dir: plugins.d
        """
}
