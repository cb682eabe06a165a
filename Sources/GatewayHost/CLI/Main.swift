import ArgumentParser
import Foundation
import GatewayCore
import GatewayWire
import NIOPosix

/// Process entry. ArgumentParser reports usage errors with exit code 64; the CLI contract here is
/// 0 = success, 1 = invalid config or plugin (or a failed check), 2 = usage error.
@main
enum Main {
    /// Synchronous on purpose: Swift Concurrency's global executor can only be replaced before the first
    /// task runs. The main thread then just waits for the command, which runs as a task.
    static func main() {
        TaskPlacement.installEventLoopExecutorUnlessDisabled()
        let finished = DispatchSemaphore(value: 0)
        // Detached: main() is main-actor isolated, and the main thread is about to block on `finished`.
        Task.detached {
            await runCommand()
            finished.signal()
        }
        finished.wait()
    }

    private static func runCommand() async {
        do {
            var command = try GatewayCommand.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = GatewayCommand.exitCode(for: error)
            let message = GatewayCommand.fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// `gatewayhost`: runs the gateway (the default subcommand) or one of the tools.
struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatewayhost",
        abstract: "An OpenAI-compatible LLM API gateway whose policies are plugins.",
        version: GatewayVersion.current,
        subcommands: [
            ServeCommand.self, ValidateCommand.self, PluginsCommand.self, AuditCommand.self, UsageCommand.self,
        ],
        defaultSubcommand: ServeCommand.self)
}

/// Writes one line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
