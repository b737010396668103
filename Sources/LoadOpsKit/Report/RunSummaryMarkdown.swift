import Foundation

/// `RESULTS_SUMMARY.md`: the operations guide's "Reporting" template filled with the run's real figures.
public enum RunSummaryMarkdown {
    public static let fileName = "RESULTS_SUMMARY.md"

    public static func render(document: ResultsDocument, thresholds: [ThresholdOutcome],
                              comparison: ComparisonReport?, verdict: RunVerdict, warnings: [String]) -> String {
        var lines: [String] = ["# Load Test Results", ""]

        let date = ResultsDocument.iso8601(fractional: false)
        lines.append("- **Date**: \(date.string(from: document.startedAt)) to \(date.string(from: document.endedAt))")
        lines.append("- **Environment**: \(document.environment ?? "(not named)") (\(document.host))")
        lines.append("- **Duration**: \(ReportNumber.decimal(document.durationSeconds)) seconds"
                     + " (planned \(ReportNumber.decimal(document.load.duration)) seconds)")
        lines.append("- **Load**: \(loadDescription(document))")
        lines.append("- **Status**: \(document.status.rawValue)")
        if document.status != .completed, let reason = document.stopReason {
            lines.append("- **Stopped**: \(ComparisonRenderer.markdownCell(reason))")
        }
        if let availability = document.availability {
            lines.append("- **Availability**: \(ReportNumber.percent(availability.percent)) of \(ReportNumber.decimal(availability.measuredSeconds, places: 0)) seconds"
                         + " had a successful response (longest span without one: \(ReportNumber.decimal(availability.longestOutageSeconds, places: 1)) s)")
        }
        lines.append("")

        lines.append("## Key Metrics")
        lines.append("")
        lines.append("| Endpoint | Requests | Failures | Success Rate | p50 | p95 | p99 | RPS |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for endpoint in document.endpoints + [document.aggregate] {
            let title = endpoint.method.isEmpty ? "**\(endpoint.name)**" : "\(endpoint.method) \(endpoint.name)"
            lines.append("| \(ComparisonRenderer.markdownCell(title)) | \(endpoint.requests) | \(endpoint.failures) | "
                         + "\(successRate(endpoint)) | \(latency(endpoint, .p50)) | \(latency(endpoint, .p95)) | "
                         + "\(latency(endpoint, .p99)) | \(ReportNumber.decimal(endpoint.rps)) |")
        }
        lines.append("")
        // The operations guide's own bullet lines, so its readers find what they look for.
        for endpoint in document.endpoints {
            let title = "\(endpoint.method) \(endpoint.name)"
            lines.append("- \(title) Success Rate: \(successRate(endpoint))")
            lines.append("- \(title) P95 Latency: \(latency(endpoint, .p95))")
        }
        if document.coordinatedOmissionCorrected {
            lines.append("")
            lines.append("Latencies are measured from each request's scheduled start (corrected for coordinated omission).")
        }
        lines.append("")
        lines += flowLines(document)
        lines += phaseLines(document)

        lines.append("## Thresholds")
        lines.append("")
        if thresholds.isEmpty {
            lines.append("No thresholds (loadops.yml has `thresholds: {}`).")
        } else {
            if document.config.thresholdsAreDefault == true {
                lines.append("The defaults, since loadops.yml sets no `thresholds:`: " + ThresholdSet.defaultExpressions
                    .sorted { $0.key < $1.key }.flatMap { scope, expressions in expressions.map { "\(scope) `\($0)`" } }
                    .joined(separator: ", ") + ".")
                lines.append("")
            }
            lines.append("| Result | Scope | Threshold | Observed |")
            lines.append("|---|---|---|---:|")
            for outcome in thresholds {
                lines.append("| \(outcome.verdict) | \(ComparisonRenderer.markdownCell(outcome.scope)) | "
                             + "`\(outcome.expression)` | \(ComparisonRenderer.markdownCell(outcome.observed)) |")
            }
        }
        lines.append("")

        lines.append("## Pass/Fail: \(verdict.label)")
        lines.append("")
        for line in verdict.reasonLines { lines.append("- " + line) }
        if verdict.passed {
            lines.append("- Every threshold passed" + (comparison == nil ? "." : " and no regression against the baseline."))
        }
        if document.status == .interrupted {
            lines.append("- These figures cover \(ReportNumber.decimal(document.durationSeconds)) of the planned \(ReportNumber.decimal(document.load.duration)) seconds.")
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

        if let signs = document.warningSigns, !signs.isEmpty {
            lines.append("## Warning signs during the run")
            lines.append("")
            lines.append("| From | To | Warning |")
            lines.append("|---|---|---|")
            for sign in signs {
                lines.append("| \(ReportNumber.clock(sign.start)) | \(sign.end.map { ReportNumber.clock($0) } ?? "the end") | "
                             + "\(ComparisonRenderer.markdownCell(sign.message)) |")
            }
            lines.append("")
        }
        if let monitor = document.monitor {
            lines.append("## Monitor")
            lines.append("")
            let summary = monitor.summaryLines
            lines += summary.isEmpty ? ["No sample was taken."] : summary.map { "- \(ComparisonRenderer.markdownCell($0))" }
            lines.append("")
        }

        lines.append("## Notes")
        lines.append("- [Add observations]")
        lines.append("- [Add issues if any]")
        lines.append("- [Recommendations]")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Called at the end of every run (and by `loadops summary`): writes `folder/RESULTS_SUMMARY.md`
    /// atomically and returns its path. `warnings` are the document's own plus any of the caller's
    /// (a baseline that could not be read, ...).
    @discardableResult
    public static func writeSummary(document: ResultsDocument, thresholds: [ThresholdOutcome],
                                    comparison: ComparisonReport?, verdict: RunVerdict, warnings: [String], to folder: String) throws -> String {
        try AtomicFileWriter.createFolder(folder)
        let path = (folder as NSString).appendingPathComponent(fileName)
        let text = render(document: document, thresholds: thresholds, comparison: comparison, verdict: verdict, warnings: warnings)
        try AtomicFileWriter.write(Data(text.utf8), to: path)
        return path
    }

    static func loadDescription(_ document: ResultsDocument) -> String {
        let load = document.load
        var parts: [String] = ["\(load.model) model"]
        if load.model == LoadModel.open.rawValue {
            if let rate = load.rate, load.stages.isEmpty {
                parts.append("target \(ReportNumber.decimal(rate)) req/s (\(ReportNumber.decimal(rate * 60))/min)")
            }
            parts.append("achieved \(ReportNumber.decimal(document.aggregate.rps)) req/s")
            let rates = document.config.endpoints.compactMap { endpoint in
                endpoint.rate.map { "\(endpoint.method) \(endpoint.name) \(ReportNumber.decimal($0 * 60))/min" }
            }
            if !rates.isEmpty { parts.append("per endpoint: " + rates.joined(separator: ", ")) }
            parts.append("up to \(load.maxConnections) connections")
        } else {
            parts += load.closedModelSettings
        }
        if !load.stages.isEmpty {
            let unit = load.model == LoadModel.open.rawValue ? " req/s" : " users"
            let stages = load.stages.map { "\(ReportNumber.decimal($0.duration)) s \($0.ramp ? "ramp to" : "at") \(ReportNumber.decimal($0.target))\(unit)" }
            parts.append("stages: " + stages.joined(separator: ", "))
        }
        parts.append("timeout \(ReportNumber.decimal(load.timeout)) s")
        let unit = load.model == LoadModel.open.rawValue ? "connection" : "user"
        parts.append("peak \(document.peakUsers) \(unit)\(document.peakUsers == 1 ? "" : "s")\(load.model == LoadModel.open.rawValue ? " in use" : "")")
        return parts.joined(separator: ", ")
    }

    /// `## Flows`: each flow's iterations and durations, and the steps its failed iterations ended at;
    /// nothing when the run had no flows.
    static func flowLines(_ document: ResultsDocument) -> [String] {
        guard let flows = document.flows, !flows.isEmpty else { return [] }
        var lines = ["## Flows", ""]
        lines.append("| Flow | Started | Completed | Failed | Failure Rate | p50 | p95 | p99 | Failed at step |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for flow in flows {
            let failureRate = flow.iterationsFinished == 0 ? "n/a" : ReportNumber.percent(flow.failureRate)
            let durations = [Percentile.p50, .p95, .p99].map { percentile in
                flow.duration.percentiles[percentile].map(ReportNumber.milliseconds) ?? "n/a"
            }
            let steps = flow.failingSteps.map { "\($0.step): \($0.count)" }.joined(separator: ", ")
            lines.append("| \(ComparisonRenderer.markdownCell(flow.name)) | \(flow.iterationsStarted) | \(flow.iterationsCompleted) | "
                         + "\(flow.iterationsFailed) | \(failureRate) | \(durations.joined(separator: " | ")) | "
                         + "\(steps.isEmpty ? "none" : ComparisonRenderer.markdownCell(steps)) |")
        }
        lines.append("")
        lines.append("Durations are the completed iterations', from the first step's start to the last step's answer, think time included; "
                     + "the failure rate is the share of finished iterations that failed. Each step's requests are in Key Metrics under the step's name.")
        lines.append("")
        return lines
    }

    /// `## Where the time went`: each endpoint's request phases, mean and p95; nothing when no phase
    /// was measured (the Locust engine, imported results, older files).
    static func phaseLines(_ document: ResultsDocument) -> [String] {
        let measured = (document.endpoints + [document.aggregate]).filter { $0.phases != nil }
        guard !measured.isEmpty else { return [] }
        var lines = ["## Where the time went", ""]
        lines.append("| Endpoint | Connections | Connect mean | Connect p95 | TLS mean | TLS p95 | TTFB mean | TTFB p95 | Receive mean | Receive p95 |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for endpoint in measured {
            guard let phases = endpoint.phases else { continue }
            let title = endpoint.method.isEmpty ? "**\(endpoint.name)**" : "\(endpoint.method) \(endpoint.name)"
            var cells = [ComparisonRenderer.markdownCell(title), String(phases.connect?.count ?? 0)]
            for phase in [phases.connect, phases.tlsHandshake, phases.timeToFirstByte, phases.receive] {
                if let phase, phase.count > 0 {
                    cells += [ReportNumber.milliseconds(phase.meanMs), ReportNumber.milliseconds(phase.p95)]
                } else {
                    cells += ["n/a", "n/a"]
                }
            }
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append("Connect and TLS cover the requests that opened a connection (Connections); TTFB is from the request written "
                     + "to the first byte of the answer, receive the rest of the answer.")
        lines.append("")
        return lines
    }

    static func successRate(_ endpoint: ResultsDocument.Endpoint) -> String {
        endpoint.requests == 0 ? "n/a" : ReportNumber.percent(endpoint.successRate)
    }

    static func latency(_ endpoint: ResultsDocument.Endpoint, _ percentile: Percentile) -> String {
        guard endpoint.requests > 0, let value = endpoint.percentiles[percentile] else { return "n/a" }
        return ReportNumber.milliseconds(value)
    }
}
