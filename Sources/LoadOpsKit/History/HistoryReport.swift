import Foundation

/// The text `loadops history` prints: aligned tables and a sparkline.
public enum HistoryReport {
    /// `loadops history`: newest run first.
    public static func runList(_ rows: [RunSummaryRow], timeZone: TimeZone = .current) -> String {
        guard !rows.isEmpty else { return "no runs recorded yet\n" }
        let showSource = rows.contains { $0.source != RunSource.loadops }
        var header = ["ID", "Started", "Status", "Host", "Load", "Requests", "Success", "p95 (ms)"]
        if showSource { header.append("Source") }
        let body = rows.map { row -> [String] in
            var cells = [String(row.id), time(row.startedAt, timeZone), row.status, row.host.isEmpty ? "-" : row.host,
                         load(row), String(row.requests), percent(row.successRate), milliseconds(row.p95Milliseconds)]
            if showSource { cells.append(row.source) }
            return cells
        }
        return HistoryTable.render(header: header, rows: body, rightAligned: [0, 5, 6, 7])
    }

    /// `loadops history show RUN`.
    public static func runDetail(_ run: RunSummaryRow, endpoints: [HistoryEndpointRow], thresholds: [ThresholdRow],
                                 archives: [ArchiveRow], warnings: [String], warningSigns: [WarningRecord] = [],
                                 monitor: MonitorRecording? = nil, stopReason: String? = nil, engine: String? = nil,
                                 flows: [HistoryFlowRow] = [], timeZone: TimeZone = .current) -> String {
        var lines: [String] = []
        lines.append("run \(run.id) · \(run.status) · \(run.source)")
        if let engine { lines.append("engine     \(engine)") }
        if let stopReason { lines.append("stopped    \(stopReason)") }
        lines.append("started    \(time(run.startedAt, timeZone, seconds: true))")
        lines.append("ended      \(time(run.endedAt, timeZone, seconds: true)) (\(duration(run.durationSeconds)))")
        lines.append("host       \(run.host.isEmpty ? "-" : run.host)" + (run.environment.map { " (environment \($0))" } ?? ""))
        var loadLine = "load       \(load(run))"
        if run.model == "closed" && run.spawnRate > 0 { loadLine += ", spawn rate \(number(run.spawnRate))/s" }
        lines.append(loadLine)
        lines.append("config     \(run.configHash) (FNV-1a of the effective configuration)")
        lines.append("result     \(run.requests) requests, \(run.failures) failures, success \(percent(run.successRate)), "
                     + "p95 \(milliseconds(run.p95Milliseconds)) ms, \(number(run.requestsPerSecond)) req/s")
        lines.append("")
        let header = ["Method", "Name", "Requests", "Fails", "Success", "req/s", "p50", "p95", "p99", "max (ms)"]
        let ordered = endpoints.filter { !$0.isAggregate } + endpoints.filter(\.isAggregate)
        let body = ordered.map { endpoint -> [String] in
            [endpoint.method, endpoint.name, String(endpoint.requests), String(endpoint.failures),
             percent(endpoint.successRate), number(endpoint.requestsPerSecond),
             endpoint.percentiles[.p50].map(milliseconds) ?? "-", endpoint.percentiles[.p95].map(milliseconds) ?? "-",
             endpoint.percentiles[.p99].map(milliseconds) ?? "-",
             endpoint.requests > 0 ? milliseconds(endpoint.maxMilliseconds) : "-"]
        }
        lines.append(HistoryTable.render(header: header, rows: body, rightAligned: [2, 3, 4, 5, 6, 7, 8, 9]), terminator: false)
        if !flows.isEmpty {
            lines.append("")
            lines.append("flows (iteration durations in ms)")
            lines.append(flowTable(flows), terminator: false)
        }
        let phased = ordered.filter {
            [$0.timeToFirstByteP50Milliseconds, $0.timeToFirstByteP95Milliseconds,
             $0.connectP50Milliseconds, $0.connectP95Milliseconds].contains { $0 != nil }
        }
        if !phased.isEmpty {
            lines.append("")
            lines.append("request phases (ms)")
            let rows = phased.map { endpoint -> [String] in
                [endpoint.method, endpoint.name]
                    + [endpoint.timeToFirstByteP50Milliseconds, endpoint.timeToFirstByteP95Milliseconds,
                       endpoint.connectP50Milliseconds, endpoint.connectP95Milliseconds].map { $0.map(milliseconds) ?? "-" }
            }
            lines.append(HistoryTable.render(header: ["Method", "Name", "TTFB p50", "TTFB p95", "connect p50", "connect p95"],
                                             rows: rows, rightAligned: [2, 3, 4, 5]), terminator: false)
        }
        if !thresholds.isEmpty {
            lines.append("")
            lines.append("thresholds")
            let rows = thresholds.map { threshold -> [String] in
                [threshold.passed ? "PASS" : "FAIL", threshold.scope, threshold.expression,
                 threshold.observed.map(number) ?? "-"]
            }
            lines.append(HistoryTable.render(header: ["", "Scope", "Threshold", "Observed"], rows: rows, rightAligned: [3]),
                         terminator: false)
        }
        if !warnings.isEmpty {
            lines.append("")
            lines.append("warnings")
            lines += warnings.map { "  - \($0)" }
        }
        if !warningSigns.isEmpty {
            lines.append("")
            lines.append("warning signs during the run")
            lines += warningSigns.map { "  \($0.timeSpan)  \($0.message)" }
        }
        if let monitor {
            lines.append("")
            lines.append("monitor (every \(ReportNumber.decimal(monitor.intervalSeconds)) s)")
            lines += monitor.summaryLines.map { "  \($0)" }
        }
        if !archives.isEmpty {
            lines.append("")
            lines.append("archives")
            lines += archives.map { "  \($0.name)  \($0.path)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A run's flows: iterations, failure rate, durations and the steps the failed iterations ended at.
    static func flowTable(_ flows: [HistoryFlowRow]) -> String {
        let header = ["Flow", "Started", "Completed", "Failed", "Failure", "iter/s", "p50", "p95", "p99", "max", "Failed at"]
        let rows = flows.map { flow -> [String] in
            let completed = flow.iterationsCompleted > 0
            let steps = flow.failedAtStep.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return [flow.name, String(flow.iterationsStarted), String(flow.iterationsCompleted), String(flow.iterationsFailed),
                    percent(flow.failureRate), number(flow.iterationsPerSecond),
                    flow.percentiles[.p50].map(milliseconds) ?? "-", flow.percentiles[.p95].map(milliseconds) ?? "-",
                    flow.percentiles[.p99].map(milliseconds) ?? "-", completed ? milliseconds(flow.maxMilliseconds) : "-",
                    steps.isEmpty ? "-" : steps]
        }
        return HistoryTable.render(header: header, rows: rows, rightAligned: [1, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    /// `loadops history trend` over runs of any configuration: one row per run, oldest first, then the sparkline.
    public static func trend(_ points: [TrendPoint], metric: TrendMetric, endpoint: String?,
                             timeZone: TimeZone = .current) -> String {
        let trend = HistoryTrend(points: points, scope: TrendScope(), configurationRunID: nil, configurationSummary: nil,
                                 leftOut: 0, leftOutConfigurations: 0, leftOutDifferences: [])
        return self.trend(trend, metric: metric, endpoint: endpoint, timeZone: timeZone)
    }

    /// `loadops history trend`: which runs were chosen (host, environment, configuration, and how many
    /// runs of other configurations were left out), one row per run, oldest first, then the sparkline.
    /// Runs of several configurations get a `Config` column (the fingerprint's first 8 digits, as in `history show`).
    public static func trend(_ trend: HistoryTrend, metric: TrendMetric, endpoint: String?,
                             timeZone: TimeZone = .current) -> String {
        let points = trend.points
        guard !points.isEmpty else { return "no runs recorded yet\n" }
        let subject = endpoint.map { "endpoint \($0)" } ?? "all endpoints (Aggregated)"
        var heading = "\(metric.rawValue) of \(subject), last \(points.count) run\(points.count == 1 ? "" : "s")"
        if let host = trend.scope.host { heading += " on host \(host)" }
        if let environment = trend.scope.environment { heading += " in environment \(environment)" }
        let configurations = Set(points.map(\.configHash)).count
        switch trend.scope.configuration {
        case .all:
            heading += configurations > 1 ? ", \(configurations) configurations (column Config)" : ", any configuration"
        case .latest:
            if let runID = trend.configurationRunID { heading += " with the configuration of run \(runID), the latest" }
        case .ofRun(let runID):
            heading += " with the configuration of run \(runID)"
        }
        var text = heading + "\n"
        if let summary = trend.configurationSummary { text += "configuration: \(summary)\n" }
        if trend.leftOut > 0 {
            let one = trend.leftOut == 1
            let others = trend.leftOutConfigurations > 1 ? "\(trend.leftOutConfigurations) other configurations" : "another configuration"
            let differing = trend.leftOutDifferences.isEmpty
                ? "" : " (\(one ? "it differs" : "they differ") in \(trend.leftOutDifferences.joined(separator: ", ")))"
            text += "\(trend.leftOut) run\(one ? "" : "s") with \(others) left out\(differing): "
                + "--all-configurations shows \(one ? "it" : "them")\n"
        }
        let showConfiguration = configurations > 1
        var header = ["ID", "Started", "Status", "Requests", metric.heading]
        if showConfiguration { header.append("Config") }
        let body = points.map { point -> [String] in
            var cells = [String(point.runID), time(point.startedAt, timeZone), point.status, String(point.requests),
                         point.value.map { format($0, metric) } ?? "-"]
            if showConfiguration { cells.append(String(point.configHash.prefix(8))) }
            return cells
        }
        text += "\n" + HistoryTable.render(header: header, rows: body, rightAligned: [0, 3, 4])
        let values = points.map(\.value)
        let present = values.compactMap { $0 }
        text += "\n\(sparkline(values))"
        if let low = present.min(), let high = present.max(), let last = present.last {
            text += "  min \(format(low, metric))  max \(format(high, metric))  last \(format(last, metric)) \(metric.unit)"
        }
        return text + "\n"
    }

    /// `▁▂▃▄▅▆▇█` scaled between the smallest and largest value; a space for a missing value,
    /// the middle bar throughout when all values are equal.
    public static func sparkline(_ values: [Double?]) -> String {
        let bars: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]
        let present = values.compactMap { $0 }
        guard let low = present.min(), let high = present.max() else {
            return String(repeating: " ", count: values.count)
        }
        let span = high - low
        return String(values.map { value -> Character in
            guard let value else { return " " }
            guard span > 0 else { return bars[3] }
            let level = Int(((value - low) / span * Double(bars.count - 1)).rounded())
            return bars[min(max(level, 0), bars.count - 1)]
        })
    }

    // MARK: - Formatting

    static func format(_ value: Double, _ metric: TrendMetric) -> String {
        switch metric {
        case .p50, .p95, .p99: return milliseconds(value)
        case .successRate, .errorRate: return ReportNumber.decimal(value)
        case .rps: return number(value)
        }
    }

    static func load(_ row: RunSummaryRow) -> String {
        if row.model == "open" {
            // Without a total rate the open model's rates are per endpoint (shown by `history show`).
            return row.rate.map { "open \(number($0))/s" } ?? "open"
        }
        return "\(row.model) \(row.users) user\(row.users == 1 ? "" : "s")"
    }

    /// Three significant figures at most, no trailing zeros: `0.42`, `12.3`, `1234`.
    static func milliseconds(_ value: Double) -> String { ReportNumber.threeFigures(value, trimmingZeros: true) }

    /// One decimal at most, none from 100 on: `2.5`, `40`, `1234`.
    static func number(_ value: Double) -> String { ReportNumber.decimal(value, places: value >= 100 ? 0 : 1) }

    /// `99.95%`, `100%` (two decimals at most, whatever the size).
    static func percent(_ value: Double) -> String { ReportNumber.decimal(value) + "%" }

    /// `2025-01-31 14:03` or `2025-01-31 14:03:05` in `timeZone`.
    static func time(_ date: Date, _ timeZone: TimeZone, seconds: Bool = false) -> String {
        let time = CivilTime(date, in: timeZone)
        return time.dateText + " " + time.clockText(seconds ? .seconds : .minutes)
    }

    static func duration(_ seconds: Double) -> String {
        // A stored figure is shown whatever it is (an older import may hold anything), never trapped on.
        guard seconds.isFinite, abs(seconds) < 1e15 else { return "\(seconds)s" }
        let total = Int(seconds.rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return "\(total / 60)m\(ReportNumber.zeroPadded(total % 60, digits: 2))s" }
        return "\(total / 3600)h\(ReportNumber.zeroPadded(total / 60 % 60, digits: 2))m"
    }
}

private extension Array where Element == String {
    /// Appends a block of text without its final newline.
    mutating func append(_ block: String, terminator: Bool) {
        append(terminator ? block : String(block.hasSuffix("\n") ? block.dropLast() : Substring(block)))
    }
}

/// Columns padded to their widest cell; numbers right-aligned.
enum HistoryTable {
    static func render(header: [String], rows: [[String]], rightAligned: Set<Int>) -> String {
        let all = [header] + rows
        var widths = Array(repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = Swift.max(widths[index], cell.count)
            }
        }
        var text = ""
        for (rowIndex, row) in all.enumerated() {
            var cells: [String] = []
            for (index, width) in widths.enumerated() {
                let cell = index < row.count ? row[index] : ""
                let padding = String(repeating: " ", count: width - cell.count)
                cells.append(rightAligned.contains(index) ? padding + cell : cell + padding)
            }
            text += trimTrailing(cells.joined(separator: "  ")) + "\n"
            if rowIndex == 0 {
                text += trimTrailing(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) + "\n"
            }
        }
        return text
    }

    private static func trimTrailing(_ line: String) -> String {
        var result = line
        while result.hasSuffix(" ") { result.removeLast() }
        return result
    }
}
