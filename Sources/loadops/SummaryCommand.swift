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
            let resultsPath = (output as NSString).appendingPathComponent(ResultsWriter.resultsFileName)
            let document = try ResultsDocument.load(from: resultsPath)
            let thresholds = try ThresholdSet.parse(document.config.thresholds).evaluate(document)

            var comparison: ComparisonReport?
            let baselineSpec = baseline ?? (FileManager.default.fileExists(atPath: BaselineStore.defaultPath) ? BaselineStore.defaultPath : nil)
            if let baselineSpec {
                let tolerancePercent = try ComparisonTolerance.parsePercent(tolerance)
                let reference = try ResultsLocator.resolve(baselineSpec, databasePath: database.path, workingDirectory: directory)
                comparison = BaselineComparison.compare(current: document, baseline: reference.document,
                                                        tolerance: ComparisonTolerance(percent: tolerancePercent),
                                                        currentLabel: resultsPath, baselineLabel: reference.label)
            }

            let path = try RunSummaryMarkdown.writeSummary(document: document, thresholds: thresholds,
                                                           comparison: comparison, to: output)
            if let junit {
                try JUnitReport.write(document: document, thresholds: thresholds, comparison: comparison, to: junit)
            }
            let evaluation = RunEvaluation(thresholds: thresholds, comparison: comparison)
            for line in evaluation.consoleLines() { print(line) }
            print("Summary: \(path)" + (junit.map { ", JUnit: \($0)" } ?? ""))
            if !evaluation.passed && !noFail { throw ExitCode(ExitStatus.checkFailed.rawValue) }
        }
    }
}
