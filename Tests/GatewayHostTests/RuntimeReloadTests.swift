import Foundation
import Logging
import PolicyABI
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// Config generations: a reload builds the whole new runtime first, keeps the old one on any error, and
/// the old generation's plugin instances are destroyed only after its last exchange.
@Suite struct RuntimeReloadTests {
    /// A config with one recorder policy journalling into `journal`, and an echo target.
    static func config(folder: String, plugin: String, journal: String, model: String = "echo-model") -> String {
        """
        pack: {name: reload, version: 1.0.0}
        policies: {chain: [rec]}
        policy:
          rec:
            plugin: {file: \(plugin)}
            journal: \(journal)
        providers:
          targets:
            - {id: echo, provider: echo, model: \(model)}
        gateway: {plugins_dir: \(folder)}
        """
    }

    final class Source: Sendable {
        let text: Locked<String>
        init(_ text: String) { self.text = Locked(text) }
        func load() throws -> LoadedConfig {
            try ConfigLoader.parse(
                text: text.withLock { $0 }, file: "reload.yaml", baseDirectory: "/tmp", environment: [:])
        }
    }

    private func counter(_ metrics: GatewayMetrics, _ name: String) -> Int {
        let text = metrics.registry.emitToString()
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Int(Double(line.split(separator: " ")[1]) ?? -1)
        }
        return 0
    }

    @Test func anExchangeFinishesOnItsGenerationAndTheOldInstancesGoAfterIt() async throws {
        let plugin = try await PluginBuilder.fixture("recorder")
        let folder = (plugin as NSString).deletingLastPathComponent
        let journal = TestPaths.makeTemporaryFolder() + "/journal.txt"
        let source = Source(Self.config(folder: folder, plugin: plugin, journal: journal))
        let first = try source.load()
        let metrics = GatewayMetrics()
        let services = GatewayServices(config: first.config, metrics: metrics)
        let logger = Logger(label: "test")
        let store = RuntimeStore(
            first: try GatewayRuntime(config: first.config, logger: logger, services: services),
            loader: { try source.load() }, logger: logger)
        #expect(counter(metrics, "gatewayhost_policy_instances_created_total") == 1)

        // An exchange in flight on generation 1.
        let lease = store.acquire()
        #expect(lease.runtime.generation == 1)
        source.text.withLock { $0 = $0.replacingOccurrences(of: "echo-model", with: "echo-model-2") }
        let outcome = await store.reload()
        #expect(outcome.ok && outcome.generation == 2)
        #expect(store.runtime.generation == 2)
        #expect(store.runtime.pool.modelNames.contains("echo-model-2"))
        #expect(counter(metrics, "gatewayhost_policy_instances_created_total") == 2)
        // Generation 1 still serves its exchange: its instance lives and its chain still runs.
        #expect(counter(metrics, "gatewayhost_policy_instances_destroyed_total") == 0)
        let exchange = ChainHarness.exchange()
        let run = lease.runtime.chain.start(exchange)
        #expect(await run.request(ChainHarness.chatBody("hello")).decision == .proceed)
        await run.end(PAB_END_COMPLETED, status: 200)
        #expect(counter(metrics, "gatewayhost_policy_instances_destroyed_total") == 0)

        // Its last exchange ends: the generation retires and its instance is destroyed.
        weak let retired: GatewayRuntime? = lease.runtime
        _ = consume lease
        _ = consume run
        try await waitUntil { counter(metrics, "gatewayhost_policy_instances_destroyed_total") == 1 }
        #expect(retired == nil)
        #expect(counter(metrics, "gatewayhost_config_reloads_total{result=\"ok\"}") == 1)
        let lines = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("end rec \(exchange.requestID) completed 200") }, "\(lines)")
    }

    @Test func aBrokenConfigOrPluginKeepsTheRunningGeneration() async throws {
        let plugin = try await PluginBuilder.fixture("recorder")
        let folder = (plugin as NSString).deletingLastPathComponent
        let journal = TestPaths.makeTemporaryFolder() + "/journal.txt"
        let good = Self.config(folder: folder, plugin: plugin, journal: journal)
        let source = Source(good)
        let metrics = GatewayMetrics()
        let first = try source.load()
        let logger = Logger(label: "test")
        let store = RuntimeStore(
            first: try GatewayRuntime(
                config: first.config, logger: logger, services: GatewayServices(config: first.config, metrics: metrics)),
            loader: { try source.load() }, logger: logger)

        source.text.withLock { $0 = good.replacingOccurrences(of: "providers:", with: "provider:") }
        let typo = await store.reload()
        #expect(!typo.ok && typo.generation == 1)
        #expect(typo.error?.contains("did you mean 'providers'") == true, "\(typo.error ?? "")")

        source.text.withLock { $0 = good.replacingOccurrences(of: plugin, with: folder + "/missing.so") }
        let missing = await store.reload()
        #expect(!missing.ok && missing.error?.contains("missing.so") == true, "\(missing.error ?? "")")
        #expect(store.runtime.generation == 1)
        #expect(store.lastReload?.ok == false)
        #expect(counter(metrics, "gatewayhost_config_reloads_total{result=\"failed\"}") == 2)
        // A failed reload destroys nothing of the running generation, and leaks nothing of its own.
        #expect(counter(metrics, "gatewayhost_policy_instances_destroyed_total") == 0)

        source.text.withLock { $0 = good }
        #expect(await store.reload().generation == 2)
    }

    @Test func aChangedPluginFileIsLoadedAsANewLibraryAndAnUnchangedOneIsReused() async throws {
        let recorder = try await PluginBuilder.fixture("recorder")
        let errorVerdict = try await PluginBuilder.fixture("error_verdict")
        let folder = TestPaths.makeTemporaryFolder()
        let path = folder + "/swapped.so"
        try FileManager.default.copyItem(atPath: recorder, toPath: path)
        let before = try PluginLibrary.load(path: path, policy: "x", expectedSHA256: nil, pluginsDirectory: folder)
        #expect(before.name == "recorder")
        // The same file again (a reload with the plugin unchanged): the loaded library, no second load.
        let again = try PluginLibrary.load(path: path, policy: "x", expectedSHA256: nil, pluginsDirectory: folder)
        #expect(again === before)
        // Replaced by a new file (what install(1) and mv do): the new code.
        let staged = folder + "/.staged.so"
        try FileManager.default.copyItem(atPath: errorVerdict, toPath: staged)
        #expect(rename(staged, path) == 0)
        let after = try PluginLibrary.load(path: path, policy: "x", expectedSHA256: nil, pluginsDirectory: folder)
        #expect(after.name == "error-verdict")
        #expect(after.sha256 != before.sha256)
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<200 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }
}
