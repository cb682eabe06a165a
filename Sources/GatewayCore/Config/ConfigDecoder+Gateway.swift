import GatewayWire

/// `gateway:`, gatewayhost's own section. Every field has a default; the whole section may be absent or empty.
extension ConfigDecoder {
    package static let gatewayKeys = [
        "listen", "plugins_dir", "max_body_bytes", "max_header_bytes", "request_timeout_seconds", "policy_threads",
        "upstream_threads", "client_keys", "log_level", "client_header_timeout_seconds", "client_body_timeout_seconds",
        "max_connections", "max_inflight_requests", "max_header_count", "shutdown_grace_seconds", "stream_max_seconds",
        "admin_keys", "log_format", "access_log", "metrics", "tracing", "data_dir", "inline_hooks",
        "inline_hook_budget_us",
    ]

    package func decodeGateway(_ node: YAMLNode?) -> GatewaySection {
        var gateway = GatewaySection(
            listenHost: "127.0.0.1", listenPort: 8080, pluginsDir: Paths.resolve("plugins.d", against: baseDirectory),
            maxBodyBytes: 4_194_304, maxHeaderBytes: 16_384, requestTimeoutSeconds: 300, policyThreads: 0,
            upstreamThreads: 1, clientKeys: [], logLevel: .info)
        gateway.dataDir = Paths.resolve("data", against: baseDirectory)
        guard let node, !node.isNull,
            let reader = mapping(node, "gateway", expected: "a mapping of gateway settings", keys: Self.gatewayKeys)
        else { return gateway }
        if let value = reader.value("listen"), let address = listenAddress(value, reader.path("listen")) {
            (gateway.listenHost, gateway.listenPort) = address
        }
        if let value = reader.value("plugins_dir"),
            let dir = string(value, reader.path("plugins_dir"), expected: "a folder path", nonEmpty: true)
        {
            gateway.pluginsDir = Paths.resolve(dir, against: baseDirectory)
        }
        if let value = reader.value("max_body_bytes") {
            gateway.maxBodyBytes = integer(value, reader.path("max_body_bytes"), in: 1024...Int.max) ?? 0
        }
        if let value = reader.value("max_header_bytes") {
            gateway.maxHeaderBytes = integer(value, reader.path("max_header_bytes"), in: 1024...Int.max) ?? 0
        }
        if let value = reader.value("request_timeout_seconds") {
            gateway.requestTimeoutSeconds = number(value, reader.path("request_timeout_seconds")) ?? 0
        }
        if let value = reader.value("policy_threads") {
            gateway.policyThreads = integer(value, reader.path("policy_threads"), in: 0...1024) ?? 0
        }
        if let value = reader.value("inline_hooks") {
            gateway.inlineHooks.enabled = bool(value, reader.path("inline_hooks")) ?? true
        }
        if let value = reader.value("inline_hook_budget_us"),
            let micros = integer(value, reader.path("inline_hook_budget_us"), in: 10...100_000)
        {
            gateway.inlineHooks.budgetNanos = UInt64(micros) * 1000
        }
        if let value = reader.value("upstream_threads") {
            gateway.upstreamThreads = integer(value, reader.path("upstream_threads"), in: 1...256) ?? 1
        }
        if let value = reader.value("client_keys") {
            gateway.clientKeys = clientKeys(value, reader.path("client_keys"), kind: "client")
        }
        if let value = reader.value("admin_keys") {
            gateway.adminKeys = clientKeys(value, reader.path("admin_keys"), kind: "admin")
            let shared = Set(gateway.adminKeys.map(\.secret.reveal)).intersection(
                gateway.clientKeys.map(\.secret.reveal))
            if !shared.isEmpty {
                diagnostics.error(
                    value, reader.path("admin_keys"),
                    "an admin key has the same value as a client key (not shown); admin keys must differ from"
                        + " every client key, or any client could reload the gateway")
            }
        }
        if let value = reader.value("data_dir"),
            let dir = string(value, reader.path("data_dir"), expected: "a folder path", nonEmpty: true)
        {
            gateway.dataDir = Paths.resolve(dir, against: baseDirectory)
        }
        if let value = reader.value("log_format") {
            gateway.logFormat = choice(value, reader.path("log_format")) ?? .text
        }
        if let value = reader.value("access_log") {
            gateway.accessLog = bool(value, reader.path("access_log")) ?? false
        }
        if let value = reader.value("metrics") { gateway.metrics = decodeMetrics(value, reader.path("metrics")) }
        if let value = reader.value("tracing") { gateway.tracing = decodeTracing(value, reader.path("tracing")) }
        if let value = reader.value("log_level") {
            gateway.logLevel = choice(value, reader.path("log_level")) ?? .info
        }
        decodeLimits(reader, into: &gateway.limits)
        return gateway
    }

