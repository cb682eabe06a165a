import ArgumentParser
import Foundation
import GatewayCore
import GatewayWire
import Logging

/// `gatewayhost plugins list|check`.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "Inspect and check policy plugins.",
        subcommands: [PluginsListCommand.self, PluginsCheckCommand.self])
}

/// `gatewayhost plugins list [--plugins-dir DIR]`: every `.so` in the folder with its descriptor. This
/// opens each file (running its constructors), so it is an explicit operator action, never done by `serve`.
struct PluginsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Show each .so in the plugins folder with its descriptor.")

    @Option(name: .customLong("plugins-dir"), help: "The plugins folder (default: plugins.d).")
    var pluginsDir: String = "plugins.d"

    func run() throws {
        let folder = Paths.resolve(pluginsDir, against: FileManager.default.currentDirectoryPath)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            $0.hasSuffix(".so")
        }
        .sorted()
        if files.isEmpty { print("\(folder): no .so files") }
        var failed = false
        for file in files {
            let path = (folder as NSString).appendingPathComponent(file)
            do {
                let library = try PluginLibrary(path: path, policy: nil, expectedSHA256: nil, pluginsDirectory: folder)
                print("\(file)")
                print("  name:         \(library.name)")
                print("  version:      \(library.version)")
                print("  abi:          \(library.descriptor.abi_major).\(library.descriptor.abi_minor)")
                print("  description:  \(library.summary)")
                print("  capabilities: \(CapabilityNames.describe(library.capabilities))")
                print("  hooks:        \(CapabilityNames.hooks(library.descriptor).joined(separator: ", "))")
                print("  sha256:       \(library.sha256)")
                if let schema = library.configSchema { print("  config schema: \(schema)") }
            } catch {
                failed = true
                print("\(file)\n  ERROR: \(error.reason)")
            }
        }
        if failed { throw ExitCode(1) }
    }
}

/// `gatewayhost plugins check FILE.so [--config JSON]`: the conformance checks (see PluginConformance).
struct PluginsCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Run a plugin through the PolicyABI conformance checks (exit 0 pass, 1 fail).")

    @Argument(help: "The plugin .so file.")
    var file: String

    @Option(name: .long, help: "The policy config to create the plugin with, as a JSON object (default {}).")
    var config: String = "{}"

    func run() async throws {
        LogSetup.bootstrap(level: .warning)
        let path = Paths.resolve(file, against: FileManager.default.currentDirectoryPath)
        let report = await PluginConformance(path: path, configJSON: config, logger: Logger(label: "plugins.check"))
            .run()
        for line in report.lines { print(line) }
        print(
            report.passed
                ? "PASS: \(report.checks) checks" : "FAIL: \(report.failures) of \(report.checks) checks failed")
        if !report.passed { throw ExitCode(1) }
    }
}
