import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops compare`: a run against a baseline, figure by figure, with ±tolerance flags.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a run with a baseline: success rate, error rate, p50, p95, p99 and RPS per endpoint.",
        discussion: """
            Each figure is flagged ✓ within ±tolerance (default 5%), ⚠ regression when worse beyond it, \
            ↑ improvement when better. Changes smaller than an absolute floor (1 ms for latencies, 0.1 point \
            for rates, 1 req/s for RPS) are never flagged. Exit status 1 when a regression is flagged \
            (unless --no-fail), 2 when a side cannot be read.
            """)

    @Argument(help: ArgumentHelp(
        "The run to check: a results.json (or its folder), a run id or `latest`. "
            + "Default: \(ComparisonRequest.defaultCurrentFile) if it exists, else `latest`.",
        valueName: "current"))
    var current: String?

    @Option(help: ArgumentHelp("The reference: a file, a run id or `previous`.", valueName: "spec"))
    var baseline: String = BaselineStore.defaultPath

    @Option(help: ArgumentHelp("Allowed change before a flag, percent of the baseline.", valueName: "percent"))
    var tolerance: String = "5%"

    @Option(name: .customLong("metric-tolerance"), parsing: .singleValue, help: ArgumentHelp(
        "A per-metric tolerance such as p95=10% (repeatable; metrics: \(ComparisonMetric.allCases.map(\.rawValue).joined(separator: ", "))).",
        valueName: "metric=percent"))
    var metricTolerances: [String] = []

    @Option(help: ArgumentHelp("table, markdown or json.", valueName: "format"))
    var format: String = ComparisonFormat.table.rawValue

    @Flag(name: .customLong("no-fail"), help: "Exit 0 even when a regression is flagged.")
    var noFail = false

    @OptionGroup var database: HistoryDatabaseOption

    func run() throws {
        let outputFormat = try ComparisonFormat(flag: format)
        let request = ComparisonRequest(
            current: current, baseline: baseline,
            tolerance: try ComparisonTolerance(flag: tolerance, perMetricFlags: metricTolerances),
            databasePath: database.path, workingDirectory: FileManager.default.currentDirectoryPath)
        let report = try request.compare()
        print(try ComparisonRenderer.render(report, format: outputFormat), terminator: "")
        if report.hasRegression && !noFail { throw ExitCode(ExitStatus.checkFailed.rawValue) }
    }
}
