import Foundation
import Synchronization

/// Compiles C plugin fixtures with `cc` against the PolicyABI header alone, as a plugin author would,
/// into one private folder per test process. Each fixture is compiled once.
enum PluginBuilder {
    static let folder: String = TestPaths.makeTemporaryFolder("gwplugins")
    private static let built = Mutex<[String: String]>([:])

    struct CompileError: Error, CustomStringConvertible {
        let description: String
    }

    /// Builds `source` (a path) into `folder/name.so` and returns the path of the .so.
    static func build(source: String, as name: String, into target: String = folder) throws -> String {
        let key = source + "->" + target + "/" + name
        // One compile at a time: parallel tests ask for the same fixture, and a half-written .so must
        // never be loaded.
        return try built.withLock { cache in
            if let path = cache[key] { return path }
            let path = try compile(source: source, as: name, into: target)
            cache[key] = path
            return path
        }
    }

    private static func compile(source: String, as name: String, into target: String) throws -> String {
        let output = target + "/" + name + ".so"
        let result = try Shell.run(
            Shell.cc,
            [
                "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-O1", "-fvisibility=hidden",
                "-I", TestPaths.abiInclude, "-I", (source as NSString).deletingLastPathComponent, "-o", output, source,
            ])
        guard result.status == 0 else { throw CompileError(description: "cc \(source) failed:\n\(result.output)") }
        chmod(output, 0o755)
        return output
    }

    /// Builds a fixture from Tests/GatewayHostTests/Fixtures/plugins by base name (without .c).
    static func fixture(_ base: String, as name: String? = nil, into target: String = folder) throws -> String {
        try build(source: TestPaths.fixtures + "/" + base + ".c", as: name ?? base.replacingOccurrences(of: "_", with: "-"), into: target)
    }
}
