import Foundation

/// The end-of-run summary for a terminal or a cron mail: Locust's end-of-run tables (requests,
/// response time percentiles, failures) in plain ASCII columns, without colour codes.
public enum RunSummaryText {
    /// Longer endpoint names are shortened so a row still fits a mail window.
    static let maximumNameWidth = 60

    public static func render(_ result: RunResult) -> String {
        let aggregate = result.aggregate
        let endpoints = result.endpoints.sorted { $0.key < $1.key }
        var lines: [String] = [headline(result), ""]

        var requests = TextTable(headers: ["Type", "Name", "# reqs", "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s"],
                                 leftAligned: [0, 1])
        for (index, entry) in (endpoints + [aggregate]).enumerated() {
            if index == endpoints.count { requests.addSeparator() }
            requests.add([
                entry.key.method,
                shortened(entry.key.name),
                String(entry.requests),
                "\(entry.failures)(\(ReportNumber.fixed(entry.errorRate, places: 2))%)",
                milliseconds(entry.meanMilliseconds),
                milliseconds(entry.minimumMilliseconds),
                milliseconds(entry.maximumMilliseconds),
                milliseconds(entry.medianMilliseconds),
                ReportNumber.fixed(result.perSecond(entry.requests), places: 2),
                ReportNumber.fixed(result.perSecond(entry.failures), places: 2),
            ])
        }
        lines.append("Requests (response times in ms)")
        lines += requests.render()
        lines.append("")

        let percentileTitle = result.coordinatedOmissionCorrected
            ? "Response time percentiles (ms, corrected for coordinated omission)"
            : "Response time percentiles (ms)"
        var percentiles = TextTable(headers: ["Type", "Name"] + Percentile.columnHeaders + ["# reqs"], leftAligned: [0, 1])
        for (index, entry) in (endpoints + [aggregate]).enumerated() {
            if index == endpoints.count { percentiles.addSeparator() }
            var row = [entry.key.method, shortened(entry.key.name)]
            for percentile in Percentile.allCases {
                row.append(entry.requests > 0 ? milliseconds(entry.latencyMilliseconds(at: percentile)) : "N/A")
            }
            row.append(String(entry.requests))
            percentiles.add(row)
        }
        lines.append(percentileTitle)
        lines += percentiles.render()
        lines += flowLines(result)
        lines += phaseLines(endpoints + [aggregate])

        var failures = TextTable(headers: ["# occurrences", "Type", "Name", "Error"], leftAligned: [1, 2, 3])
        for entry in endpoints {
            for (kind, count) in entry.failuresByKindSorted where count > 0 {
                failures.add([String(count), entry.key.method, shortened(entry.key.name), kind.message])
            }
        }
        if failures.rowCount > 0 {
            lines.append("")
            lines.append("Failures")
            lines += failures.render()
        }

        var notes = result.warnings
        if result.droppedArrivals > 0 {
            notes.append("\(result.droppedArrivals) arrivals were dropped: every connection was busy and the queue was full")
        }
        if !notes.isEmpty {
            lines.append("")
            lines.append("Warnings")
            lines += notes.map { "- \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The flows, one row each: iterations, durations of the completed ones, the steps the failed ones ended at.
    static func flowLines(_ result: RunResult) -> [String] {
        guard !result.flows.isEmpty else { return [] }
        var table = TextTable(headers: ["Flow", "# started", "# completed", "# failed", "Med", "p95", "p99", "iter/s", "Failed at"],
                              leftAligned: [0, 8])
        for flow in result.flows {
            let config = result.config.flows.first { $0.name == flow.name }
            let steps = flow.failedAtStepNames(config).sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let completed = flow.duration.totalCount > 0
            table.add([
                shortened(flow.name),
                String(flow.started),
                String(flow.completed),
                "\(flow.failed)(\(ReportNumber.fixed(flow.failureRate, places: 2))%)",
                completed ? milliseconds(flow.duration.milliseconds(at: .p50)) : "N/A",
                completed ? milliseconds(flow.duration.milliseconds(at: .p95)) : "N/A",
                completed ? milliseconds(flow.duration.milliseconds(at: .p99)) : "N/A",
                ReportNumber.fixed(result.perSecond(flow.finished), places: 2),
                steps.isEmpty ? "-" : steps,
            ])
        }
        return ["", "Flows (completed iterations' durations in ms)"] + table.render()
    }

    /// Where the requests' time went, one row per endpoint that measured it: mean/p95 of each phase, and
    /// how many connections were opened (connect and TLS are measured on those only).
    static func phaseLines(_ entries: [EndpointStatistics]) -> [String] {
        let measured = entries.filter { entry in
            [entry.phases.connect, entry.phases.tlsHandshake, entry.phases.timeToFirstByte, entry.phases.receive]
                .contains { $0.totalCount > 0 }
        }
        guard !measured.isEmpty else { return [] }
        var table = TextTable(headers: ["Type", "Name", "conns", "connect", "TLS", "TTFB", "receive"], leftAligned: [0, 1])
        for (index, entry) in measured.enumerated() {
            if index == measured.count - 1 && entry.key.method.isEmpty && index > 0 { table.addSeparator() }
            let phases = entry.phases
            table.add([entry.key.method, shortened(entry.key.name), String(phases.connect.totalCount)]
                      + [phases.connect, phases.tlsHandshake, phases.timeToFirstByte, phases.receive].map { histogram in
                          histogram.totalCount > 0
                              ? "\(milliseconds(histogram.meanMilliseconds))/\(milliseconds(histogram.milliseconds(at: .p95)))" : "-"
                      })
        }
        return ["", "Where the time went (ms, mean/p95)"] + table.render()
    }

    static func headline(_ result: RunResult) -> String {
        let config = result.config
        var details: [String] = ["\(config.load.model.rawValue) model"]
        switch config.load.model {
        case .closed: details.append("peak \(result.peakUsers) users")
        case .open:
            let target = LoadPlan.plannedRequestRate(endpoints: config.endpoints, flows: config.flows, load: config.load)
            if config.load.stages.isEmpty { details.append("target \(ReportNumber.decimal(target)) req/s") }
            details.append("achieved \(ReportNumber.decimal(result.perSecond(result.aggregate.requests))) req/s")
            details.append("peak \(result.peakUsers) connection\(result.peakUsers == 1 ? "" : "s") in use")
        }
        if let environment = config.environment, !environment.isEmpty { details.append("environment \(environment)") }
        let aggregate = result.aggregate
        return "Run \(result.status.rawValue) after \(ReportNumber.fixed(result.durationSeconds, places: 1)) s against \(config.host)"
            + " (\(details.joined(separator: ", "))): "
            + "\(aggregate.requests) requests, \(ReportNumber.fixed(aggregate.successRate, places: 2))% succeeded, "
            + "p95 \(milliseconds(aggregate.latencyMilliseconds(at: .p95))) ms"
    }

    /// Two decimals under 10 ms, one under 100 ms, whole milliseconds above: enough digits to compare, no
    /// noise; the zeros stay, so a column lines up.
    static func milliseconds(_ value: Double) -> String { ReportNumber.threeFigures(value, trimmingZeros: false) }

    static func shortened(_ name: String) -> String {
        guard name.count > maximumNameWidth else { return name }
        return String(name.prefix(maximumNameWidth - 3)) + "..."
    }
}

/// Columns padded to their widest cell, two spaces apart; numbers right-aligned.
struct TextTable {
    var headers: [String]
    var leftAligned: Set<Int>
    /// `nil` draws a dashed line.
    private var rows: [[String]?] = []

    init(headers: [String], leftAligned: Set<Int>) {
        self.headers = headers
        self.leftAligned = leftAligned
    }

    var rowCount: Int { rows.compactMap { $0 }.count }

    mutating func add(_ row: [String]) { rows.append(row) }
    mutating func addSeparator() { rows.append(nil) }

    func render() -> [String] {
        var widths = headers.map(\.count)
        for case let row? in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        let dashes = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        var lines = [line(headers, widths: widths), dashes]
        for row in rows {
            lines.append(row.map { line($0, widths: widths) } ?? dashes)
        }
        return lines
    }

    private func line(_ cells: [String], widths: [Int]) -> String {
        var parts: [String] = []
        for (index, width) in widths.enumerated() {
            let cell = index < cells.count ? cells[index] : ""
            let padding = String(repeating: " ", count: max(width - cell.count, 0))
            parts.append(leftAligned.contains(index) ? cell + padding : padding + cell)
        }
        var text = parts.joined(separator: "  ")
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
