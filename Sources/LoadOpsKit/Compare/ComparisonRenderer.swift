import Foundation

/// Output formats of `loadops compare`.
public enum ComparisonFormat: String, Sendable, CaseIterable {
    case table
    case markdown
    case json
}

/// Writes a `ComparisonReport` for a terminal, a Markdown document or a program.
public enum ComparisonRenderer {
    public static func render(_ report: ComparisonReport, format: ComparisonFormat) throws -> String {
        switch format {
        case .table: return table(report)
        case .markdown: return markdown(report)
        case .json: return try json(report)
        }
    }

    /// Plain aligned columns, one block per scope.
    public static func table(_ report: ComparisonReport) -> String {
        var lines = [header(report), ""]
        if !report.isComparable { lines += comparabilityLines(report) + [""] }
        var table = TextTable(headers: ["Scope", "Metric", "Baseline", "Current", "Change", "Flag"], leftAligned: [0, 1, 5])
        var oneSided: [String] = []
        for (index, scope) in report.scopes.enumerated() {
            guard scope.presence == .both else {
                oneSided.append(presenceLine(scope))
                continue
            }
            if index > 0 { table.addSeparator() }
            for (rowIndex, row) in scope.rows.enumerated() {
                table.add([rowIndex == 0 ? shortened(scope.title) : "", row.metric.rawValue,
                           value(row.baseline, row.metric, of: scope), value(row.current, row.metric, of: scope), row.changeText, row.flag.symbol])
            }
        }
        lines += table.render()
        if !oneSided.isEmpty {
            lines.append("")
            lines += oneSided
        }
        lines.append("")
        lines += verdictLines(report)
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown table, for `RESULTS_SUMMARY.md`, pull requests and wikis.
    public static func markdown(_ report: ComparisonReport, headingLevel: Int = 0) -> String {
        var lines: [String] = []
        if headingLevel > 0 { lines += ["\(String(repeating: "#", count: headingLevel)) Comparison against baseline", ""] }
        // Bullets: consecutive plain lines would run together into one Markdown paragraph.
        lines += header(report).split(separator: "\n").map { "- " + $0 }
        lines.append("")
        if !report.isComparable {
            let warning = comparabilityLines(report)
            lines.append("**" + warning[0] + "**")
            lines += warning.dropFirst().map { "- " + $0.trimmingCharacters(in: .whitespaces).dropFirst(2) }
            lines.append("")
        }
        lines.append("| Scope | Metric | Baseline | Current | Change | Flag |")
        lines.append("|---|---|---:|---:|---:|---|")
        var oneSided: [String] = []
        for scope in report.scopes {
            guard scope.presence == .both else {
                oneSided.append("- " + presenceLine(scope))
                continue
            }
            for row in scope.rows {
                lines.append("| \(markdownCell(scope.title)) | \(row.metric.rawValue) | \(value(row.baseline, row.metric, of: scope)) | \(value(row.current, row.metric, of: scope)) | \(row.changeText) | \(row.flag.symbol) |")
            }
        }
        if !oneSided.isEmpty {
            lines.append("")
            lines += oneSided
        }
        lines.append("")
        lines += verdictLines(report)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report as JSON (snake_case keys, sorted, ISO 8601 dates).
    public static func json(_ report: ComparisonReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ResultsDocument.iso8601(fractional: true).string(from: date))
        }
        let document = JSONReport(report)
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }

    /// The report plus the summary figures a script wants without walking the rows.
    private struct JSONReport: Encodable {
        var report: ComparisonReport
        init(_ report: ComparisonReport) { self.report = report }

        enum CodingKeys: String, CodingKey { case regressions, improvements, passed }

        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(report.regressions.count, forKey: .regressions)
            let improvements = report.scopes.reduce(0) { $0 + $1.rows.filter { $0.flag == .improvement }.count }
            try container.encode(improvements, forKey: .improvements)
            try container.encode(!report.hasRegression, forKey: .passed)
        }
    }

    static func header(_ report: ComparisonReport) -> String {
        let date = ResultsDocument.iso8601(fractional: false)
        return "Current: \(report.currentLabel) (\(date.string(from: report.currentStartedAt)))\n"
            + "Baseline: \(report.baselineLabel) (\(date.string(from: report.baselineStartedAt)))\n"
            + "Tolerance: ±\(ReportNumber.decimal(report.tolerancePercent))% (changes smaller than 1 ms for latencies, 0.1 point for rates or 1 req/s for rps are never flagged)"
    }

    /// The warning above a comparison of runs made under different configurations.
    static func comparabilityLines(_ report: ComparisonReport) -> [String] {
        ["⚠ Not comparable: the runs were made with different configurations, so changes below may not be regressions or improvements:"]
            + report.configurationDifferences.map { "  - " + $0 }
    }

    /// One line: the regressions, at most `limit` of them named (a cron mail's subject-sized verdict).
    public static func verdict(_ report: ComparisonReport, limit: Int = 3) -> String {
        let regressions = report.regressions
        guard !regressions.isEmpty else { return "No regression beyond the tolerance." }
        var list = regressions.prefix(limit).map { "\($0.scope.title) \($0.row.metric.rawValue) \($0.row.changeText)" }
        if regressions.count > limit { list.append("and \(regressions.count - limit) more") }
        return "\(regressions.count) regression\(regressions.count == 1 ? "" : "s"): \(list.joined(separator: "; "))"
    }

    /// Every regression on a line of its own, under a count.
    static func verdictLines(_ report: ComparisonReport) -> [String] {
        let regressions = report.regressions
        guard regressions.count > 1 else { return [verdict(report)] }
        return ["\(regressions.count) regressions:"]
            + regressions.map { "  - \($0.scope.title) \($0.row.metric.rawValue) \($0.row.changeText)" }
    }

    static func presenceLine(_ scope: ScopeComparison) -> String {
        switch scope.presence {
        case .currentOnly: return "\(scope.title): only in the current run (new \(scope.isFlow ? "flow" : "endpoint"), nothing to compare)"
        case .baselineOnly: return "\(scope.title): only in the baseline (not exercised by the current run)"
        case .both: return scope.title
        }
    }

    static func value(_ value: Double?, _ metric: ComparisonMetric) -> String {
        value.map(metric.format) ?? "no requests"
    }

    /// A flow's figure, or why it has none.
    static func value(_ value: Double?, _ metric: ComparisonMetric, of scope: ScopeComparison) -> String {
        guard scope.isFlow else { return self.value(value, metric) }
        return value.map(metric.format) ?? (metric == .errorRate ? "no iterations" : "none completed")
    }

    /// `|` would end a Markdown cell early.
    static func markdownCell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
    }

    static func shortened(_ name: String) -> String {
        name.count <= RunSummaryText.maximumNameWidth ? name : String(name.prefix(RunSummaryText.maximumNameWidth - 3)) + "..."
    }
}
