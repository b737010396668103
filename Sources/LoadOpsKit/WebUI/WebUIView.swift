import Foundation

/// What the page shows at one moment, sent to it as JSON every second (server-sent events): the
/// phase, the figures of the status bar, the statistics table, the warnings, the charts as `<svg>`
/// markup (`TimeChart`), and once the run has ended its verdict, comparison and files.
///
/// Every text is sent as text: the page puts it in with `textContent`, so an endpoint named
/// `<script>` shows as its name. Only the charts are markup, and `TimeChart` escapes what it draws.
struct WebUIView: Encodable {
    struct Row: Encodable {
        var method: String
        var name: String
        var requests: UInt64
        var failures: UInt64
        var rps: String
        var p50: String
        var p95: String
        var p99: String
    }

    struct Link: Encodable {
        var name: String
        var href: String
    }

    struct Outcome: Encodable {
        var passed: Bool
        var verdict: String
        var reasons: [String]
        var status: String
        var thresholds: [String]
        /// The comparison against the baseline as `loadops compare` prints it; nil without a baseline.
        var comparison: String?
        var links: [Link]
        var runID: Int64?
    }

    var phase: WebUISession.Phase
    var run: Int
    var model: String?
    var host: String
    var elapsed: String
    var planned: String
    var progress: Int
    var users: Int
    var targetRate: String?
    var rps: String
    var failureRate: String
    var totalRequests: UInt64
    var totalFailures: UInt64
    /// True once the table holds the run's final figures (exact percentiles); live figures are
    /// the per-endpoint latency buckets' estimates.
    var exact: Bool
    var rows: [Row]
    var warnings: [String]
    var changes: [String]
    var charts: [String]
    var error: String?
    var outcome: Outcome?

    /// The files a finished run links to, by name: its report, CSVs, results.json and summary. The
    /// UI serves these names from the run's output folder and nothing else.
    static let servedFiles = [
        HTMLReport.fileName, ResultsWriter.resultsFileName, LocustCSVWriter.statsFileName,
        LocustCSVWriter.statsHistoryFileName, LocustCSVWriter.failuresFileName, LocustCSVWriter.exceptionsFileName,
        LocustCSVWriter.flowStatsFileName, RunSummaryMarkdown.fileName,
    ]

    /// Points per live chart: a second each for four minutes, buckets of seconds after that.
    static let chartPoints = 240

    static func make(phase: WebUISession.Phase, live: WebUISession.LiveRun?, report: RunReport?, error: String?) -> WebUIView {
        let latest = live?.latest
        let seconds = live?.seconds ?? []
        var view = WebUIView(
            phase: phase, run: live?.number ?? 0, model: live?.model?.rawValue, host: live?.host ?? "",
            elapsed: ReportNumber.clock(latest?.elapsed ?? 0, rounding: .down),
            planned: ReportNumber.clock(latest?.plannedDuration ?? 0, rounding: .down),
            progress: latest.map { $0.plannedDuration > 0 ? min(Int($0.elapsed / $0.plannedDuration * 100), 100) : 0 } ?? 0,
            users: latest?.users ?? 0, targetRate: latest?.targetRate.map(RateParser.format),
            rps: ReportNumber.fixed(latest?.requestsPerSecond ?? 0, places: 1),
            failureRate: percent(failures: latest?.totalFailures ?? 0, of: latest?.totalRequests ?? 0),
            totalRequests: latest?.totalRequests ?? 0, totalFailures: latest?.totalFailures ?? 0,
            exact: false, rows: live.map(liveRows) ?? [],
            warnings: live?.warnings.map { $0.message } ?? [],
            changes: live?.changes.map { "\(ReportNumber.clock($0.elapsed, rounding: .down))  \($0.text)" } ?? [],
            charts: live.flatMap { seconds.isEmpty ? nil : charts($0, seconds: seconds) } ?? [],
            error: error, outcome: nil)
        if let abort = live?.abortRule { view.warnings.append("abort rule holds: \(abort): the load was stopped") }
        if let report {
            view.exact = true
            view.rows = finalRows(report.result)
            view.totalRequests = report.result.aggregate.requests
            view.totalFailures = report.result.aggregate.failures
            view.failureRate = percent(failures: view.totalFailures, of: view.totalRequests)
            view.elapsed = ReportNumber.clock(report.result.durationSeconds, rounding: .down)
            // The whole run's figures, not its last second's.
            view.rps = ReportNumber.fixed(Double(view.totalRequests) / max(report.result.durationSeconds, 0.001), places: 1)
            view.users = report.result.peakUsers
            view.targetRate = nil
            view.outcome = outcome(report)
        }
        return view
    }

    private static func percent(failures: UInt64, of requests: UInt64) -> String {
        requests == 0 ? "0%" : ReportNumber.percent(Double(failures) * 100 / Double(requests))
    }

    // MARK: The table

