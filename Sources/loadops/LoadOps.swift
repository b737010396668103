import ArgumentParser
import Foundation
import LoadOpsKit

@main
struct LoadOps: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadops",
        abstract: "Run the whole life of an HTTP API load test: config, load, results.",
        discussion: """
            Start with `loadops init` to write a commented loadops.yml, try it against the built-in \
            target (`loadops target` in another terminal), then `loadops run`. `loadops demo` does \
            all of it in one go.

            Exit codes: 0 success, 1 a check/threshold failed, 2 bad usage or input, \
            130 interrupted (partial results saved).
            """,
        version: LoadOpsKitVersion.string,
        subcommands: [RunCommand.self, DemoCommand.self, TargetCommand.self, ConfigCommand.self, InitCommand.self, ArchiveCommand.self, HistoryCommand.self, ImportCommand.self, CompareCommand.self, BaselineCommand.self, SummaryCommand.self, ReportCommand.self, PreflightCommand.self, CleanupCommand.self, MonitorCommand.self, UICommand.self, LocustfileCommand.self, WorkerCommand.self]
    )

    /// ArgumentParser's own entry point, except that errors are printed in the commands' one style
    /// (`CommandOutput`) and a bad flag exits with 2 (bad usage, as every other bad input), not 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exitCode as ExitCode {
            exit(withError: exitCode)
        } catch {
            switch exitCode(for: error) {
            case .success:
                exit(withError: error)  // --help, --version
            case .validationFailure:
                CommandOutput.printUsageError(fullMessage(for: error))
                Foundation.exit(ExitStatus.badInput.rawValue)
            default:
                CommandOutput.printError(error)
                Foundation.exit(CommandErrors.exitStatus(for: error).rawValue)
            }
        }
    }
}
