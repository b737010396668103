import Foundation

/// `RESULTS_SUMMARY.md`: the operations guide's "Reporting" template filled with the run's real figures.
public enum RunSummaryMarkdown {
    public static let fileName = "RESULTS_SUMMARY.md"

    public static func render(document: ResultsDocument, thresholds: [ThresholdOutcome],
                              comparison: ComparisonReport?, warnings: [String]) -> String {
        let passed = thresholds.allSatisfy(\.passed) && !(comparison?.hasRegression ?? false)
        var lines: [String] = ["# Load Test Results", ""]

        let date = ResultsDocument.iso8601(fractional: false)
        lines.append("- **Date**: \(date.string(from: document.startedAt)) to \(date.string(from: document.endedAt))")
        lines.append("- **Environment**: \(document.environment ?? "(not named)") (\(document.host))")
        lines.append("- **Duration**: \(ReportNumber.decimal(document.durationSeconds)) seconds"
                     + " (planned \(ReportNumber.decimal(document.load.duration)) seconds)")
        lines.append("- **Load**: \(loadDescription(document))")
        lines.append("- **Status**: \(document.status.rawValue)")
        lines.append("")

        lines.append("## Key Metrics")
        lines.append("")
        lines.append("| Endpoint | Requests | Failures | Success Rate | p50 | p95 | p99 | RPS |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for endpoint in document.endpoints + [document.aggregate] {
            let title = endpoint.method.isEmpty ? "**\(endpoint.name)**" : "\(endpoint.method) \(endpoint.name)"
            lines.append("| \(ComparisonRenderer.markdownCell(title)) | \(endpoint.requests) | \(endpoint.failures) | "
                         + "\(successRate(endpoint)) | \(latency(endpoint, "50")) | \(latency(endpoint, "95")) | "
                         + "\(latency(endpoint, "99")) | \(ReportNumber.decimal(endpoint.rps)) |")
        }
        lines.append("")
        // The guide's own bullet lines, so its readers find what they look for.
        for endpoint in document.endpoints {
            let title = "\(endpoint.method) \(endpoint.name)"
            lines.append("- \(title) Success Rate: \(successRate(endpoint))")
            lines.append("- \(title) P95 Latency: \(latency(endpoint, "95"))")
        }
        if document.coordinatedOmissionCorrected {
            lines.append("")
            lines.append("Latencies are measured from each request's scheduled start (corrected for coordinated omission).")
        }
        lines.append("")

        lines.append("## Thresholds")
        lines.append("")
        if thresholds.isEmpty {
            lines.append("No thresholds configured (add `thresholds:` to loadops.yml).")
        } else {
            lines.append("| Result | Scope | Threshold | Observed |")
            lines.append("|---|---|---|---:|")
            for outcome in thresholds {
                lines.append("| \(outcome.verdict) | \(ComparisonRenderer.markdownCell(outcome.scope)) | "
                             + "`\(outcome.expression)` | \(ComparisonRenderer.markdownCell(outcome.observed)) |")
            }
        }
        lines.append("")

        lines.append("## Pass/Fail: \(passed ? "PASS" : "FAIL")")
        lines.append("")
        let failed = thresholds.filter { !$0.passed }
        if !failed.isEmpty {
            lines.append("- \(failed.count) threshold\(failed.count == 1 ? "" : "s") failed: "
                         + failed.map { "\($0.scope) `\($0.expression)` (observed \($0.observed))" }.joined(separator: "; "))
        }
        if let comparison, comparison.hasRegression {
            lines.append("- " + ComparisonRenderer.verdict(comparison))
        }
        if passed {
            lines.append("- Every threshold passed" + (comparison == nil ? "." : " and no regression against the baseline."))
        }
        switch document.status {
        case .completed: break
        case .interrupted:
            lines.append("- The run was interrupted: these figures cover \(ReportNumber.decimal(document.durationSeconds)) of the planned \(ReportNumber.decimal(document.load.duration)) seconds.")
        case .aborted, .failed:
            lines.append("- The run ended early (status \(document.status.rawValue)).")
        }
        lines.append("")

        lines.append("## Comparison against baseline")
        lines.append("")
        if let comparison {
            lines.append(ComparisonRenderer.markdown(comparison).trimmingCharacters(in: .newlines))
        } else {
            lines.append("No baseline: promote a run with `loadops baseline promote RUN|FILE` to compare the next ones.")
        }
        lines.append("")

        lines.append("## Warnings")
        lines.append("")
        if warnings.isEmpty {
            lines.append("None.")
        } else {
            for warning in warnings { lines.append("- \(warning)") }
        }
        lines.append("")

        lines.append("## Notes")
        lines.append("- [Add observations]")
        lines.append("- [Add issues if any]")
        lines.append("- [Recommendations]")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Called at the end of every run (and by `loadops summary`): writes `folder/RESULTS_SUMMARY.md`
    /// atomically with the document's own warnings, and returns its path.
    @discardableResult
    public static func writeSummary(document: ResultsDocument, thresholds: [ThresholdOutcome],
                                    comparison: ComparisonReport?, to folder: String) throws -> String {
        try writeSummary(document: document, thresholds: thresholds, comparison: comparison,
                         warnings: document.warnings, to: folder)
    }

    /// The same with extra warnings (a baseline that could not be read, ...).
    @discardableResult
    public static func writeSummary(document: ResultsDocument, thresholds: [ThresholdOutcome],
                                    comparison: ComparisonReport?, warnings: [String], to folder: String) throws -> String {
        try AtomicFileWriter.createFolder(folder)
        let path = (folder as NSString).appendingPathComponent(fileName)
        let text = render(document: document, thresholds: thresholds, comparison: comparison, warnings: warnings)
        try AtomicFileWriter.write(Data(text.utf8), to: path)
        return path
    }

    static func loadDescription(_ document: ResultsDocument) -> String {
        let load = document.load
        var parts: [String] = ["\(load.model) model"]
        if load.model == LoadModel.open.rawValue {
            if let rate = load.rate { parts.append("\(ReportNumber.decimal(rate)) req/s") }
            parts.append("up to \(load.maxConnections) connections")
        } else {
            parts.append("\(load.users) users")
            parts.append("spawn rate \(ReportNumber.decimal(load.spawnRate))/s")
            if let think = load.thinkTime {
                parts.append("think time \(ReportNumber.decimal(think.min))-\(ReportNumber.decimal(think.max)) s")
            }
        }
        if !load.stages.isEmpty {
            let unit = load.model == LoadModel.open.rawValue ? " req/s" : " users"
            let stages = load.stages.map { "\(ReportNumber.decimal($0.duration)) s \($0.ramp ? "ramp to" : "at") \(ReportNumber.decimal($0.target))\(unit)" }
            parts.append("stages: " + stages.joined(separator: ", "))
        }
        parts.append("timeout \(ReportNumber.decimal(load.timeout)) s")
        parts.append("peak \(document.peakUsers) \(load.model == LoadModel.open.rawValue ? "connections" : "users")")
        return parts.joined(separator: ", ")
    }

    static func successRate(_ endpoint: ResultsDocument.Endpoint) -> String {
        endpoint.requests == 0 ? "n/a" : ReportNumber.percent(endpoint.successRate)
    }

    static func latency(_ endpoint: ResultsDocument.Endpoint, _ label: String) -> String {
        guard endpoint.requests > 0, let value = endpoint.percentiles[label] else { return "n/a" }
        return ReportNumber.milliseconds(value)
    }
}
