import Foundation
import Logging
import PolicyABI

@testable import GatewayCore
@testable import GatewayWire

/// Builds policy chains from fixture plugins and drives exchanges through them, as the server would.
enum ChainHarness {
    struct Entry {
        var name: String
        var file: String
        var config: String = "{}"
        var onError: FailMode = .failClosed
        var timeoutMs: Int = 1000
        var sha256: String? = nil
    }

    static let logger = Logger(label: "test")
    static let executor = PolicyExecutor(threads: 4)

    static func load(
        _ entries: [Entry], folder: String = PluginBuilder.folder, executor: PolicyExecutor = ChainHarness.executor,
        inline: InlineHooks = .standard
    ) throws -> PolicyChain {
        var policies: [String: PolicySettings] = [:]
        for entry in entries {
            policies[entry.name] = PolicySettings(
                name: entry.name, pluginFile: entry.file, sha256: entry.sha256, onError: entry.onError,
                timeoutMs: entry.timeoutMs, configJSON: entry.config, line: 1, column: 1)
        }
        return try ChainLoader.load(
            chain: entries.map(\.name), policies: policies, pluginsDirectory: folder, executor: executor,
            logger: logger, inline: inline)
    }

    /// The load error text for a chain, or nil when it loads.
    static func loadError(_ entries: [Entry], folder: String = PluginBuilder.folder) -> String? {
        do {
            _ = try load(entries, folder: folder)
            return nil
        } catch {
            return String(describing: error)
        }
    }

    static func exchange(stream: Bool = false, api: WireAPI = .chatCompletions, id: String = RequestIdentity.generate())
        -> Exchange
    {
        Exchange(
            requestID: id, route: api.route, api: api,
            model: "test-model", clientID: "tester", clientIP: "127.0.0.1", stream: stream, packName: "test-pack",
            packVersion: "1.2.3", requestHeaders: [("content-type", "application/json")])
    }

    static func chatBody(_ user: String) -> PhaseBody {
        let json =
            "{\"model\":\"test-model\",\"messages\":[{\"role\":\"system\",\"content\":\"be nice\"},{\"role\":\"user\",\"content\":\(jsonQuoted(user))}],\"x_unknown\":{\"keep\":[1,2.50,\"as is\"]}}"
        return PhaseBody(bytes: Array(json.utf8), segmentPhase: .request(.chatCompletions))
    }

    static func chunk(_ text: String) -> PhaseBody {
        let json =
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\(jsonQuoted(text))},\"finish_reason\":null}]}"
        return PhaseBody(bytes: Array(json.utf8), segmentPhase: .streamEvent(.chatCompletions))
    }

    static func text(_ body: PhaseBody?) -> String { String(decoding: body?.bytes ?? [], as: UTF8.self) }
}
