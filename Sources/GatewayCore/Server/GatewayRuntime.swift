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
    package let adminKeys: ClientKeyring
    /// Rate limits and budgets of this generation, counted in `services.limitState`.
    package let limiter: UsageLimiter
    /// Some target has limits of its own (routing then checks them per attempt).
    package let hasTargetLimits: Bool
    /// What every generation shares (traffic counts, stop switch, metrics, tracer, activity).
    package let services: GatewayServices
    /// The config generation: 1 at start, one more with each successful reload.
    package let generation: Int
    /// The config file this runtime was built from (`<built-in config>` without one).
    package let configFile: String
    package let loadedAt = Date()
    /// The exchanges holding this runtime, and whether a reload replaced it (see `RuntimeLease`).
    private let leases = Locked<(active: Int, retired: Bool, stopped: Bool)>((0, false, false))
    private let prober = Locked<Task<Void, Never>?>(nil)
    private let logger: Logger

    /// Open connections and exchanges in flight, against the configured limits.
    package var traffic: TrafficGauge { services.traffic }
    /// Fired when the shutdown grace has passed: the exchanges still running are ended.
    package var stopping: StopSwitch { services.stopping }

    package struct StartError: Error, CustomStringConvertible {
        package let description: String
    }

    package init(
        config: GatewayConfig, logger: Logger, configFile: String = "policy-config.yaml",
        services: GatewayServices? = nil, generation: Int = 1
    ) throws {
        self.config = config
        self.services = services ?? GatewayServices(config: config)
        self.generation = generation
        self.configFile = configFile
        self.logger = logger
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
                executor: executor, logger: logger, metrics: self.services.metrics, inline: config.gateway.inlineHooks)
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
        self.adminKeys = ClientKeyring(keys: config.gateway.adminKeys)
        var clients: [String: (limits: RateLimits, budget: Budget)] = [:]
        for key in config.gateway.clientKeys where !key.limits.isEmpty || !key.budget.isEmpty {
            clients[key.id] = (key.limits, key.budget)
        }
        self.hasTargetLimits = targets.contains { !$0.limits.isEmpty }
        self.limiter = UsageLimiter(
            state: self.services.limitState, onError: config.usage.state.onStateError,
            global: config.usage.globalLimits, packBudget: config.usage.packBudget, pack: config.pack.name,
            clients: clients, metrics: self.services.metrics, logger: logger)
    }

    /// Starts the health probes of this generation's targets (stopped by `shutdown`).
    package func startBackground() {
        let prober = HealthProber(targets: pool.targets, client: upstream, logger: logger)
        self.prober.withLock { $0 = Task { await prober.run() } }
    }

    /// Stops the probes, the upstream client and the policy threads. The plugin instances are destroyed
    /// when the last reference to the chain goes (after every hook returned, as the ABI promises).
    package func shutdown() {
        let alreadyStopped = leases.withLock { state -> Bool in
            defer { state.stopped = true }
            return state.stopped
        }
        guard !alreadyStopped else { return }
        prober.withLock { $0?.cancel() }
        upstream.shutdown()
        chain.executor.shutdown()
    }

    // MARK: - generations

    deinit { logger.debug("config generation \(generation) released") }

    /// Takes a lease for one exchange (the store calls it while this runtime is current).
    package func lease() -> RuntimeLease {
        leases.withLock { $0.active += 1 }
        return RuntimeLease(runtime: self)
    }

    fileprivate func release() {
        let last = leases.withLock { state -> Bool in
            state.active -= 1
            return state.active == 0 && state.retired
        }
        if last { retireNow() }
    }

    /// A reload replaced this runtime: it shuts down once its last exchange ended (at once if none runs).
    package func retire() {
        let idle = leases.withLock { state -> Bool in
            state.retired = true
            return state.active == 0
        }
        if idle { retireNow() }
    }

    /// `shutdown` only signals the threads to stop (it joins none), so any thread may run it.
    private func retireNow() {
        shutdown()
        logger.info("config generation \(generation) retired: its last exchange ended")
    }
}

/// One exchange's hold on the config generation it started on: the exchange finishes on that
/// generation's chain and targets even when a reload swapped in a new one meanwhile.
package final class RuntimeLease: Sendable {
    package let runtime: GatewayRuntime
    fileprivate init(runtime: GatewayRuntime) { self.runtime = runtime }
    deinit { runtime.release() }
}
