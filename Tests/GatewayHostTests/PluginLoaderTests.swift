import Foundation
import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// Every way a plugin file can be wrong yields one line naming the file and the reason, and the chain
/// refuses to load (the gateway refuses to start).
@Suite struct PluginLoaderTests {
    /// Loads fixture `base` as the only chain entry (entry name = descriptor name = file name).
    func loadFixture(_ base: String) async throws -> String? {
        let name = base.replacingOccurrences(of: "_", with: "-")
        let path = try await PluginBuilder.fixture(base)
        return ChainHarness.loadError([.init(name: name, file: path)])
    }

    @Test(arguments: [
        ("missing_entry", "no entry point pab_plugin_entry_v1: not a PolicyABI plugin"),
        ("built_for_v2", "built for PolicyABI v2; this gateway supports PolicyABI v1 (no pab_plugin_entry_v1 symbol)"),
        ("major_mismatch", "built for PolicyABI 2.\(PAB_ABI_MINOR); this gateway supports PolicyABI 1.x"),
        ("minor_too_new", "requires PolicyABI 1.\(PAB_ABI_MINOR + 1); this gateway provides 1.\(PAB_ABI_MINOR)"),
        ("descriptor_too_small", "descriptor too small: struct_size is 104 bytes, PolicyABI v1.0 needs at least 112"),
        ("entry_returns_null", "the plugin refused to initialise (its entry function returned NULL"),
        ("no_create", "descriptor of 'no-create' has no create function (required)"),
        ("no_hooks", "descriptor of 'no-hooks' subscribes to nothing"),
        ("create_fails", "policy 'create-fails': create failed: threshold must be between 0 and 1"),
        ("unknown_capability", "descriptor of 'unknown-capability' sets unknown capability bits 0x10000000000"),
        ("bad_name", "descriptor name 'Bad Name!' is invalid"),
    ])
    func refusesBrokenPlugin(fixture: String, expected: String) async throws {
        let error = try #require(try await loadFixture(fixture))
        #expect(error.contains(expected), "got: \(error)")
        let file = PluginBuilder.folder + "/" + fixture.replacingOccurrences(of: "_", with: "-") + ".so"
        #expect(error.hasPrefix(file + ": "), "the line names the file first: \(error)")
        #expect(!error.contains("\n"), "one line per problem")
    }

