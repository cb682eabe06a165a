import Foundation
import Synchronization

/// Compiles C plugin fixtures with `cc` against the PolicyABI header alone, as a plugin author would,
/// into one private folder per test process. Each fixture is compiled once.
enum PluginBuilder {
    static let folder: String = TestPaths.makeTemporaryFolder("gwplugins")
    private static let built = Mutex<[String: Task<String, Error>]>([:])

    struct CompileError: Error, CustomStringConvertible {
        let description: String
    }

    /// Builds `source` (a path) into `folder/name.so` and returns the path of the .so.
    static func build(source: String, as name: String, into target: String = folder) async throws -> String {
        let key = source + "->" + target + "/" + name
        // Each fixture compiles once: parallel tests asking for the same one wait for the same compile (off
        // the cooperative pool), and a half-written .so is never loaded.
        let pending = built.withLock { cache -> Task<String, Error> in
            if let task = cache[key] { return task }
            let task = Task { try await Shell.offPool { try compile(source: source, as: name, into: target) } }
            cache[key] = task
            return task
        }
        return try await pending.value
    }

    private static func compile(source: String, as name: String, into target: String) throws -> String {
        let output = target + "/" + name + ".so"
        let result = try Shell.runBlocking(
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
    static func fixture(_ base: String, as name: String? = nil, into target: String = folder) async throws -> String {
        try await build(
            source: TestPaths.fixtures + "/" + base + ".c", as: name ?? base.replacingOccurrences(of: "_", with: "-"),
            into: target)
    }
}