    /// Each endpoint's figures since the start, from the running totals the generator hands its
    /// observers every second; the current rate from the last two seconds.
    private static func liveRows(_ live: WebUISession.LiveRun) -> [Row] {
        guard let latest = live.latest else { return [] }
        let interval = max(latest.elapsed - (live.previous?.elapsed ?? 0), 0.001)
        var rows: [Row] = []
        var total = EndpointRunningTotals()
        for (index, key) in live.endpoints.enumerated() where index < latest.endpoints.count {
            let totals = latest.endpoints[index]
            let before = live.previous.flatMap { index < $0.endpoints.count ? $0.endpoints[index].requests : nil } ?? 0
            rows.append(row(key, totals, rps: Double(totals.requests &- min(before, totals.requests)) / interval))
            total.add(totals)
        }
        rows.append(row(EndpointKey(method: "", name: "Aggregated"), total, rps: latest.requestsPerSecond))
        return rows
    }

    private static func row(_ key: EndpointKey, _ totals: EndpointRunningTotals, rps: Double) -> Row {
        let estimate = { (fraction: Double) in estimatedMilliseconds(totals, at: fraction).map { "~" + milliseconds($0) } ?? "" }
        return Row(method: key.method, name: key.name, requests: totals.requests, failures: totals.failures,
                   rps: ReportNumber.fixed(rps, places: 1), p50: estimate(0.50), p95: estimate(0.95), p99: estimate(0.99))
    }

    /// A latency percentile from the histogram's buckets: linear within the bucket the rank falls in,
    /// as Prometheus' `histogram_quantile` reads them, over the part of the bucket its requests' mean
    /// allows (requests spread evenly from the bucket's floor to twice their mean above it), so a
    /// bucket from 25 ms to 50 ms whose requests all took 26 ms does not read as 40. Nil before any request.
    static func estimatedMilliseconds(_ totals: EndpointRunningTotals, at fraction: Double) -> Double? {
        let count = totals.latencyCounts.reduce(0, +)
        guard count > 0 else { return nil }
        let bounds = EndpointRunningTotals.latencyBucketBounds
        let rank = fraction * Double(count)
        var below = 0.0
        for (index, inBucket) in totals.latencyCounts.enumerated() where inBucket > 0 {
            if below + Double(inBucket) >= rank {
                let lower = index == 0 ? 0 : bounds[index - 1]
                let mean = totals.latencySums[index] / Double(inBucket)
                // The bucket past the last bound has no upper edge of its own.
                let upper = min(index < bounds.count ? bounds[index] : .infinity, max(2 * mean - lower, lower))
                return (lower + (upper - lower) * (rank - below) / Double(inBucket)) * 1000
            }
            below += Double(inBucket)
        }
        return nil
    }

    /// The run's final statistics: exact percentiles, requests per second over the whole run.
    private static func finalRows(_ result: RunResult) -> [Row] {
        let seconds = max(result.durationSeconds, 0.001)
        return (result.endpoints + [result.aggregate]).map { statistics in
            let has = statistics.requests > 0
            return Row(method: statistics.key.method, name: statistics.key.name, requests: statistics.requests,
                       failures: statistics.failures, rps: ReportNumber.fixed(Double(statistics.requests) / seconds, places: 1),
                       p50: has ? milliseconds(statistics.latencyMilliseconds(at: .p50)) : "",
                       p95: has ? milliseconds(statistics.latencyMilliseconds(at: .p95)) : "",
                       p99: has ? milliseconds(statistics.latencyMilliseconds(at: .p99)) : "")
        }
    }

    private static func milliseconds(_ value: Double) -> String {
        ReportNumber.threeFigures(value, trimmingZeros: true) + " ms"
    }

    // MARK: The end

    private static func outcome(_ report: RunReport) -> Outcome {
        let verdict = report.verdict
        let names = Set(report.files.filter { ($0 as NSString).deletingLastPathComponent == report.outputFolder }
            .map { ($0 as NSString).lastPathComponent })
        let links = servedFiles.filter(names.contains).map { Link(name: $0, href: "/results/\($0)") }
        return Outcome(
            passed: verdict.passed, verdict: verdict.label, reasons: verdict.reasonLines,
            status: report.result.stopReason.map(\.text) ?? report.result.status.rawValue,
            thresholds: report.thresholds.map { "\($0.passed ? "✓" : "✗") \($0.scope): \($0.expression) (observed \($0.observed))" },
            comparison: report.comparison.map(ComparisonRenderer.table),
            links: links, runID: report.runID)
    }

    // MARK: The charts

    /// Requests and failures per second; p50, p95 and p99; users (or the target rate and the
    /// connections in use, for the open model). The warning signs and the changes made from the page
    /// are marked on each.
    private static func charts(_ live: WebUISession.LiveRun, seconds: [SecondSnapshot]) -> [String] {
        let buckets = ChartBuckets(seconds, limit: chartPoints).buckets
        let end = live.latest?.elapsed ?? 0
        var marks = live.warningSpans.map { TimeChart.Mark(start: $0.start, end: $0.end ?? end, label: $0.message) }
        marks += live.changes.map { TimeChart.Mark(start: $0.elapsed, end: $0.elapsed, label: $0.text) }
        // The report's charts, drawn live.
        return RunCharts.make(buckets, openModel: live.model == .open, marks: marks).map { $0.svg(width: 460, height: 220) }
    }
}
