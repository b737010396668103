import ArgumentParser
import Foundation
import LoadOpsKit

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Send load to the target and write Locust-compatible CSVs, results.json and load_test.log.",
        discussion: """
            Settings come from loadops.yml (or --config), then the LOAD_TEST_* variables of the \
            environment and .env.load-testing, then these flags. Load only goes to loopback and to \
            hosts listed in allow_hosts. Ctrl-C stops the load and saves what was collected (exit 130).
            """
    )

    @OptionGroup var load: LoadOptions

    @Flag(name: .shortAndLong, help: "Print nothing but errors (the log file still gets everything).")
    var quiet = false

    @Option(help: "Event loop threads for the generator (default: one per core).")
    var threads: Int?

    func run() async throws {
        let stop = StopSignal()
        let trap = InterruptTrap(stop: stop)
        defer { trap.remove() }
        let console = RunConsole(quiet: quiet)
        let request = RunRequest(
            configPath: load.config, overrides: load.overrides(),
            environment: ProcessInfo.processInfo.environment,
            workingDirectory: FileManager.default.currentDirectoryPath, threads: threads)
        do {
            let report = try await RunPipeline.run(request, console: console, stop: stop)
            if report.exitStatus != .success { throw ExitCode(report.exitStatus.rawValue) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            console.error(String(describing: error))
            throw ExitCode(CommandErrors.exitStatus(for: error).rawValue)
        }
    }
}
