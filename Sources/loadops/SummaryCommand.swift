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
    var output: String = "load_test_reports"

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
        try reportingErrors {
            let directory = FileManager.default.currentDirectoryPath
            let tolerancePercent = try ComparisonTolerance.parsePercent(tolerance)
            let assessment = try RunAssessment.ofSavedResults(
                in: output, baseline: baseline, tolerance: ComparisonTolerance(percent: tolerancePercent),
                databasePath: database.path, workingDirectory: directory)
            let paths = try ReportWriters.write(ReportWriters.list(junitPath: junit), assessment,
                                                to: UserPath.resolve(output, relativeTo: directory))
            if !assessment.thresholds.isEmpty {
                print("Thresholds")
                for outcome in assessment.thresholds {
                    print("  \(outcome.verdict)  \(outcome.scope): \(outcome.expression) (observed \(outcome.observed))")
                }
            }
            if let comparison = assessment.comparison {
                print(ComparisonRenderer.verdict(comparison) + " (against \(comparison.baselineLabel))")
            }
            for warning in assessment.warnings where warning.hasPrefix("baseline not compared") { print("warning: \(warning)") }
            print("Written: " + paths.joined(separator: ", "))
            let verdict = assessment.verdict
            print("Pass/Fail: " + verdict.headline)
            if !verdict.passed && !noFail { throw ExitCode(ExitStatus.checkFailed.rawValue) }
        }
    }
}
