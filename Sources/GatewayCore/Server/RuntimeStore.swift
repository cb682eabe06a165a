import Foundation
import Logging

/// The current config generation, and reloads: `SIGHUP` or `POST /admin/reload` load and check the new
/// config and build its whole runtime (plugins loaded, instances created) first; on any error the old one
/// keeps serving and the error is reported (log, admin answer, `gatewayhost_config_reloads_total`). On
/// success the swap is atomic: new exchanges take the new runtime, exchanges in flight finish on the one
/// they started on (their `RuntimeLease`), which shuts down after its last exchange.
///
/// Usage:
/// ```swift
/// let store = RuntimeStore(first: runtime, loader: { try ConfigSource.load(...) }, logger: logger)
/// let lease = store.acquire()          // per exchange
/// let outcome = await store.reload()   // SIGHUP, POST /admin/reload
/// ```
package final class RuntimeStore: Sendable {
    package typealias Loader = @Sendable () throws -> LoadedConfig

    package struct ReloadOutcome: Sendable {
        package var ok: Bool
        package var generation: Int
        package var at: Date
        /// The config or plugin errors (never a secret: config errors do not quote secrets).
        package var error: String?
        /// Settings that changed but only take effect at the next restart.
        package var restartOnly: [String] = []
    }

    private let current: Locked<GatewayRuntime>
    private let loader: Loader
    private let logger: Logger
    private let reloading = ReloadGate()
    private let last = Locked<ReloadOutcome?>(nil)

    package init(first: GatewayRuntime, loader: @escaping Loader, logger: Logger) {
        current = Locked(first)
        self.loader = loader
        self.logger = logger
    }

    package var runtime: GatewayRuntime { current.withLock { $0 } }
    package var lastReload: ReloadOutcome? { last.withLock { $0 } }

    /// The current runtime, held for one exchange.
    package func acquire() -> RuntimeLease { current.withLock { $0.lease() } }

    /// Loads, checks and swaps in the config again. One reload at a time: a second caller waits for the first.
    package func reload() async -> ReloadOutcome {
        await reloading.run { self.reloadNow() }
    }

    private func reloadNow() -> ReloadOutcome {
        let old = runtime
        let services = old.services
        let outcome: ReloadOutcome
        do {
            var loaded = try loader()
            let restartOnly = Self.keepRestartOnly(&loaded.config, running: old.config)
            let next = try GatewayRuntime(
                config: loaded.config, logger: logger, configFile: loaded.file, services: services,
                generation: old.generation + 1)
            next.startBackground()
            current.withLock { $0 = next }
            old.retire()
            for warning in loaded.warnings { logger.warning("\(warning)") }
            for setting in restartOnly {
                logger.warning("reload: \(setting) changed; it takes effect at the next restart")
            }
            logger.notice("config reloaded: generation \(next.generation) from \(loaded.file)")
            outcome = ReloadOutcome(ok: true, generation: next.generation, at: Date(), restartOnly: restartOnly)
        } catch {
            let text = String(describing: error)
            logger.error("config reload failed; generation \(old.generation) keeps serving:\n\(text)")
            outcome = ReloadOutcome(ok: false, generation: old.generation, at: Date(), error: text)
        }
        services.metrics.reload(ok: outcome.ok)
        last.withLock { $0 = outcome }
        return outcome
    }

    /// Settings the running listener and process were built with: a reload keeps the running values and
    /// names the ones that changed, so the operator knows a restart is needed for them.
    static func keepRestartOnly(_ config: inout GatewayConfig, running: GatewayConfig) -> [String] {
        var changed: [String] = []
        func keep<T: Equatable>(_ name: String, _ path: WritableKeyPath<GatewaySection, T>) {
            if config.gateway[keyPath: path] != running.gateway[keyPath: path] {
                changed.append("gateway.\(name)")
                config.gateway[keyPath: path] = running.gateway[keyPath: path]
            }
        }
        keep("listen", \.listenHost)
        keep("listen", \.listenPort)
        keep("max_body_bytes", \.maxBodyBytes)
        keep("max_header_bytes", \.maxHeaderBytes)
        keep("client_header_timeout_seconds", \.limits.clientHeaderTimeoutSeconds)
        keep("client_body_timeout_seconds", \.limits.clientBodyTimeoutSeconds)
        keep("max_connections", \.limits.maxConnections)
        keep("max_inflight_requests", \.limits.maxInflightRequests)
        keep("max_header_count", \.limits.maxHeaderCount)
        keep("log_level", \.logLevel)
        keep("log_format", \.logFormat)
        keep("metrics", \.metrics)
        keep("tracing", \.tracing)
        keep("data_dir", \.dataDir)
        if config.usage.state != running.usage.state {
            changed.append("state")
            config.usage.state = running.usage.state
        }
        var seen = Set<String>()
        return changed.filter { seen.insert($0).inserted }
    }
}

/// Runs one reload at a time, in arrival order.
private actor ReloadGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ body: @Sendable () -> T) async -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        }
        busy = true
        defer {
            if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        }
        return body()
    }
}
