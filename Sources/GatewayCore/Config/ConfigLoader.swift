import Foundation
import GatewayWire

/// Loads and validates policy-config.yaml.
///
/// Problems are collected, not thrown one by one: a failed load throws `ConfigErrors` holding every problem,
/// sorted by position. YAML-level problems (syntax, duplicate keys, anchors, several documents) are reported
/// on their own, because checking the schema of a document that did not parse cleanly only yields noise.
package enum ConfigLoader {
    /// Reads and parses the file at `path`. Relative paths in the config resolve against the file's folder.
    package static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigErrors) -> LoadedConfig {
        let absolute = Paths.resolve(path, against: FileManager.default.currentDirectoryPath)
        let text = try readFile(path)
        return try parse(text: text, file: path, baseDirectory: Paths.directory(of: absolute), environment: environment)
    }

    /// Parses config text. `file` labels messages; `baseDirectory` is where relative paths resolve (made
    /// absolute against the current directory if it is not already).
    package static func parse(
        text: String, file: String, baseDirectory: String, environment: [String: String]
    ) throws(ConfigErrors) -> LoadedConfig {
        let tree = YAMLTreeBuilder.build(text: text, file: file)
        guard tree.errors.isEmpty else { throw ConfigErrors(tree.errors) }
        guard let root = tree.root, !root.isNull else {
            throw ConfigErrors([
                ConfigError(
                    file: file, line: 1, column: 1, keyPath: "",
                    message: "the file is empty; expected a mapping with pack, policies and providers")
            ])
        }
        let diagnostics = ConfigDiagnostics(file: file)
        let decoder = ConfigDecoder(
            diagnostics: diagnostics, environment: environment,
            baseDirectory: Paths.resolve(baseDirectory, against: FileManager.default.currentDirectoryPath))
        let config = decoder.decode(root: root)
        guard diagnostics.errors.isEmpty else { throw ConfigErrors(diagnostics.errors) }
        let warnings = diagnostics.warnings.enumerated()
            .sorted {
                ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
            }
            .map(\.element)
        return LoadedConfig(config: config, warnings: warnings, file: file)
    }

    private static func readFile(_ path: String) throws(ConfigErrors) -> String {
        func failure(_ message: String) -> ConfigErrors {
            ConfigErrors([ConfigError(file: path, line: 0, column: 0, keyPath: "", message: message)])
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw failure("cannot read the config file: no such file")
        }
        guard !isDirectory.boolValue else { throw failure("cannot read the config file: it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw failure("cannot read the config file: permission denied or I/O error")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw failure("cannot read the config file: it is not valid UTF-8")
        }
        return text
    }
}
