import Foundation
import GatewayWire
import Logging

/// Active health probes: every target with `health_probe` is asked `GET base_url + path` (with its own key)
/// every `interval_seconds`; `unhealthy_threshold` failed probes in a row mark it down (routing then tries it
/// only when nothing else is left), `healthy_threshold` passed ones bring it back. A probe passes on any 2xx
/// within `timeout_seconds`.
///
/// Usage:
/// ```swift
/// let prober = HealthProber(targets: pool.targets, client: upstream, logger: logger)
/// let task = Task { await prober.run() }   // until cancelled
/// ```
package struct HealthProber: Sendable {
    package let targets: [Target]
    package let client: UpstreamClient
    package let logger: Logger

    package init(targets: [Target], client: UpstreamClient, logger: Logger) {
        self.targets = targets
        self.client = client
        self.logger = logger
    }

    /// Probes every probed target on its own schedule until the task is cancelled.
    package func run() async {
        await withTaskGroup(of: Void.self) { group in
            // An in-process provider has nothing to probe.
            for target in targets
            where target.healthProbe != nil && target.unavailableReason == nil && !target.adapter.answersLocally {
                group.addTask { await probeForever(target) }
            }
        }
    }

    private func probeForever(_ target: Target) async {
        guard let probe = target.healthProbe else { return }
        while !Task.isCancelled {
            let (ok, error) = await probeOnce(target, probe)
            if let healthy = target.health.recordProbe(
                ok: ok, error: error, healthyThreshold: probe.healthyThreshold,
                unhealthyThreshold: probe.unhealthyThreshold)
            {
                if healthy {
                    logger.notice("target \(target.id) is healthy again (health probe)")
                } else {
                    logger.warning(
                        "target \(target.id) is down: \(probe.unhealthyThreshold) failed health probes (\(error ?? "?"))"
                    )
                }
            }
            try? await Task.sleep(for: .milliseconds(Int64(probe.intervalSeconds * 1000)))
        }
    }

    /// One probe: a GET with the target's key and headers.
    package func probeOnce(_ target: Target, _ probe: HealthProbeConfig) async -> (Bool, String?) {
        var headers: [(name: String, value: String)] = [("accept", "application/json")]
        headers += target.headers
        if let auth = target.authHeader { headers.append(auth) }
        let request = UpstreamRequest(
            url: target.url(probe.path), method: "GET", headers: headers, body: [],
            connectTimeout: min(10, probe.timeoutSeconds), totalTimeout: probe.timeoutSeconds)
        do {
            let response = try await client.send(request)
            _ = try? await response.collect(upTo: 1 << 20)
            return (200..<300).contains(response.status) ? (true, nil) : (false, "HTTP \(response.status)")
        } catch {
            return (false, "\(error)")
        }
    }
}
