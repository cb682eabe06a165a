import GatewayWire

/// `secret_key_ref: {env: NAME}`, resolved against the injected environment at load time.
extension ConfigDecoder {
    /// Where a secret reference led.
    package enum SecretLookup {
        case resolved(name: String, secret: Secret)
        /// The variable is named correctly but has no usable value; `reason` is user-facing.
        case unavailable(name: String, reason: String, node: YAMLNode, path: String)
        /// The reference itself is malformed (already reported).
        case invalid
    }

    package func decodeSecretRef(_ node: YAMLNode, _ path: String) -> SecretLookup {
        // A plain string is the most common mistake (`secret_key_ref: OPENAI_API_KEY`, or the key itself); the
        // reference demands the object form so the source of the secret is always explicit. Nothing under
        // this key is ever quoted back: it may be the secret itself.
        guard node.mappingEntries != nil else {
            diagnostics.error(
                node, path,
                "expected an object {env: NAME}, got \(Self.shape(of: node)) (its value is not shown: it may be a"
                    + " secret); put the key in an environment variable and write secret_key_ref: {env: NAME}")
            return .invalid
        }
        guard let reader = mapping(node, path, expected: "an object {env: NAME}", keys: ["env", "store"]) else {
            return .invalid
        }
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
                "expected an environment variable name (letters, digits, '_', '.' and '-'), got"
                    + " \(Self.shape(of: value)) (its value is not shown: it may be a secret)")
            return .invalid
        }
        guard !Self.looksLikeKey(name) else {
            diagnostics.error(
                value, envPath,
                "this looks like an API key, not the name of the environment variable that holds it (the value is"
                    + " not shown); put the key in a variable and name it here, e.g. {env: OPENAI_API_KEY}")
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

    /// What kind of value a node holds, without its text (for errors about values that may be secrets).
    package static func shape(of node: YAMLNode) -> String {
        switch node.content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, _): return text.isEmpty ? "an empty value" : "a string of \(text.count) characters"
        }
    }

    /// Whether an `env` name is more likely a key pasted in its place: the well-known key prefixes, or a
    /// long run of mixed-case letters and digits that no one names a variable with.
    package static func looksLikeKey(_ text: String) -> Bool {
        let lowered = text.lowercased()
        let prefixes = ["sk-", "sk_", "pk-", "rk-", "sess-", "xai-", "gsk_", "akia", "aiza", "ghp_", "hf_"]
        if prefixes.contains(where: lowered.hasPrefix) { return true }
        let hasLower = text.utf8.contains { $0 >= 97 && $0 <= 122 }
        let hasUpper = text.utf8.contains { $0 >= 65 && $0 <= 90 }
        let digits = text.utf8.filter { $0 >= 48 && $0 <= 57 }.count
        return text.count >= 24 && hasLower && hasUpper && digits >= 4
    }

    /// `[A-Za-z0-9_.-]+`, the character set the reference allows for config-variable names.
    package static func isEnvironmentName(_ text: String) -> Bool {
        !text.isEmpty
            && text.utf8.allSatisfy { ConfigText.isLetterOrDigit($0) || Array("_.-".utf8).contains($0) }
    }
}