    /// The limits that protect the gateway from hostile or broken clients and upstreams.
    private func decodeLimits(_ reader: MappingReader, into limits: inout ConnectionLimits) {
        if let value = reader.value("client_header_timeout_seconds") {
            limits.clientHeaderTimeoutSeconds =
                number(value, reader.path("client_header_timeout_seconds")) ?? limits.clientHeaderTimeoutSeconds
        }
        if let value = reader.value("client_body_timeout_seconds") {
            limits.clientBodyTimeoutSeconds =
                number(value, reader.path("client_body_timeout_seconds")) ?? limits.clientBodyTimeoutSeconds
        }
        if let value = reader.value("max_connections") {
            limits.maxConnections =
                integer(value, reader.path("max_connections"), in: 1...1_000_000) ?? limits.maxConnections
        }
        if let value = reader.value("max_inflight_requests") {
            limits.maxInflightRequests =
                integer(value, reader.path("max_inflight_requests"), in: 1...1_000_000) ?? limits.maxInflightRequests
        }
        if let value = reader.value("max_header_count") {
            limits.maxHeaderCount =
                integer(value, reader.path("max_header_count"), in: 8...10_000) ?? limits.maxHeaderCount
        }
        if let value = reader.value("shutdown_grace_seconds") {
            limits.shutdownGraceSeconds =
                number(value, reader.path("shutdown_grace_seconds"), allowZero: true) ?? limits.shutdownGraceSeconds
        }
        if let value = reader.value("stream_max_seconds") {
            limits.streamMaxSeconds = number(value, reader.path("stream_max_seconds")) ?? limits.streamMaxSeconds
        }
    }

    /// `host:port` or `[v6]:port`; the port may be 0 (any free port, handy for tests).
    private func listenAddress(_ node: YAMLNode, _ path: String) -> (host: String, port: Int)? {
        if let text = node.scalarText, let address = Self.parseListen(text) { return address }
        diagnostics.error(
            node, path,
            "expected host:port with a port from 0 to 65535 (like 127.0.0.1:8080 or [::1]:8080),"
                + " got \(describe(node))")
        return nil
    }

    package static func parseListen(_ text: String) -> (host: String, port: Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard host.allSatisfy({ ConfigText.isLetterOrDigit($0) || $0 == "." || $0 == "-" }) else { return nil }
        }
        guard !host.isEmpty, !portText.isEmpty, portText.count <= 5, portText.allSatisfy(ConfigText.isDigit),
            let port = Int(portText), port <= 65535
        else { return nil }
        return (String(host), port)
    }

    /// Unlike provider keys, an unresolvable client key is an error: starting without it would silently accept
    /// fewer (or, with every key missing, no) credentials than the operator configured.
    private func clientKeys(_ node: YAMLNode, _ path: String, kind: String) -> [ClientKey] {
        guard let items = node.sequenceItems, !items.isEmpty else {
            let got = node.sequenceItems != nil ? "an empty list" : describe(node)
            let remedy =
                kind == "client"
                ? "remove client_keys to turn client authentication off"
                : "remove admin_keys to turn the admin endpoints off"
            diagnostics.error(node, path, "expected a list of at least one \(kind) key (\(remedy)), got \(got)")
            return []
        }
        var keys: [ClientKey] = []
        var firstSeen: [String: SourceMark] = [:]
        for (index, item) in items.enumerated() {
            let itemPath = ConfigKeyPath.index(path, index)
            guard
                let reader = mapping(
                    item, itemPath, expected: "a mapping with id and secret_key_ref",
                    keys: kind == "client"
                        ? ["id", "secret_key_ref", "requirements", "limits", "budget"] : ["id", "secret_key_ref"])
            else { continue }
            var id: String?
            if let value = reader.required("id", diagnostics),
                let text = string(value, reader.path("id"), expected: "a non-empty string", nonEmpty: true)
            {
                if let first = firstSeen[text] {
                    diagnostics.error(
                        value, reader.path("id"),
                        "duplicate \(kind) key id '\(text)' (first defined at line \(first.line),"
                            + " column \(first.column)); \(kind) key ids must be unique")
                } else {
                    firstSeen[text] = value.mark
                    id = text
                }
            }
            guard let ref = reader.required("secret_key_ref", diagnostics) else { continue }
            switch decodeSecretRef(ref, reader.path("secret_key_ref")) {
            case .resolved(_, let secret):
                if let id {
                    var key = ClientKey(id: id, secret: secret)
                    if let value = reader.value("requirements") {
                        key.requirements = requirements(value, reader.path("requirements"))
                    }
                    if let value = reader.value("limits") { key.limits = rateLimits(value, reader.path("limits")) }
                    if let value = reader.value("budget") { key.budget = budget(value, reader.path("budget")) }
                    keys.append(key)
                }
            case .unavailable(_, let reason, let node, let path):
                diagnostics.error(node, path, "\(reason); every \(kind) key must resolve when the config is loaded")
            case .invalid:
                break
            }
        }
        return keys
    }
}
