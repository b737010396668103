import ArgumentParser
import Foundation
import LoadOpsKit

struct UICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Serve a web page to start, watch, change and stop load tests (default http://127.0.0.1:8089).",
        discussion: """
            Open the address printed at start-up: it carries a token, which the page then keeps in a \
            cookie; requests without it, or from another site's page, are refused. A run started from \
            the page is a `loadops run` with loadops.yml's settings and the form's changes: the same \
            allowlist, results, history, thresholds, comparison and summary. One run at a time. \
            Ctrl-C stops the run under way (its results are saved, exit 130) and the server (exit 0 when no run was under way).
            """
    )

    @OptionGroup var configFile: ConfigFileOption

    @Option(help: ArgumentHelp(
        "Where to serve the page: HOST:PORT, or a port alone for loopback. Any address but loopback lets other machines reach it.",
        valueName: "host:port"))
    var bind = "127.0.0.1:8089"

    @Option(help: "Event loop threads for the generator (default: one per 256 users or 50,000 requests/s, at most one per core).")
    var threads: Int?

    @OptionGroup var database: HistoryDatabaseOption

    @Flag(help: "Do not record the runs in the history database.")
    var noHistory = false

    @Option(help: ArgumentHelp(
        "Compare each run against this baseline: a results file, a run id, or previous (default: baselines/baseline.json when it exists).",
        valueName: "spec"))
    var baseline: String?

    @Option(help: ArgumentHelp("Change beyond which a metric is flagged against the baseline (default 5%).", valueName: "percent"))
    var tolerance: String?

    func run() async throws {
        let stop = StopSignal()
        let trap = InterruptTrap(stop: stop)
        defer { trap.remove() }
        let address = try ListenAddress.parse(bind, flag: "--bind")
        try LoadLimits.checkThreads(threads)
        let settings = WebUISettings(
            address: address, configPath: configFile.path, environment: ProcessInfo.processInfo.environment,
            workingDirectory: FileManager.default.currentDirectoryPath, databasePath: noHistory ? nil : database.path,
            baseline: baseline, tolerance: try ComparisonTolerance(flag: tolerance), threads: threads)
        let server = try await WebUIServer.start(settings)
        if !address.isLoopback {
            CommandOutput.printWarning("--bind \(address.authority) is not loopback: other machines can reach the page (the token still guards it)")
        }
        // Unbuffered, so a script reading the output sees the address at once.
        FileHandle.standardOutput.write(Data("loadops ui: open \(server.url)\nCtrl-C stops the run under way and the server.\n".utf8))
        // A run cut short is an interrupted run, as with `loadops run`.
        if await server.serve(until: stop) { throw ExitCode(ExitStatus.interrupted.rawValue) }
    }
}
