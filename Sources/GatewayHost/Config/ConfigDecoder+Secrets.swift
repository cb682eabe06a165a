/// `secret_key_ref: {env: NAME}`, resolved against the injected environment at load time.
extension ConfigDecoder {
    /// Where a secret reference led.
    enum SecretLookup {
        case resolved(name: String, secret: Secret)
        /// The variable is named correctly but has no usable value; `reason` is user-facing.
        case unavailable(name: String, reason: String, node: YAMLNode, path: String)
        /// The reference itself is malformed (already reported).
        case invalid
    }

    func decodeSecretRef(_ node: YAMLNode, _ path: String) -> SecretLookup {
        // A plain string is the most common mistake (`secret_key_ref: OPENAI_API_KEY`); the reference demands
        // the object form so the source of the secret is always explicit.
        guard
            let reader = mapping(node, path, expected: "an object {env: NAME}", keys: ["env", "store"])
        else { return .invalid }
        if let store = reader.value("store") {
            diagnostics.error(
                reader.entries.first { $0.key.scalarText == "store" }?.key ?? store, reader.path("store"),
                "secret stores are not supported by gatewayhost; use {env: NAME} to read the secret from the"
                    + " environment")
            return .invalid
        }
        guard let value = reader.required("env", diagnostics) else { return .invalid }
        let envPath = reader.path("env")
        guard let name = value.scalarText, !value.isNull, Self.isEnvironmentName(name) else {
            diagnostics.error(
                value, envPath,
                "expected an environment variable name (letters, digits, '_', '.' and '-'), got \(describe(value))")
            return .invalid
        }
        guard let secret = environment[name] else {
            return .unavailable(
                name: name, reason: "environment variable \(name) is not set", node: value, path: envPath)
        }
        guard !secret.isEmpty else {
            return .unavailable(
                name: name, reason: "environment variable \(name) is set but empty", node: value, path: envPath)
        }
        return .resolved(name: name, secret: Secret(secret))
    }

    /// `[A-Za-z0-9_.-]+`, the character set the reference allows for config-variable names.
    static func isEnvironmentName(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { ConfigText.isLetterOrDigit($0) || Array("_.-".utf8).contains($0) }
    }
}
