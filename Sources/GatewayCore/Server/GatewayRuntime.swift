import Foundation
import GatewayWire
import Logging
import Synchronization

/// Everything a running gateway holds, built once from a validated config: the policy chain (plugins
/// loaded), the target pool, and the upstream client. Building it is what `validate` checks.
package final class GatewayRuntime: Sendable {
    package let config: GatewayConfig
    package let chain: PolicyChain
    package let pool: TargetPool
    /// Runs each exchange's upstream attempts (retries, fallback, breakers).
    package let attempts: AttemptLoop
    package let upstream: UpstreamClient
    package let clientKeys: ClientKeyring
    /// Requests refused for a missing or unknown client key since start (logged with each refusal).
    package let authFailures = Atomic<Int>(0)
    /// Open connections and exchanges in flight, against the configured limits.
    package let traffic: TrafficGauge
    /// Fired when the shutdown grace has passed: the exchanges still running are ended.
    package let stopping = StopSwitch()

    package struct StartError: Error, CustomStringConvertible {
        package let description: String
    }

    package init(config: GatewayConfig, logger: Logger, configFile: String = "policy-config.yaml") throws {
        self.config = config
        var targets: [Target] = []
        var problems: [String] = []
        for targetConfig in config.providers.targets {
            do throws(ProviderRegistry.ResolveError) {
                targets.append(
                    try ProviderRegistry.resolve(
                        targetConfig, file: configFile, breakerDefaults: config.providers.circuitBreaker))
            } catch {
                problems.append(error.description)
            }
        }
        let threads =
            config.gateway.policyThreads > 0
            ? config.gateway.policyThreads : ProcessInfo.processInfo.activeProcessorCount
        let executor = PolicyExecutor(threads: threads)
        do {
            self.chain = try ChainLoader.load(
                chain: config.chain, policies: config.policies, pluginsDirectory: config.gateway.pluginsDir,
                executor: executor, logger: logger)
        } catch {
            executor.shutdown()
            throw StartError(description: (problems + [error.description]).joined(separator: "\n"))
        }
        guard problems.isEmpty else {
            executor.shutdown()
            throw StartError(description: problems.joined(separator: "\n"))
        }
        for target in targets {
            if let reason = target.unavailableReason {
                logger.warning("target \(target.id) is unavailable: \(reason)")
            }
        }
        self.pool = TargetPool(
            strategy: config.providers.strategy, targets: targets, groups: config.modelGroups,
            maxFallbackAttempts: config.providers.maxFallbackAttempts, requirements: config.providers.requirements)
        self.upstream = UpstreamClient(threads: max(1, config.gateway.upstreamThreads))
        self.attempts = AttemptLoop(settings: config.providers, client: upstream, logger: logger)
        self.clientKeys = ClientKeyring(keys: config.gateway.clientKeys)
        self.traffic = TrafficGauge(limits: config.gateway.limits)
    }

    package func shutdown() {
        upstream.shutdown()
        chain.executor.shutdown()
    }
}