    @Test func missingFileListsTheFolder() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        _ = try await PluginBuilder.fixture("recorder", into: folder)
        let error = try #require(
            ChainHarness.loadError([.init(name: "pii-detector", file: folder + "/pii-detector.so")], folder: folder))
        #expect(error == "\(folder)/pii-detector.so: policy 'pii-detector': no such file; \(folder) holds: recorder.so")
    }

    @Test func notASharedObject() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let path = folder + "/text.so"
        try FileManager.default.copyItem(atPath: TestPaths.fixtures + "/not_a_shared_object.so.txt", toPath: path)
        let error = try #require(ChainHarness.loadError([.init(name: "text", file: path)], folder: folder))
        #expect(error.hasSuffix("is not an ELF shared object (no ELF header); build it with -shared -fPIC"), "\(error)")
    }

    @Test func objectFileIsNotASharedObject() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let path = folder + "/object.so"
        let result = try await Shell.run(
            Shell.cc,
            [
                "-c", "-I", TestPaths.abiInclude, "-I", TestPaths.repository + "/Plugins/common", "-o", path,
                TestPaths.fixtures + "/recorder.c",
            ])
        #expect(result.status == 0, "\(result.output)")
        let error = try #require(ChainHarness.loadError([.init(name: "object", file: path)], folder: folder))
        #expect(error.contains("is an object file (.o), not linked, not a shared object"), "\(error)")
    }

    @Test func worldWritableFile() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let path = try await PluginBuilder.fixture("recorder", into: folder)
        chmod(path, 0o666)
        let error = try #require(ChainHarness.loadError([.init(name: "recorder", file: path)], folder: folder))
        #expect(error.contains("file is group- or world-writable (mode 666)"), "\(error)")
    }

    @Test func worldWritableFolder() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let path = try await PluginBuilder.fixture("recorder", into: folder)
        chmod(folder, 0o777)
        defer { chmod(folder, 0o700) }
        let error = try #require(ChainHarness.loadError([.init(name: "recorder", file: path)], folder: folder))
        #expect(error.contains("its folder \(folder) is world-writable"), "\(error)")
    }

    @Test func symbolicLinkRefused() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let path = try await PluginBuilder.fixture("recorder", into: folder)
        let link = folder + "/linked.so"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        let error = try #require(ChainHarness.loadError([.init(name: "linked", file: link)], folder: folder))
        #expect(error.contains("is a symbolic link"), "\(error)")
    }

    @Test func sha256Pin() async throws {
        let path = try await PluginBuilder.fixture("recorder")
        let wrong = String(repeating: "0", count: 64)
        let error = try #require(ChainHarness.loadError([.init(name: "recorder", file: path, sha256: wrong)]))
        #expect(error.contains("sha256 mismatch: the config pins \(wrong), the file has "), "\(error)")
        // The right pin loads.
        let library = try PluginLibrary(
            path: path, policy: nil, expectedSHA256: nil, pluginsDirectory: PluginBuilder.folder)
        #expect(ChainHarness.loadError([.init(name: "recorder", file: path, sha256: library.sha256)]) == nil)
    }

    @Test func duplicateName() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let a = try await PluginBuilder.fixture("recorder", as: "copy-a", into: folder)
        let b = try await PluginBuilder.fixture("recorder", as: "copy-b", into: folder)
        let error = try #require(
            ChainHarness.loadError([.init(name: "first", file: a), .init(name: "second", file: b)], folder: folder))
        #expect(error == "\(b): policy 'second': duplicate plugin name 'recorder': \(a) declares the same name")
    }

    @Test func defaultFileMustCarryTheEntryName() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        let path = try await PluginBuilder.fixture("recorder", as: "other", into: folder)
        let error = try #require(ChainHarness.loadError([.init(name: "other", file: path)], folder: folder))
        #expect(error.contains("the plugin calls itself 'recorder', but the chain entry is 'other'"), "\(error)")
    }

    @Test func oneFileServesSeveralEntries() async throws {
        let path = try await PluginBuilder.fixture("recorder")
        let chain = try ChainHarness.load([.init(name: "first", file: path), .init(name: "second", file: path)])
        #expect(chain.policies.map(\.name) == ["first", "second"])
        #expect(chain.policies[0].library === chain.policies[1].library)
    }

    @Test func collectsEveryError() async throws {
        let a = try await PluginBuilder.fixture("no_create")
        let b = try await PluginBuilder.fixture("no_hooks")
        let error = try #require(
            ChainHarness.loadError([.init(name: "no-create", file: a), .init(name: "no-hooks", file: b)]))
        #expect(error.split(separator: "\n").count == 2)
    }

    /// A plugin in plain C (compiled here with cc against the header alone) and one in Swift (a SwiftPM
    /// .dynamic product depending on PolicyABI only) load and run through one chain.
    @Test func cPluginAndSwiftPluginRunThroughTheChain() async throws {
        let c = try await PluginBuilder.build(
            source: TestPaths.repository + "/Plugins/Examples/keyword-blocklist/keyword_blocklist.c",
            as: "keyword-blocklist")
        let swiftPlugin = TestPaths.debugProducts + "/libExampleSwiftPolicy.so"
        try #require(FileManager.default.fileExists(atPath: swiftPlugin), "run `swift build` first: \(swiftPlugin)")
        let folder = TestPaths.makeTemporaryFolder()
        let copy = folder + "/example-swift.so"
        try FileManager.default.copyItem(atPath: swiftPlugin, toPath: copy)
        let chain = try ChainHarness.load(
            [
                .init(name: "keyword-blocklist", file: c, config: #"{"keywords":["forbidden"],"message":"no"}"#),
                .init(name: "example-swift", file: copy, config: #"{"max_chars":20}"#),
            ], folder: folder)
        #expect(chain.policies.map(\.library.name) == ["keyword-blocklist", "example-swift"])

        let allowed = ChainHarness.exchange()
        #expect(await chain.start(allowed).request(ChainHarness.chatBody("short")).decision == .proceed)
        #expect(allowed.tag("example-swift.chars") == "5")

        let blockedByC = await chain.start(ChainHarness.exchange()).request(ChainHarness.chatBody("a forbidden word"))
        #expect(
            blockedByC.decision
                == .deny(policy: "keyword-blocklist", payload: .init(status: 409, code: "input_blocked", message: "no"))
        )

        let blockedBySwift = await chain.start(ChainHarness.exchange()).request(
            ChainHarness.chatBody(String(repeating: "x", count: 30)))
        guard case .deny(let policy, let payload) = blockedBySwift.decision else {
            Issue.record("expected the Swift plugin to deny, got \(blockedBySwift.decision)")
            return
        }
        #expect(policy == "example-swift")
        #expect(payload.status == 413)
    }
}
