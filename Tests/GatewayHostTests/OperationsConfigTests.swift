import Foundation
import Logging
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// `gateway.admin_keys`, `log_format`, `access_log`, `metrics`, `tracing`: parsed, defaulted, refused.
@Suite struct OperationsConfigTests {
    static let environment = ["ADMIN_KEY": "admin-key-0123456789", "CLIENT_KEY": "client-key-0123456789"]

    private func gateway(_ section: String) throws -> GatewaySection {
        try ConfigFixture.load(ConfigFixture.minimal + "\ngateway:\n" + section, environment: Self.environment)
            .config.gateway
    }

    private func errors(_ section: String) -> [String] {
        ConfigFixture.errors(ConfigFixture.minimal + "\ngateway:\n" + section, environment: Self.environment)
    }

    @Test func defaultsAreTextLogsNoAccessLogMetricsOnTheMainListenerAndNoTracing() throws {
        let section = try ConfigFixture.load(ConfigFixture.minimal).config.gateway
        #expect(section.logFormat == .text)
        #expect(section.accessLog == false)
        #expect(section.metrics == MetricsSettings())
        #expect(section.metrics.path == "/metrics")
        #expect(section.tracing == nil)
        #expect(section.adminKeys.isEmpty)
    }

    @Test func everyOperationsKeyIsRead() throws {
        let section = try gateway(
            """
              admin_keys: [{id: ops, secret_key_ref: {env: ADMIN_KEY}}]
              log_format: json
              access_log: true
              metrics: {path: /prom, listen: "127.0.0.1:9464"}
              tracing: {endpoint: "http://127.0.0.1:4318/v1/traces", service_name: gw-eu, sample_ratio: 0.25}
            """)
        #expect(section.adminKeys.map(\.id) == ["ops"])
        #expect(section.adminKeys.first?.secret.reveal == "admin-key-0123456789")
        #expect(section.logFormat == .json)
        #expect(section.accessLog)
        #expect(section.metrics.path == "/prom")
        #expect(section.metrics.listenHost == "127.0.0.1" && section.metrics.listenPort == 9464)
        #expect(
            section.tracing
                == TracingSettings(
                    endpoint: "http://127.0.0.1:4318/v1/traces", serviceName: "gw-eu", sampleRatio: 0.25))
    }

    @Test func aMisspelledLogFormatGetsADidYouMean() {
        let found = errors("  log_format: jsno\n")
        #expect(found.count == 1)
        #expect(found.first?.contains("test.yaml:7:15") == true, "\(found)")
        #expect(found.first?.contains("expected text or json") == true, "\(found)")
        #expect(found.first?.contains("did you mean 'json'") == true, "\(found)")
    }

    @Test func aMisspelledKeyInsideTracingPointsToTheRightName() {
        let found = errors("  tracing: {endpoint: \"http://127.0.0.1:4318/v1/traces\", sample_rate: 0.5}\n")
        #expect(found.count == 1)
        #expect(found.first?.contains("gateway.tracing.sample_rate") == true, "\(found)")
        #expect(found.first?.contains("did you mean 'sample_ratio'") == true, "\(found)")
    }

    @Test func badOperationsValuesAreRefusedWithWhatWasExpected() {
        #expect(errors("  tracing: {service_name: x}\n").first?.contains("endpoint") == true)
        #expect(
            errors("  tracing: {endpoint: \"127.0.0.1:4318\"}\n").first?.contains("expected an http(s) URL") == true)
        #expect(
            errors("  tracing: {endpoint: \"http://h/v1/traces\", sample_ratio: 2}\n").first?.contains(
                "expected a number from 0 to 1") == true)
        #expect(errors("  metrics: {path: metrics}\n").first?.contains("expected a path starting with '/'") == true)
        #expect(errors("  metrics: {path: /v1/metrics}\n").first?.contains("outside /v1/ and /admin") == true)
        #expect(errors("  metrics: {listen: nowhere}\n").first?.contains("expected host:port") == true)
        #expect(errors("  access_log: yes please\n").count == 1)
        #expect(errors("  admin_keys: []\n").first?.contains("remove admin_keys") == true)
    }

    @Test func adminKeysTakeNoRequirementsAndMustDifferFromClientKeys() {
        let withRequirements = errors(
            "  admin_keys: [{id: ops, secret_key_ref: {env: ADMIN_KEY}, requirements: {zero_data_retention: true}}]\n")
        #expect(withRequirements.first?.contains("unknown key 'requirements'") == true, "\(withRequirements)")
        let shared = errors(
            """
              client_keys: [{id: team, secret_key_ref: {env: CLIENT_KEY}}]
              admin_keys: [{id: ops, secret_key_ref: {env: CLIENT_KEY}}]

            """)
        #expect(shared.count == 1)
        #expect(shared.first?.contains("same value as a client key") == true, "\(shared)")
        #expect(shared.first?.contains("client-key-0123456789") == false, "the secret must not be shown")
        let missing = errors("  admin_keys: [{id: ops, secret_key_ref: {env: NOT_SET_ANYWHERE}}]\n")
        #expect(missing.first?.contains("every admin key must resolve") == true, "\(missing)")
    }

    @Test func aReloadKeepsTheRunningValuesOfRestartOnlySettingsAndNamesThem() throws {
        let running = try ConfigFixture.load(ConfigFixture.minimal).config
        var next = try ConfigFixture.load(
            ConfigFixture.minimal
                + "\ngateway: {listen: \"127.0.0.1:9999\", max_connections: 5, log_format: json, access_log: true,"
                + " request_timeout_seconds: 7}\n"
        ).config
        let changed = RuntimeStore.keepRestartOnly(&next, running: running)
        #expect(changed == ["gateway.listen", "gateway.max_connections", "gateway.log_format"])
        #expect(next.gateway.listenPort == running.gateway.listenPort)
        #expect(next.gateway.limits.maxConnections == running.gateway.limits.maxConnections)
        #expect(next.gateway.logFormat == .text)
        // What a reload can change, it changes.
        #expect(next.gateway.accessLog == true)
        #expect(next.gateway.requestTimeoutSeconds == 7)
    }
}

/// JSON log lines: one object a line, fixed keys first, metadata typed, nothing lost to a key collision.
@Suite struct JSONLogLineTests {
    @Test func aJSONLineIsOneValidObjectWithTypedMetadata() throws {
        let lines = LogHandlerTests.Lines()
        var log = Logger(label: "gatewayhost.access") { label in
            StandardErrorLogHandler(label: label, level: .info, format: .json) { lines.append($0) }
        }
        log[metadataKey: "request_id"] = "req-1"
        log.info(
            "access \"quoted\"\n",
            metadata: [
                "status": .stringConvertible(200), "latency_ms": .stringConvertible(1.5),
                "stream": .stringConvertible(true), "msg": "collides", "verdicts": .array(["pii:on_request:allow"]),
            ])
        let line = try #require(lines.all.withLock { $0 }.first)
        #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["logger"] as? String == "gatewayhost.access")
        #expect(object["msg"] as? String == "access \"quoted\"\n")
        #expect(object["meta.msg"] as? String == "collides")
        #expect(object["request_id"] as? String == "req-1")
        #expect(object["status"] as? Int == 200)
        #expect(object["latency_ms"] as? Double == 1.5)
        #expect(object["stream"] as? Bool == true)
        #expect(object["verdicts"] as? [String] == ["pii:on_request:allow"])
        let ts = try #require(object["ts"] as? String)
        #expect(ts.wholeMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/#) != nil, "\(ts)")
    }
}
