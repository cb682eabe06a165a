import ArgumentParser
import Foundation
import GatewayCore

/// `gatewayhost usage --config FILE [--group-by client|model|target] [--from ISO] [--to ISO] [--json]`:
/// spend and tokens from the usage ledger in the config's `gateway.data_dir` (readable while the gateway
/// runs).
struct UsageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage", abstract: "Print spend and tokens from the usage ledger.")

    @Option(name: .long, help: "policy-config.yaml whose gateway.data_dir holds the ledger.")
    var config: String

    @Option(name: .customLong("group-by"), help: "client, model or target.")
    var groupBy = "client"

    @Option(name: .long, help: "Only records at or after this time (ISO 8601 or a date, UTC).")
    var from: String?

    @Option(name: .long, help: "Only records before this time.")
    var to: String?

    @Flag(name: .long, help: "The same JSON as GET /admin/usage.")
    var json = false

    func run() throws {
        let loaded: LoadedConfig
        do {
            loaded = try ConfigLoader.load(path: config)
        } catch {
            printError("gatewayhost: invalid configuration:\n\(error)")
            throw ExitCode(1)
        }
        let query: UsageQuery
        do {
            query = try UsageQuery(groupBy: groupBy, from: from, to: to)
        } catch {
            printError("gatewayhost usage: \(error)")
            throw ExitCode(2)
        }
        do {
            let ledger = try UsageLedger(folder: loaded.config.gateway.dataDir)
            defer { try? ledger.close() }
            let rows = try ledger.summary(
                groupBy: query.groupBy, from: query.from, to: query.to, pack: loaded.config.pack.name)
            if json {
                print(UsageRendering.json(rows: rows, groupBy: query.groupBy, from: query.from, to: query.to))
            } else {
                print(UsageRendering.table(rows: rows, groupBy: query.groupBy), terminator: "")
            }
        } catch {
            printError("gatewayhost usage: \(error)")
            throw ExitCode(1)
        }
    }
}
