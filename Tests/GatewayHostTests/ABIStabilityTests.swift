import Crypto
import Foundation
import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// The header is a promise to plugin authors: it may only change together with a version bump, and the
/// v1.0 layout is frozen.
@Suite struct ABIStabilityTests {
    /// `Sources/PolicyABI/ABI_VERSIONS` holds one line per released version: `MAJOR.MINOR SHA256`.
    @Test func headerChangesOnlyWithAVersionBump() async throws {
        let header = try Data(contentsOf: URL(fileURLWithPath: TestPaths.header))
        let digest = SHA256.hash(data: header).map { String(format: "%02x", $0) }.joined()
        let versions = try String(
            contentsOfFile: TestPaths.repository + "/Sources/PolicyABI/ABI_VERSIONS", encoding: .utf8)
        let lines = versions.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        let last = try #require(lines.last).split(separator: " ")
        let current = "\(PAB_ABI_MAJOR).\(PAB_ABI_MINOR)"
        #expect(
            String(last[0]) == current,
            "PAB_ABI_MAJOR.MINOR is \(current) but ABI_VERSIONS ends with \(last[0]): record the new version")
        #expect(
            String(last[1]) == digest,
            """
            policy_abi.h changed without a version bump (its sha256 is \(digest), ABI_VERSIONS records \(last[1]) \
            for \(last[0])). Bump PAB_ABI_MINOR for an append-only change (or the major for a breaking one) and \
            add the line "\(current.split(separator: ".")[0]).<minor> \(digest)".
            """)
        // A released version's hash never changes: every listed version is distinct.
        #expect(Set(lines.map { $0.split(separator: " ")[0] }).count == lines.count)
    }

    /// `Tests/abi/layout_v1_0.c` freezes every v1.0 offset with _Static_assert, `layout_v1_1.c` what v1.1
    /// appended; both must compile against the current header (so later minors only append) and run.
    @Test(arguments: ["layout_v1_0.c", "layout_v1_1.c"])
    func layoutsAreFrozen(file: String) async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let binary = folder + "/layout"
        let compile = try await Shell.run(
            Shell.cc,
            [
                "-std=c11", "-Wall", "-Werror", "-I", TestPaths.abiInclude, "-o", binary,
                TestPaths.repository + "/Tests/abi/" + file,
            ])
        #expect(compile.status == 0, "\(compile.output)")
        let run = try await Shell.run(binary, [])
        #expect(run.status == 0 && run.output.contains("ok"), "\(run.output)")
    }

    /// The header compiles alone as C11 and as C++ (plugins in C++ include it too).
    @Test func headerIsSelfContained() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let source = folder + "/only_header.c"
        try "#include \"policy_abi.h\"\nint main(void) { return PAB_ABI_MAJOR == 1 ? 0 : 1; }\n".write(
            toFile: source, atomically: true, encoding: .utf8)
        let result = try await Shell.run(
            Shell.cc,
            [
                "-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I", TestPaths.abiInclude, "-o",
                folder + "/a", source,
            ])
        #expect(result.status == 0, "\(result.output)")
    }

    /// The host's idea of the descriptor size matches the header's macro as a C compiler computes it.
    @Test func descriptorSizeMatchesTheMacro() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let source = folder + "/size.c"
        try
            "#include <stdio.h>\n#include \"policy_abi.h\"\nint main(void) { printf(\"%zu\", (size_t)PAB_PLUGIN_SIZE_V1_0); return 0; }\n"
            .write(toFile: source, atomically: true, encoding: .utf8)
        _ = try await Shell.run(Shell.cc, ["-I", TestPaths.abiInclude, "-o", folder + "/size", source])
        let result = try await Shell.run(folder + "/size", [])
        #expect(Int(result.output) == PluginABI.descriptorSizeV1_0)
    }
}
