import Foundation

@testable import GatewayCore

/// Compiles C plugin fixtures with `cc` against the PolicyABI header alone, as a plugin author would,
/// into one private folder per test process. Each fixture is compiled once.
enum PluginBuilder {
    static let folder: String = TestPaths.makeTemporaryFolder("gwplugins")
    private static let built = Locked<[String: Task<String, Error>]>([:])

    struct CompileError: Error, CustomStringConvertible {
        let description: String
    }

    /// Builds `source` (a path) into `folder/name.so` and returns the path of the .so.
    static func build(
        source: String, as name: String, into target: String = folder, include: String = TestPaths.abiInclude
    ) async throws -> String {
        let key = source + "->" + target + "/" + name + "@" + include
        // Each fixture compiles once: parallel tests asking for the same one wait for the same compile (off
        // the cooperative pool), and a half-written .so is never loaded.
        let pending = built.withLock { cache -> Task<String, Error> in
            if let task = cache[key] { return task }
            let task = Task {
                try await Shell.offPool { try compile(source: source, as: name, into: target, include: include) }
            }
            cache[key] = task
            return task
        }
        return try await pending.value
    }

    private static func compile(source: String, as name: String, into target: String, include: String) throws
        -> String
    {
        let output = target + "/" + name + ".so"
        let result = try Shell.runBlocking(
            Shell.cc,
            [
                "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-O1", "-fvisibility=hidden",
                "-I", include, "-I", TestPaths.repository + "/Plugins/common", "-I",
                (source as NSString).deletingLastPathComponent, "-o", output, source,
            ])
        guard result.status == 0 else { throw CompileError(description: "cc \(source) failed:\n\(result.output)") }
        chmod(output, 0o755)
        return output
    }

    /// Builds a fixture from Tests/GatewayHostTests/Fixtures/plugins by base name (without .c).
    static func fixture(
        _ base: String, as name: String? = nil, into target: String = folder, include: String = TestPaths.abiInclude
    ) async throws -> String {
        try await build(
            source: TestPaths.fixtures + "/" + base + ".c", as: name ?? base.replacingOccurrences(of: "_", with: "-"),
            into: target, include: include)
    }

    /// The PolicyABI v1.0 header as released (Tests/abi/v1_0): fixtures built against it are v1.0 plugins.
    static var v1_0Include: String { TestPaths.repository + "/Tests/abi/v1_0" }
}
