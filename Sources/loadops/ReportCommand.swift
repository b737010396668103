import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops report`: load_test_report.html for a saved or recorded run.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write load_test_report.html for a run: statistics, percentiles, failures, charts over time, verdict, baseline, trend.",
        discussion: """
            RUN is a results.json, its folder, a run id, `latest` or `previous` (default: \
            \(ComparisonRequest.defaultCurrentFile) if it exists, else `latest`). The page is self-contained \
            (inline CSS and SVG, no script, nothing fetched) and goes beside the results.json, or to \
            load_test_report_run-ID.html for a run read from the history, unless --output says where. \
            `loadops run` and `loadops summary` write it too. Exit status 2 when the run or the baseline cannot be read.
            """)

    @Argument(help: ArgumentHelp("The run: a results.json (or its folder), a run id, `latest` or `previous`.", valueName: "run"))
    var spec: String?

    @Option(help: ArgumentHelp("The file to write (a folder gets load_test_report.html inside).", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("The reference: a file, a run id or `previous` (default: \(BaselineStore.defaultPath) if it exists).",
                               valueName: "spec"))
    var baseline: String?

    @Option(help: ArgumentHelp("Allowed change before a regression flag, percent of the baseline.", valueName: "percent"))
    var tolerance: String = "5%"

    @OptionGroup var database: HistoryDatabaseOption

    func run() throws {
        let request = ReportRequest(
            run: spec, output: output, baseline: baseline,
            tolerance: try ComparisonTolerance(flag: tolerance), databasePath: database.path,
            workingDirectory: FileManager.default.currentDirectoryPath)
        let written = try request.write()
        print("Written: \(written.path) (\(written.runLabel), \(written.verdict.label))")
    }
}
