import Foundation
import Testing

/// The real `gatewayhost` binary: exit codes and messages of validate / plugins / serve.
@Suite(.serialized) struct CLITests {
    static var binary: String { TestPaths.debugProducts + "/gatewayhost" }

    func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> Shell.Result {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "run `swift build` first")
        return try await Shell.run(Self.binary, arguments, environment: environment)
    }

    /// A config in a private folder with the given chain, using fixture plugins copied beside it.
    func writeConfig(chain: [String], policy: String = "", extra: String = "") throws -> (file: String, folder: String)
    {
        let folder = TestPaths.makeTemporaryFolder("cli")
        let plugins = folder + "/plugins.d"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: false)
        chmod(plugins, 0o755)
        let yaml = """
            pack: {name: cli-test, version: 1.0.0}
            policies:
              chain: [\(chain.joined(separator: ", "))]
            \(policy)
            providers:
              targets:
                - id: echo
                  provider: echo
                  model: gpt-4o-mini
            \(extra)
            """
        let file = folder + "/policy-config.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return (file, plugins)
    }

    @Test func validateAcceptsAGoodConfig() async throws {
        let (file, plugins) = try writeConfig(chain: ["recorder"])
        _ = try await PluginBuilder.fixture("recorder", into: plugins)
        let result = try await run(["validate", "--config", file])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("valid: \(file)"))
        #expect(result.output.contains("chain: recorder (recorder 1.0.0)"))
    }

    @Test func validateRejectsABadConfigWithItsPosition() async throws {
        let (file, _) = try writeConfig(chain: [], extra: "gatway:\n  listen: 127.0.0.1:1\n")
        let result = try await run(["validate", "--config", file])
        #expect(result.status == 1)
        #expect(result.output.contains("\(file):"), "\(result.output)")
        #expect(result.output.contains("did you mean 'gateway'?"), "\(result.output)")
    }

    @Test func validateRejectsABrokenPluginNamingTheFile() async throws {
        let (file, plugins) = try writeConfig(chain: ["no-hooks"])
        _ = try await PluginBuilder.fixture("no_hooks", into: plugins)
        let result = try await run(["validate", "--config", file])
        #expect(result.status == 1)
        #expect(
            result.output.contains(
                "\(plugins)/no-hooks.so: policy 'no-hooks': descriptor of 'no-hooks' subscribes to nothing"),
            "\(result.output)")
    }

    @Test func validateUsageErrorExitsTwo() async throws {
        #expect(try await run(["validate"]).status == 2)
        #expect(try await run(["validate", "--config"]).status == 2)
        #expect(try await run(["--no-such-flag"]).status == 2)
        #expect(try await run(["--help"]).status == 0)
    }

    @Test func serveRefusesToStartOnAMissingPlugin() async throws {
        let (file, plugins) = try writeConfig(chain: ["pii-detector"])
        let result = try await run(["--config", file, "--listen", "127.0.0.1:0"])
        #expect(result.status == 1)
        #expect(
            result.output.contains(
                "\(plugins)/pii-detector.so: policy 'pii-detector': no such file; \(plugins) holds no .so files"),
            "\(result.output)")
    }

    @Test func pluginsCheckPassesAGoodPluginAndFailsABadOne() async throws {
        let good = try await PluginBuilder.fixture("recorder")
        let pass = try await run(["plugins", "check", good])
        #expect(pass.status == 0, "\(pass.output)")
        #expect(pass.output.contains("PASS: 10 checks"), "\(pass.output)")
        let bad = try await PluginBuilder.fixture("unknown_verdict")
        let fail = try await run(["plugins", "check", bad])
        #expect(fail.status == 1)
        #expect(fail.output.contains("FAIL hooks on chat JSON: on_request: unknown verdict 77"), "\(fail.output)")
        let badConfig = try await run(["plugins", "check", good, "--config", "[1]"])
        #expect(badConfig.status == 1)
    }

    @Test func builtInAndExamplePluginsPassTheConformanceChecks() async throws {
        let keyword = try await PluginBuilder.build(
            source: TestPaths.repository + "/Plugins/Examples/keyword-blocklist/keyword_blocklist.c",
            as: "keyword-blocklist")
        var checks: [(String, String)] = [(keyword, #"{"keywords":["forbidden"],"scan_output":true}"#)]
        for (library, config) in [
            ("libExampleSwiftPolicy.so", "{}"), ("libPiiDetector.so", "{}"), ("libPromptInjection.so", "{}"),
        ] {
            let path = TestPaths.debugProducts + "/" + library
            if FileManager.default.fileExists(atPath: path) {
                let folder = TestPaths.makeTemporaryFolder()
                try FileManager.default.copyItem(atPath: path, toPath: folder + "/" + library)
                checks.append((folder + "/" + library, config))
            }
        }
        for (path, config) in checks {
            let result = try await run(["plugins", "check", path, "--config", config])
            #expect(result.status == 0, "\(path): \(result.output)")
        }
    }

    @Test func pluginsListShowsDescriptors() async throws {
        let folder = TestPaths.makeTemporaryFolder()
        _ = try await PluginBuilder.fixture("recorder", into: folder)
        let result = try await run(["plugins", "list", "--plugins-dir", folder])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("recorder.so\n  name:         recorder"), "\(result.output)")
    }
}
