import ArgumentParser
import Foundation
import GatewayCore
import GatewayWire
import Logging
import Metrics
import ServiceLifecycle

/// `gatewayhost [serve] [--config FILE] [--listen HOST:PORT] [--plugins-dir DIR]`
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the gateway (the default when no subcommand is given).")

    @Option(name: .long, help: "policy-config.yaml to run; without it a built-in config (echo provider, no key).")
    var config: String?

    @Option(name: .long, help: "Listen address HOST:PORT, overriding gateway.listen.")
    var listen: String?

    @Option(name: .customLong("plugins-dir"), help: "Folder of policy plugins, overriding gateway.plugins_dir.")
    var pluginsDir: String?

    func validate() throws {
        if let listen, ConfigDecoder.parseListen(listen) == nil {
            throw ValidationError("--listen expects HOST:PORT (for example 127.0.0.1:8080), got '\(listen)'")
        }
    }

    func run() async throws {
        let loaded: LoadedConfig
        do {
            loaded = try ConfigSource.load(path: config, listen: listen, pluginsDir: pluginsDir)
        } catch {
            printError("gatewayhost: invalid configuration:\n\(error)")
            throw ExitCode(1)
        }
        let gateway = loaded.config.gateway
        LogSetup.bootstrap(level: gateway.logLevel, format: gateway.logFormat)
        let logger = Logger(label: "gatewayhost")
        for warning in loaded.warnings { logger.warning("\(warning)") }
        let files = OpenFileLimit.raise(for: gateway.limits)
        if files.capped { logger.warning("\(files.description)") } else { logger.info("\(files.description)") }
        let metrics = GatewayMetrics()
        // Libraries that report through swift-metrics land in the same registry as the gateway's own.
        MetricsSystem.bootstrap(metrics.factory)
        var tracer: GatewayTracer?
        var tracingService: (any Service)?
        if let settings = gateway.tracing {
            do {
                (tracer, tracingService) = try GatewayTracer.make(settings, logger: Logger(label: "gatewayhost.otel"))
                logger.info("tracing: OTLP/HTTP to \(settings.endpoint), sample ratio \(settings.sampleRatio)")
            } catch {
                printError("gatewayhost: cannot start tracing: \(error)")
                throw ExitCode(1)
            }
        }
        let limitState: any LimitState
        let ledger: UsageLedger
        do {
            (limitState, ledger) = try await UsageStartup.open(loaded.config, logger: logger)
        } catch {
            printError("gatewayhost: cannot start:\n\(error)")
            throw ExitCode(1)
        }
        defer { try? ledger.close() }
        let services = GatewayServices(
            config: loaded.config, metrics: metrics, tracer: tracer, limitState: limitState, ledger: ledger)
        // The first runtime goes straight into the store: no local reference may outlive a reload, or
        // generation 1 (its plugin instances, threads and upstream connections) would never be released.
        let store: RuntimeStore
        do {
            let (path, listen, pluginsDir) = (config, listen, pluginsDir)
            store = RuntimeStore(
                first: try GatewayRuntime(
                    config: loaded.config, logger: logger, configFile: loaded.file, services: services),
                loader: { try ConfigSource.load(path: path, listen: listen, pluginsDir: pluginsDir) },
                logger: logger)
        } catch {
            printError("gatewayhost: cannot start:\n\(error)")
            throw ExitCode(1)
        }
        try await GatewayServer(store: store, logger: logger, tracingService: tracingService).run()
    }
}

/// Where the config comes from: a file, or the built-in default; plus command-line overrides.
enum ConfigSource {
    static func load(path: String?, listen: String?, pluginsDir: String?) throws -> LoadedConfig {
        var loaded: LoadedConfig
        if let path {
            loaded = try ConfigLoader.load(path: path)
        } else {
            loaded = try ConfigLoader.parse(
                text: BuiltinConfig.yaml, file: "<built-in config>",
                baseDirectory: FileManager.default.currentDirectoryPath,
                environment: ProcessInfo.processInfo.environment)
        }
        if let listen, let address = ConfigDecoder.parseListen(listen) {
            loaded.config.gateway.listenHost = address.host
            loaded.config.gateway.listenPort = address.port
        }
        if let pluginsDir {
            let absolute = Paths.resolve(pluginsDir, against: FileManager.default.currentDirectoryPath)
            loaded.config.gateway.pluginsDir = absolute
            for (name, var settings) in loaded.config.policies where settings.pluginFile.hasPrefix("/") {
                // Default plugin files follow the overridden folder; explicit absolute files stay put.
                if (settings.pluginFile as NSString).lastPathComponent == name + ".so" {
                    settings.pluginFile = (absolute as NSString).appendingPathComponent(name + ".so")
                    loaded.config.policies[name] = settings
                }
            }
        }
        return loaded
    }
}
