import GatewayWire

/// `gateway.metrics` and `gateway.tracing`.
extension ConfigDecoder {
    func decodeMetrics(_ node: YAMLNode, _ path: String) -> MetricsSettings {
        var settings = MetricsSettings()
        guard let reader = mapping(node, path, expected: "a mapping {path, listen}", keys: ["path", "listen"]) else {
            return settings
        }
        if let value = reader.value("path"),
            let text = string(value, reader.path("path"), expected: "a path starting with '/'", nonEmpty: true)
        {
            if text.hasPrefix("/") && !text.hasPrefix("/v1/") && !text.hasPrefix("/admin") && !text.contains("?") {
                settings.path = text
            } else {
                diagnostics.error(
                    value, reader.path("path"),
                    "expected a path starting with '/' outside /v1/ and /admin (like /metrics), got '\(text)'")
            }
        }
        if let value = reader.value("listen") {
            if let text = value.scalarText, let address = Self.parseListen(text) {
                settings.listenHost = address.host
                settings.listenPort = address.port
            } else {
                diagnostics.error(
                    value, reader.path("listen"),
                    "expected host:port for a separate metrics listener (like 127.0.0.1:9464), got \(describe(value))")
            }
        }
        return settings
    }

    func decodeTracing(_ node: YAMLNode, _ path: String) -> TracingSettings? {
        guard
            let reader = mapping(
                node, path, expected: "a mapping {endpoint, service_name, sample_ratio}",
                keys: ["endpoint", "service_name", "sample_ratio"])
        else { return nil }
        guard let endpointNode = reader.required("endpoint", diagnostics),
            let endpoint = string(
                endpointNode, reader.path("endpoint"), expected: "an http(s) URL of an OTLP/HTTP traces receiver",
                nonEmpty: true)
        else { return nil }
        guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            diagnostics.error(
                endpointNode, reader.path("endpoint"),
                "expected an http(s) URL of an OTLP/HTTP traces receiver (like http://127.0.0.1:4318/v1/traces),"
                    + " got '\(ConfigDecoder.abbreviate(endpoint))'")
            return nil
        }
        var settings = TracingSettings(endpoint: endpoint)
        if let value = reader.value("service_name"),
            let name = string(value, reader.path("service_name"), expected: "a service name", nonEmpty: true)
        {
            settings.serviceName = name
        }
        if let value = reader.value("sample_ratio") {
            if let ratio = number(value, reader.path("sample_ratio"), allowZero: true) {
                if ratio <= 1 {
                    settings.sampleRatio = ratio
                } else {
                    diagnostics.error(
                        value, reader.path("sample_ratio"), "expected a number from 0 to 1, got \(describe(value))")
                }
            }
        }
        return settings
    }
}
