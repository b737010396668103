import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops summary`: RESULTS_SUMMARY.md (and JUnit XML) from a results folder.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Write RESULTS_SUMMARY.md for a results folder: key metrics, thresholds, PASS/FAIL, the baseline comparison.",
        discussion: """
            Reads DIR/results.json, evaluates the thresholds of the configuration it was run with, compares it \
            with the baseline (\(BaselineStore.defaultPath) when it exists, or --baseline) and writes \
            DIR/\(RunSummaryMarkdown.fileName). `loadops run` does the same at the end of every run. \
            Exit status 1 when the verdict is FAIL (unless --no-fail), 2 when an input cannot be read.
            """)

    @Option(help: ArgumentHelp("The results folder.", valueName: "dir"))
    var output: String = LoadOpsConfig.defaultOutput

    @Option(help: ArgumentHelp("The reference: a file, a run id or `previous` (default: \(BaselineStore.defaultPath) if it exists).",
                               valueName: "spec"))
    var baseline: String?

    @Option(help: ArgumentHelp("Allowed change before a regression flag, percent of the baseline.", valueName: "percent"))
    var tolerance: String = "5%"

    @Option(help: ArgumentHelp("Also write JUnit XML here (one test case per threshold and per compared figure).", valueName: "file"))
    var junit: String?

    @Flag(name: .customLong("no-fail"), help: "Exit 0 even when the verdict is FAIL.")
    var noFail = false

    @OptionGroup var database: HistoryDatabaseOption

    func run() throws {
        let directory = FileManager.default.currentDirectoryPath
        let request = SummaryRequest(
            output: output, baseline: baseline, tolerance: try ComparisonTolerance(flag: tolerance),
            junitPath: junit.map { UserPath.resolve($0, relativeTo: directory) }, databasePath: database.path,
            workingDirectory: directory)
        let summary = try request.write()
        print(summary.lines.joined(separator: "\n"))
        if !summary.verdict.passed && !noFail { throw ExitCode(ExitStatus.checkFailed.rawValue) }
    }
}
