import Foundation
import GatewayWire
import Logging

/// Builds the policy chain named in the config: loads each referenced plugin file (and only those:
/// `dlopen` runs code, so files the chain does not name are never opened), checks names, and creates
/// one instance per chain entry with that entry's config.
package enum ChainLoader {
    /// Loads every chain entry; throws all load errors at once so the operator fixes them in one go.
    package static func load(
        chain: [String], policies: [String: PolicySettings], pluginsDirectory: String, executor: PolicyExecutor,
        logger: Logger, metrics: GatewayMetrics? = nil, inline: InlineHooks = .standard
    ) throws(PluginLoadErrors) -> PolicyChain {
        var errors: [PluginLoadError] = []
        var libraries: [String: PluginLibrary] = [:]  // by resolved path: one dlopen per file
        var namesByFile: [String: String] = [:]  // descriptor name -> file that declared it
        var instances: [PolicyInstance] = []

        for entry in chain {
            let defaultFile = (pluginsDirectory as NSString).appendingPathComponent(entry + ".so")
            let settings =
                policies[entry]
                ?? PolicySettings(
                    name: entry, pluginFile: defaultFile, sha256: nil, onError: .failClosed, timeoutMs: 200,
                    configJSON: "{}", line: 0, column: 0)
            let fileIsExplicit = settings.pluginFile != defaultFile
            do throws(PluginLoadError) {
                let library: PluginLibrary
                if let loaded = libraries[settings.pluginFile] {
                    library = loaded
                } else {
                    library = try PluginLibrary.load(
                        path: settings.pluginFile, policy: entry, expectedSHA256: settings.sha256,
                        pluginsDirectory: pluginsDirectory)
                    libraries[settings.pluginFile] = library
                }
                if let other = namesByFile[library.name], other != library.path {
                    throw PluginLoadError(
                        file: library.path, policy: entry,
                        reason: "duplicate plugin name '\(library.name)': \(other) declares the same name")
                }
                namesByFile[library.name] = library.path
                // With the default file the names must agree; an explicitly named file may serve an entry
                // under another name (one plugin, several differently configured chain entries).
                if !fileIsExplicit && library.name != entry {
                    throw PluginLoadError(
                        file: library.path, policy: entry,
                        reason: "the plugin calls itself '\(library.name)', but the chain entry is '\(entry)'; "
                            + "rename the file or set policy.\(entry).plugin.file")
                }
                if let sha = settings.sha256, sha.lowercased() != library.sha256 {
                    throw PluginLoadError(
                        file: library.path, policy: entry,
                        reason: "sha256 mismatch: the config pins \(sha.lowercased()), the file has \(library.sha256)")
                }
                let instance = try PolicyInstance(
                    name: entry, library: library, configJSON: settings.configJSON, failMode: settings.onError,
                    timeoutMs: settings.timeoutMs, logger: logger, metrics: metrics)
                instances.append(instance)
                logger.info(
                    "loaded policy \(entry) from \(library.path) (\(library.name) \(library.version), sha256 \(library.sha256.prefix(12))…, \(settings.onError.rawValue))"
                )
            } catch {
                errors.append(error)
            }
        }
        if !errors.isEmpty { throw PluginLoadErrors(errors: errors) }
        return PolicyChain(policies: instances, executor: executor, logger: logger, inline: inline)
    }
}

/// Every plugin problem found while building the chain.
package struct PluginLoadErrors: Error, CustomStringConvertible, Sendable {
    package let errors: [PluginLoadError]
    package var description: String { errors.map(\.description).joined(separator: "\n") }
}
