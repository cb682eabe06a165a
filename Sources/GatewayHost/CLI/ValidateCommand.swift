import ArgumentParser
import Foundation
import GatewayCore
import GatewayWire
import Logging

/// `gatewayhost validate --config FILE`: checks the config and loads every plugin of the chain, without
/// serving. Exit 0 valid, 1 invalid, 2 usage.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check a config and its plugins without serving (exit 0 valid, 1 invalid).")

    @Option(name: .long, help: "The policy-config.yaml to check.")
    var config: String

    @Option(name: .customLong("plugins-dir"), help: "Folder of policy plugins, overriding gateway.plugins_dir.")
    var pluginsDir: String?

    func run() async throws {
        let loaded: LoadedConfig
        do {
            loaded = try ConfigSource.load(path: config, listen: nil, pluginsDir: pluginsDir)
        } catch {
            print("invalid: \(error)")
            throw ExitCode(1)
        }
        for warning in loaded.warnings { print("warning: \(warning)") }
        LogSetup.bootstrap(level: .warning)
        do {
            let runtime = try GatewayRuntime(config: loaded.config, logger: Logger(label: "gatewayhost.validate"))
            let policies = runtime.chain.policies.map { "\($0.name) (\($0.library.name) \($0.library.version))" }
            print("valid: \(loaded.file)")
            print("  pack: \(loaded.config.pack.name) \(loaded.config.pack.version)")
            print("  chain: \(policies.isEmpty ? "(empty)" : policies.joined(separator: " -> "))")
            for target in runtime.pool.targets {
                let state = target.unavailableReason.map { "unavailable: \($0)" } ?? "ok"
                print("  target \(target.id): \(target.provider) model \(target.model) [\(state)]")
            }
            // The routing plan per model name a client can send: which targets, in which order, how.
            let providers = loaded.config.providers
            print(
                "  retries: max_retries \(providers.maxRetries), retry_on \(providers.retryOn.sorted().map(\.rawValue).joined(separator: ",")),"
                    + " max_fallback_attempts \(providers.maxFallbackAttempts)")
            for (model, _) in runtime.pool.models {
                for api in [WireAPI.chatCompletions, .responses] {
                    let route = api == .chatCompletions ? "chat" : "responses"
                    do {
                        let plan = try runtime.pool.plan(model: model, api: api)
                        let order = plan.candidates.map { $0.target.id }.joined(separator: " -> ")
                        print("  route \(model) (\(route)): \(plan.strategy.rawValue): \(order)")
                    } catch {
                        print("  route \(model) (\(route)): \(error.message)")
                    }
                }
            }
            runtime.shutdown()
        } catch {
            print("invalid: \(error)")
            throw ExitCode(1)
        }
    }
}
