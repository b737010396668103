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

            --engine locust (or engine: locust in loadops.yml) sends the load with Locust instead: \
            loadops writes locustfile.py into the results folder and runs Locust headless, alone, with \
            --workers N local worker processes, or waiting for --expect-workers N workers started on \
            other machines with the printed `loadops worker --master HOST:PORT` command.
            """
    )

    @OptionGroup var load: LoadOptions

    @Flag(name: .shortAndLong, help: "Print nothing on success; errors and a FAIL verdict (one line) go to stderr. The log file still gets everything.")
    var quiet = false

    @Option(help: "Event loop threads for the generator (default: one per 256 users or 50,000 requests/s, at most one per core).")
    var threads: Int?

    @OptionGroup var database: HistoryDatabaseOption

    @Flag(help: "Do not record the run in the history database.")
    var noHistory = false

    @Option(help: ArgumentHelp(
        "Compare against this baseline: a results file, a run id, or previous (default: baselines/baseline.json when it exists).",
        valueName: "spec"))
    var baseline: String?

    @Option(help: ArgumentHelp("Change beyond which a metric is flagged against the baseline (default 5%).", valueName: "percent"))
    var tolerance: String?

    @Option(help: ArgumentHelp("Also write JUnit XML here: one test case per threshold and per compared figure.", valueName: "file"))
    var junit: String?

    @Flag(help: "Run checklists/preflight.yml first; no load is sent when a check fails.")
    var preflight = false

    @Flag(help: "Run checklists/cleanup.yml (resource cleanup) before the load.")
    var cleanup = false

    @Flag(name: .customLong("post-test"), help: "Run checklists/post-test.yml (data cleanup) after the load.")
    var postTest = false

    @Flag(help: "Cleanup: do not ask before destructive steps (needed off a terminal).")
    var yes = false

    @Flag(help: "Cleanup: allow an environment marked production.")
    var allowProduction = false

    @Option(help: ArgumentHelp(
        "Serve the run's live figures in the Prometheus text format at http://HOST:PORT/metrics (a port alone: loopback).",
        valueName: "host:port"))
    var metricsListen: String?

    @Option(help: ArgumentHelp("Keep serving /metrics this long after the results are written (default 0s).", valueName: "duration"))
    var metricsLinger: String?

    @OptionGroup var engine: EngineOptions

    func run() async throws {
        let stop = StopSignal()
        let trap = InterruptTrap(stop: stop)
        defer { trap.remove() }
        let console = RunConsole(quiet: quiet)
        // After the error below is printed, so the log keeps it too.
        defer { console.closeLog() }
        do {
            var request = RunRequest(
                configPath: load.configFile.path, overrides: engine.applied(to: load.overrides()),
                environment: ProcessInfo.processInfo.environment,
                workingDirectory: FileManager.default.currentDirectoryPath, threads: threads,
                databasePath: noHistory ? nil : database.path, baseline: baseline,
                tolerance: try ComparisonTolerance(flag: tolerance))
            request.preflight = preflight
            request.cleanup = cleanup
            request.postTest = postTest
            request.metricsListen = metricsListen
            request.metricsLinger = metricsLinger
            request.locust = engine.locustOptions
            request.junitPath = junit.map { UserPath.resolve($0, relativeTo: FileManager.default.currentDirectoryPath) }
            request.cleanupOptions = CleanupOptions(
                assumeYes: yes, allowProduction: allowProduction,
                confirm: isatty(STDIN_FILENO) == 1 ? CleanupCommand.askOnTerminal : nil)
            let report = try await RunPipeline.run(request, console: console, stop: stop)
            if report.exitStatus != .success { throw ExitCode(report.exitStatus.rawValue) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            // Printed here rather than by `LoadOps.main`, so the log keeps it too.
            console.errorLine(CommandOutput.errorLine(error))
            throw ExitCode(CommandErrors.exitStatus(for: error).rawValue)
        }
    }
}
