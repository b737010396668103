import DurationSyntax
import Foundation

/// `load_test_report.html`: a run's results for people who would rather look at a chart, as one
/// self-contained page (inline CSS and SVG, no script, a Content-Security-Policy that forbids any
/// fetch) that opens offline from a mail attachment or an archive. Locust's report sections (settings,
/// request statistics, percentiles, failures, charts over time) and what it lacks: thresholds and the
/// verdict, the comparison with the baseline, the p95 across recent runs, corrected and uncorrected
/// percentiles, the monitor's charts, warning signs, outages and the abort as spans on the time axis.
enum HTMLReport {
    static let fileName = "load_test_report.html"

    /// The run's place in the history: its p95 across the last runs of its configuration.
    struct History {
        var runID: Int64
        /// Oldest first, ending with this run.
        var points: [TrendPoint]
        /// The configuration the runs share, in words.
        var configuration: String?
    }

    static func render(_ assessment: RunAssessment, history: History?) -> String {
        let document = assessment.document
        let marks = timeMarks(document)
        var page = head(document, verdict: assessment.verdict)
        page += "<div class=\"overview\">" + runSection(document) + verdictSection(assessment) + "</div>"
        page += chartsSection(document, comparison: assessment.comparison, marks: marks)
        page += statisticsSection(document)
        page += percentilesSection(document)
        page += flowsSection(document)
        page += phasesSection(document)
        page += failuresSection(document)
        page += warningSignsSection(document)
        page += monitorSection(document, marks: marks)
        page += comparisonSection(assessment.comparison)
        page += trendSection(history)
        page += warningsSection(assessment.warnings)
        page += "</main><footer>Written by loadops \(escape(document.toolVersion)) from results.json "
            + "(\(escape(document.tool)) \(escape(document.toolVersion))). This page is self-contained: it loads nothing and runs no script.</footer>"
        return page + "</body></html>\n"
    }

    // MARK: - Page

    private static let style = """
        :root{--fg:#1d2330;--muted:#5d6675;--line:#dfe3ea;--bg:#f6f7f9;--pass:#1e7d3b;--fail:#b42318;--warn:#b26b00}
        *{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
        header{background:#1d2330;color:#fff;padding:18px 28px;display:flex;align-items:center;gap:24px;flex-wrap:wrap}
        header h1{margin:0;font-size:22px;font-weight:600}header .subtitle{margin:2px 0 0;color:#c9d1de;word-break:break-all}
        .badge{display:inline-block;padding:2px 10px;border-radius:4px;font-weight:700;color:#fff;letter-spacing:.03em}
        .badge.pass{background:var(--pass);color:#fff}.badge.fail{background:var(--fail);color:#fff}header .badge{font-size:20px;padding:4px 16px;margin-left:auto}
        nav{background:#fff;border-bottom:1px solid var(--line);padding:8px 28px;display:flex;gap:16px;flex-wrap:wrap;font-size:13px}
        nav a{color:#2456a6;text-decoration:none}main{padding:8px 28px 28px;max-width:1280px}
        section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:14px 18px;margin:16px 0}
        h2{font-size:17px;margin:0 0 10px}h3{font-size:14px;margin:14px 0 6px}p{margin:6px 0}.muted{color:var(--muted)}
        table{border-collapse:collapse;font-size:13px;margin:4px 0}th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
        th{background:#f0f2f5;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        tr.aggregate td{font-weight:600;background:#fafbfc}td.name{overflow-wrap:anywhere;min-width:9em}table.settings th{width:12em}
        .scroll{overflow-x:auto}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:12px}.chart{max-width:760px}
        .overview{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:0 16px}
        svg.timechart{max-width:100%;height:auto;border:1px solid var(--line);border-radius:4px}.hover rect:hover{fill-opacity:.08}
        .flag-regression{color:var(--fail);font-weight:600}.flag-improvement{color:var(--pass)}.pass{color:var(--pass)}.fail{color:var(--fail)}
        .warn{color:var(--warn)}ul{margin:6px 0;padding-left:22px}code{background:#f0f2f5;padding:1px 4px;border-radius:3px}
        footer{color:var(--muted);font-size:12px;padding:0 28px 24px}
        """

    private static func head(_ document: ResultsDocument, verdict: RunVerdict) -> String {
        let started = ResultsDocument.iso8601(fractional: false).string(from: document.startedAt)
        let subtitle = [document.host, document.environment, started].compactMap { $0 }.joined(separator: " · ")
        var sections = [("run", "Run"), ("verdict", "Verdict"), ("charts", "Charts"), ("statistics", "Request statistics"),
                        ("percentiles", "Response times")]
        if document.flows?.isEmpty == false { sections.append(("flows", "Flows")) }
        sections += [("failures", "Failures"), ("monitor", "Monitor"), ("comparison", "Baseline"), ("trend", "Trend")]
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            + "<title>Load test report: \(escape(document.host)), \(escape(started))</title>"
            + "<style>\(style)</style></head><body>"
            + "<header><div><h1>Load test report</h1><p class=\"subtitle\">\(escape(subtitle))</p></div>"
            + "<span class=\"badge \(verdict.passed ? "pass" : "fail")\" id=\"verdict-badge\">\(verdict.label)</span></header>"
            + "<nav>" + sections.map { "<a href=\"#\($0.0)\">\($0.1)</a>" }.joined() + "</nav><main>"
    }

    private static func runSection(_ document: ResultsDocument) -> String {
        let date = ResultsDocument.iso8601(fractional: false)
        var rows: [(String, String)] = [
            ("Host", escape(document.host)),
            ("Environment", escape(document.environment ?? "(not named)")),
            ("Started", escape(date.string(from: document.startedAt))),
            ("Ended", escape(date.string(from: document.endedAt))),
            ("Duration", "\(ReportNumber.decimal(document.durationSeconds)) s (planned \(ReportNumber.decimal(document.load.duration)) s)"),
            ("Load", escape(RunSummaryMarkdown.loadDescription(document))),
            ("Status", escape(document.status.rawValue)),
        ]
        if let reason = document.stopReason { rows.append(("Stopped", escape(reason))) }
        if let availability = document.availability {
            rows.append(("Availability", "\(ReportNumber.percent(availability.percent)) of \(ReportNumber.decimal(availability.measuredSeconds, places: 0)) s "
                         + "had a successful response (longest span without one: \(ReportNumber.decimal(availability.longestOutageSeconds, places: 1)) s)"))
        }
        if document.droppedArrivals > 0 {
            rows.append(("Dropped arrivals", "\(document.droppedArrivals) scheduled requests never sent (every connection busy)"))
        }
        rows.append(("Latencies", document.coordinatedOmissionCorrected
            ? "measured from each request's scheduled start (corrected for coordinated omission); the uncorrected figures beside them"
            : "measured from each request's send"))
        rows.append(("Written by", "\(escape(document.tool)) \(escape(document.toolVersion))"))
        var html = "<section id=\"run\"><h2>Run</h2><table class=\"settings\">"
        html += rows.map { "<tr><th>\($0.0)</th><td>\($0.1)</td></tr>" }.joined() + "</table>"
        let endpoints = document.config.endpoints
        if !endpoints.isEmpty {
            // The name, rate and expected-status columns only when some endpoint sets them.
            let names = endpoints.contains { $0.name != $0.path }
            let rates = endpoints.contains { $0.rate != nil }, statuses = endpoints.contains { !$0.expectedStatus.isEmpty }
            html += "<h3>Endpoints</h3><div class=\"scroll\"><table><tr><th>Method</th>" + (names ? "<th>Name</th>" : "")
                + "<th>Path</th><th class=\"num\">Weight</th>"
                + (rates ? "<th class=\"num\">Rate (req/min)</th>" : "") + (statuses ? "<th>Expected status</th>" : "") + "</tr>"
            for endpoint in endpoints {
                html += "<tr><td>\(escape(endpoint.method))</td>" + (names ? "<td class=\"name\">\(escape(endpoint.name))</td>" : "")
                    + "<td class=\"name\">\(escape(endpoint.path))</td><td class=\"num\">\(ReportNumber.decimal(endpoint.weight))</td>"
                    + (rates ? "<td class=\"num\">\(endpoint.rate.map { ReportNumber.decimal($0 * 60) } ?? "")</td>" : "")
                    + (statuses ? "<td>\(endpoint.expectedStatus.map(String.init).joined(separator: ", "))</td>" : "") + "</tr>"
            }
            html += "</table></div>"
        }
        return html + "</section>"
    }

    private static func verdictSection(_ assessment: RunAssessment) -> String {
        let verdict = assessment.verdict
        var html = "<section id=\"verdict\"><h2>Verdict: <span class=\"badge \(verdict.passed ? "pass" : "fail")\">\(verdict.label)</span></h2>"
        if verdict.passed {
            html += "<p>Every threshold passed" + (assessment.comparison == nil ? "." : " and no regression against the baseline.") + "</p>"
        } else {
            html += "<ul>" + verdict.reasonLines.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        }
        html += "<h3>Thresholds</h3>"
        if assessment.thresholds.isEmpty {
            return html + "<p class=\"muted\">No thresholds (loadops.yml has <code>thresholds: {}</code>).</p></section>"
        }
        if assessment.document.config.thresholdsAreDefault == true {
            html += "<p class=\"muted\">The defaults, since loadops.yml sets no <code>thresholds:</code>.</p>"
        }
        html += "<table id=\"thresholds\"><tr><th>Result</th><th>Scope</th><th>Threshold</th><th class=\"num\">Observed</th></tr>"
        for outcome in assessment.thresholds {
            html += "<tr><td><span class=\"badge \(outcome.passed ? "pass" : "fail")\">\(outcome.verdict)</span></td>"
                + "<td class=\"name\">\(escape(outcome.scope))</td><td><code>\(escape(outcome.expression))</code></td>"
                + "<td class=\"num\">\(escape(outcome.observed))</td></tr>"
        }
        return html + "</table></section>"
    }

    /// Locust's request statistics table, the aggregate last.
    private static func statisticsSection(_ document: ResultsDocument) -> String {
        var html = "<section id=\"statistics\"><h2>Request statistics</h2><div class=\"scroll\"><table id=\"request-statistics\"><tr>"
            + "<th>Type</th><th>Name</th><th class=\"num\"># Requests</th><th class=\"num\"># Fails</th>"
            + "<th class=\"num\">Median (ms)</th><th class=\"num\">Average (ms)</th><th class=\"num\">Min (ms)</th><th class=\"num\">Max (ms)</th>"
            + "<th class=\"num\">Avg size (bytes)</th><th class=\"num\">RPS</th><th class=\"num\">Failures/s</th></tr>"
        for endpoint in document.endpoints + [document.aggregate] {
            let measured = endpoint.requests > 0
            html += "<tr\(endpoint.method.isEmpty ? " class=\"aggregate\"" : "")><td>\(escape(endpoint.method))</td>"
                + "<td class=\"name\">\(escape(endpoint.name))</td><td class=\"num\">\(endpoint.requests)</td>"
                + "<td class=\"num\">\(endpoint.failures)</td>"
                + [endpoint.medianMs, endpoint.meanMs, endpoint.minMs, endpoint.maxMs].map { "<td class=\"num\">\(measured ? ReportNumber.decimal($0) : "n/a")</td>" }.joined()
                + "<td class=\"num\">\(ReportNumber.decimal(endpoint.avgContentSize, places: 0))</td>"
                + "<td class=\"num\">\(ReportNumber.decimal(endpoint.rps))</td><td class=\"num\">\(ReportNumber.decimal(endpoint.failuresPerSecond))</td></tr>"
        }
        return html + "</table></div></section>"
    }

    /// Every reported percentile per endpoint; with the open model's correction, the uncorrected row under each.
    private static func percentilesSection(_ document: ResultsDocument) -> String {
        let corrected = document.coordinatedOmissionCorrected
        var html = "<section id=\"percentiles\"><h2>Response time percentiles (ms)</h2>"
        html += corrected
            ? "<p class=\"muted\">Each endpoint's first row is measured from the request's scheduled start (corrected for coordinated omission), the second from its actual send.</p>"
            : "<p class=\"muted\">Measured from each request's send (the closed model waits for each answer, so there is no scheduled start to correct for).</p>"
        html += "<div class=\"scroll\"><table id=\"response-percentiles\"><tr><th>Type</th><th>Name</th><th>Measured from</th>"
            + Percentile.allCases.map { "<th class=\"num\">\($0.columnHeader)</th>" }.joined() + "</tr>"
        for endpoint in document.endpoints + [document.aggregate] {
            var kinds: [(kind: String, label: String, values: [Percentile: Double])] =
                [("corrected", corrected ? "scheduled start" : "send", endpoint.percentiles)]
            if corrected { kinds.append(("uncorrected", "send (uncorrected)", endpoint.uncorrectedPercentiles)) }
            for (index, row) in kinds.enumerated() {
                html += "<tr\(endpoint.method.isEmpty ? " class=\"aggregate\"" : "") data-kind=\"\(row.kind)\" "
                    + "data-endpoint=\"\(escape(endpoint.method.isEmpty ? endpoint.name : "\(endpoint.method) \(endpoint.name)"))\">"
                    + "<td>\(index == 0 ? escape(endpoint.method) : "")</td><td class=\"name\">\(index == 0 ? escape(endpoint.name) : "")</td>"
                    + "<td>\(row.label)</td>"
                for percentile in Percentile.allCases {
                    if endpoint.requests > 0, let value = row.values[percentile] {
                        html += "<td class=\"num\" data-percentile=\"\(percentile.rawValue)\" data-value=\"\(value)\">\(ReportNumber.decimal(value))</td>"
                    } else {
                        html += "<td class=\"num\" data-percentile=\"\(percentile.rawValue)\">n/a</td>"
                    }
                }
                html += "</tr>"
            }
        }
        return html + "</table></div></section>"
    }

    /// Each user flow's iterations and the completed ones' durations; nothing for a run without flows.
    private static func flowsSection(_ document: ResultsDocument) -> String {
        guard let flows = document.flows, !flows.isEmpty else { return "" }
        var html = "<section id=\"flows\"><h2>Flows</h2><p class=\"muted\">Durations are the completed iterations', from the first "
            + "step's start to the last step's answer, think time included; each step's requests are in the tables above under its name.</p>"
            + "<div class=\"scroll\"><table id=\"flow-statistics\"><tr><th>Flow</th><th class=\"num\">Started</th>"
            + "<th class=\"num\">Completed</th><th class=\"num\">Failed</th><th class=\"num\">Failure rate</th>"
            + "<th class=\"num\">Iterations/s</th><th class=\"num\">Median (ms)</th><th class=\"num\">p95 (ms)</th>"
            + "<th class=\"num\">p99 (ms)</th><th class=\"num\">Max (ms)</th><th>Failed at step</th></tr>"
        for flow in flows {
            let completed = flow.iterationsCompleted > 0
            let durations = [flow.duration.percentiles[.p50], flow.duration.percentiles[.p95], flow.duration.percentiles[.p99],
                             completed ? flow.duration.maxMs : nil]
            html += "<tr data-flow=\"\(escape(flow.name))\"><td class=\"name\">\(escape(flow.name))</td>"
                + "<td class=\"num\">\(flow.iterationsStarted)</td><td class=\"num\">\(flow.iterationsCompleted)</td>"
                + "<td class=\"num\">\(flow.iterationsFailed)</td>"
                + "<td class=\"num\">\(flow.iterationsFinished > 0 ? ReportNumber.percent(flow.failureRate) : "n/a")</td>"
                + "<td class=\"num\">\(ReportNumber.decimal(flow.iterationsPerSecond))</td>"
                + durations.map { "<td class=\"num\">\($0.map { ReportNumber.decimal($0) } ?? "n/a")</td>" }.joined()
                + "<td class=\"name\">\(escape(flow.failingSteps.isEmpty ? "none" : flow.failingStepsText))</td></tr>"
        }
        return html + "</table></div></section>"
    }

    /// Where each endpoint's requests spent their time; nothing when no phase was measured.
    private static func phasesSection(_ document: ResultsDocument) -> String {
        let measured = (document.endpoints + [document.aggregate]).filter { $0.phases != nil }
        guard !measured.isEmpty else { return "" }
        var html = "<section id=\"phases\"><h2>Where the time went (ms)</h2><p class=\"muted\">Mean and p95 of each phase. "
            + "Connect and TLS cover the requests that opened a connection; TTFB runs from the request written to the first byte "
            + "of the answer, receive is the rest of the answer.</p><div class=\"scroll\"><table id=\"request-phases\"><tr>"
            + "<th>Type</th><th>Name</th><th class=\"num\">Connections</th>"
            + ["Connect", "TLS", "TTFB", "Receive"].map { "<th class=\"num\">\($0) mean</th><th class=\"num\">\($0) p95</th>" }.joined()
            + "</tr>"
        for endpoint in measured {
            guard let phases = endpoint.phases else { continue }
            html += "<tr\(endpoint.method.isEmpty ? " class=\"aggregate\"" : "")><td>\(escape(endpoint.method))</td>"
                + "<td class=\"name\">\(escape(endpoint.name))</td><td class=\"num\">\(phases.connect?.count ?? 0)</td>"
            for phase in [phases.connect, phases.tlsHandshake, phases.timeToFirstByte, phases.receive] {
                if let phase, phase.count > 0 {
                    html += "<td class=\"num\">\(ReportNumber.decimal(phase.meanMs))</td><td class=\"num\">\(ReportNumber.decimal(phase.p95))</td>"
                } else {
                    html += "<td class=\"num\">n/a</td><td class=\"num\">n/a</td>"
                }
            }
            html += "</tr>"
        }
        return html + "</table></div></section>"
    }

    private static func failuresSection(_ document: ResultsDocument) -> String {
        var html = "<section id=\"failures\"><h2>Failures</h2>"
        guard !document.failures.isEmpty || document.aggregate.failures > 0 else {
            return html + "<p>No failures.</p></section>"
        }
        let byKind = document.aggregate.failuresByKind.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        html += "<h3>By kind</h3><table id=\"failures-by-kind\"><tr><th>Kind</th><th class=\"num\">Occurrences</th></tr>"
        html += byKind.map { "<tr><td>\(escape($0.key))</td><td class=\"num\">\($0.value)</td></tr>" }.joined() + "</table>"
        let failures = document.failures.sorted { $0.occurrences > $1.occurrences }
        html += "<h3>By message</h3><div class=\"scroll\"><table id=\"failures-by-message\"><tr><th>Method</th><th>Name</th><th>Kind</th>"
            + "<th>Error</th><th class=\"num\">Occurrences</th></tr>"
        for failure in failures {
            html += "<tr><td>\(escape(failure.method))</td><td class=\"name\">\(escape(failure.name))</td><td>\(escape(failure.kind))</td>"
                + "<td class=\"name\">\(escape(failure.error))</td><td class=\"num\">\(failure.occurrences)</td></tr>"
        }
        return html + "</table></div></section>"
    }

    // MARK: - Charts

    /// Two charts side by side on a laptop's screen, drawn at about their size there so their text stays legible.
    private static let chartWidth = 600

    private typealias Palette = RunCharts.Palette

    private static func chartsSection(_ document: ResultsDocument, comparison: ComparisonReport?, marks: [TimeChart.Mark]) -> String {
        var html = "<section id=\"charts\"><h2>Charts over time</h2>"
        guard !document.timeSeries.isEmpty else {
            return html + "<p class=\"muted\">No time series was recorded (an imported run without one).</p></section>"
        }
        let buckets = ChartBuckets(document.timeSeries)
        html += buckets.secondsPerBucket == 1
            ? "<p class=\"muted\">One point per second of the run."
            : "<p class=\"muted\">Each point stands for \(buckets.secondsPerBucket) seconds: requests/s and failures/s are their means, "
                + "the percentiles their slowest second. The tables come from every request."
        html += marks.isEmpty ? "</p>" : " Shaded spans: warning signs, spans without a successful response and the abort rule's window.</p>"
        let baselineP95 = comparison?.aggregate.rows.first(where: { $0.metric == .p95 })?.baseline
        let openModel = document.model == LoadModel.open.rawValue
        let charts = RunCharts.make(buckets.buckets, openModel: openModel, marks: marks,
                                    targetRate: openModel ? targetRatePoints(document, buckets: buckets) : nil,
                                    baselineP95: baselineP95)
        html += "<div class=\"charts\">" + charts.map { "<div class=\"chart\">\($0.svg(width: chartWidth))</div>" }.joined() + "</div>"
        return html + "</section>"
    }

    /// The open model's target rate at each bucket: as recorded when the run kept it (a rate changed
    /// while running), otherwise from the planned schedule.
    private static func targetRatePoints(_ document: ResultsDocument, buckets: ChartBuckets) -> [(x: Double, y: Double)] {
        if buckets.buckets.contains(where: { $0.targetRate != nil }) {
            return buckets.buckets.compactMap { bucket in bucket.targetRate.map { (x: bucket.elapsed, y: $0) } }
        }
        let load = document.load
        let schedule = ArrivalRateSchedule(rate: load.rate ?? 0, duration: load.duration,
                                           stages: load.stages.map { LoadStage(duration: $0.duration, target: $0.target, ramp: $0.ramp) })
        // The rate over the second that ends at each point.
        return buckets.buckets.map { (x: $0.elapsed, y: schedule.rate(at: max($0.elapsed - 0.5, 0))) }
    }

    /// The spans worth seeing on every chart: warning signs, outages and the abort rule's window.
    static func timeMarks(_ document: ResultsDocument) -> [TimeChart.Mark] {
        var marks: [TimeChart.Mark] = []
        for sign in document.warningSigns ?? [] {
            marks.append(.init(start: sign.start, end: sign.end ?? document.durationSeconds, label: "⚠ \(sign.message)"))
        }
        for outage in document.availability?.outages ?? [] {
            marks.append(.init(start: outage.start, end: outage.end, label: "no successful response"))
        }
        if document.status == .aborted {
            let reason = document.stopReason ?? "aborted"
            let window = abortWindow(reason) ?? 1
            marks.append(.init(start: max(document.durationSeconds - window, 0), end: document.durationSeconds, label: "✗ \(reason)"))
        }
        return marks
    }

    /// The window of `aborted: error_rate > 5% over 30s (observed 20%)`, in seconds.
    static func abortWindow(_ reason: String) -> Double? {
        guard let over = reason.range(of: " over ") else { return nil }
        let rest = reason[over.upperBound...]
        let text = rest.prefix { !$0.isWhitespace && $0 != ")" && $0 != ";" }
        return try? DurationParser.seconds(from: String(text))
    }

    private static func warningSignsSection(_ document: ResultsDocument) -> String {
        guard let signs = document.warningSigns, !signs.isEmpty else { return "" }
        var html = "<section id=\"warning-signs\"><h2>Warning signs during the run</h2><table><tr><th>From</th><th>To</th><th>Warning</th></tr>"
        for sign in signs {
            html += "<tr><td>\(ReportNumber.clock(sign.start))</td><td>\(sign.end.map { ReportNumber.clock($0) } ?? "the end")</td>"
                + "<td class=\"name warn\">\(escape(sign.message))</td></tr>"
        }
        return html + "</table></section>"
    }

    /// One chart per monitored source (per unit when its metrics have several).
    private static func monitorSection(_ document: ResultsDocument, marks: [TimeChart.Mark]) -> String {
        var html = "<section id=\"monitor\"><h2>Monitor</h2>"
        guard let monitor = document.monitor, !monitor.sources.isEmpty else {
            return html + "<p class=\"muted\">Nothing was monitored (the <code>monitor:</code> section of loadops.yml lists the sources).</p></section>"
        }
        html += "<p class=\"muted\">Sampled every \(ReportNumber.decimal(monitor.intervalSeconds)) s.</p><div class=\"charts\">"
        var notes: [String] = []
        for source in monitor.sources {
            let name = source.name == source.kind ? source.name : "\(source.name) (\(source.kind))"
            var units: [String] = []
            for series in source.series where !units.contains(series.unit) { units.append(series.unit) }
            for unit in units {
                let series = source.series.filter { $0.unit == unit }.enumerated().map { index, series in
                    TimeChart.Series(name: series.metric, points: ChartBuckets.points(series.points),
                                     color: Palette.cycle[index % Palette.cycle.count])
                }
                let chart = TimeChart(title: name, unit: unit, series: series, marks: marks)
                html += "<div class=\"chart\">\(chart.svg(width: chartWidth))</div>"
            }
            if source.series.isEmpty { notes.append("\(name): no sample was taken") }
            if let last = source.errors.last {
                notes.append("\(name): \(source.errors.count) failed sample\(source.errors.count == 1 ? "" : "s"), the last at "
                             + "\(ReportNumber.clock(last.elapsed)): \(last.message)")
            }
        }
        html += "</div>"
        if !notes.isEmpty { html += "<ul>" + notes.map { "<li class=\"warn\">\(escape($0))</li>" }.joined() + "</ul>" }
        return html + "</section>"
    }

    private static func comparisonSection(_ comparison: ComparisonReport?) -> String {
        var html = "<section id=\"comparison\"><h2>Comparison against the baseline</h2>"
        guard let comparison else {
            return html + "<p class=\"muted\">No baseline: promote a run with <code>loadops baseline promote RUN|FILE</code> to compare the next ones.</p></section>"
        }
        html += "<ul>" + ComparisonRenderer.header(comparison).split(separator: "\n").map { "<li>\(escape(String($0)))</li>" }.joined() + "</ul>"
        if !comparison.isComparable {
            let lines = ComparisonRenderer.comparabilityLines(comparison)
            html += "<p class=\"warn\">\(escape(lines[0]))</p><ul>"
                + comparison.configurationDifferences.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        }
        html += "<div class=\"scroll\"><table id=\"comparison-table\"><tr><th>Scope</th><th>Metric</th><th class=\"num\">Baseline</th>"
            + "<th class=\"num\">Current</th><th class=\"num\">Change</th><th>Flag</th></tr>"
        var oneSided: [String] = []
        for scope in comparison.scopes {
            guard scope.presence == .both else {
                oneSided.append(ComparisonRenderer.presenceLine(scope))
                continue
            }
            for (index, row) in scope.rows.enumerated() {
                html += "<tr\(scope.isAggregate ? " class=\"aggregate\"" : "")><td class=\"name\">\(index == 0 ? escape(scope.title) : "")</td>"
                    + "<td>\(escape(row.metric.rawValue))</td><td class=\"num\">\(escape(ComparisonRenderer.value(row.baseline, row.metric, of: scope)))</td>"
                    + "<td class=\"num\">\(escape(ComparisonRenderer.value(row.current, row.metric, of: scope)))</td><td class=\"num\">\(escape(row.changeText))</td>"
                    + "<td class=\"flag-\(row.flag == .notComparable ? "na" : row.flag.rawValue)\">\(escape(row.flag.symbol))</td></tr>"
            }
        }
        html += "</table></div>"
        if !oneSided.isEmpty { html += "<ul>" + oneSided.map { "<li>\(escape($0))</li>" }.joined() + "</ul>" }
        html += "<p class=\"\(comparison.hasRegression ? "fail" : "pass")\">\(escape(ComparisonRenderer.verdict(comparison, limit: 10)))</p>"
        return html + "</section>"
    }

    /// The aggregate p95 of the last runs with this run's configuration, from the history.
    private static func trendSection(_ history: History?) -> String {
        var html = "<section id=\"trend\"><h2>p95 over the last runs of this configuration</h2>"
        guard let history else {
            return html + "<p class=\"muted\">This run is not in a history database (<code>--no-history</code>, or a results file "
                + "never recorded: <code>loadops import</code> records one).</p></section>"
        }
        if let configuration = history.configuration { html += "<p class=\"muted\">\(escape(configuration))</p>" }
        let labels = history.points.map { $0.runID == history.runID ? "#\($0.runID) (this run)" : "#\($0.runID)" }
        let points = history.points.enumerated().compactMap { index, point in point.value.map { (x: Double(index), y: $0) } }
        if history.points.count > 1 {
            let chart = TimeChart(title: "Aggregate p95 by run", unit: "ms",
                                  series: [.init(name: "p95", points: points, color: Palette.p95)], xAxis: .labelled(labels))
            html += "<div class=\"chart\">\(chart.svg(width: chartWidth, height: 220))</div>"
        } else {
            html += "<p class=\"muted\">This is the first recorded run of this configuration.</p>"
        }
        let date = ResultsDocument.iso8601(fractional: false)
        html += "<table id=\"trend-table\"><tr><th>Run</th><th>Started</th><th>Status</th><th class=\"num\">Requests</th><th class=\"num\">p95 (ms)</th></tr>"
        for point in history.points.reversed() {
            html += "<tr\(point.runID == history.runID ? " class=\"aggregate\"" : "")><td>#\(point.runID)</td>"
                + "<td>\(escape(date.string(from: point.startedAt)))</td><td>\(escape(point.status))</td><td class=\"num\">\(point.requests)</td>"
                + "<td class=\"num\">\(point.value.map { ReportNumber.decimal($0) } ?? "n/a")</td></tr>"
        }
        return html + "</table></section>"
    }

    private static func warningsSection(_ warnings: [String]) -> String {
        guard !warnings.isEmpty else { return "" }
        return "<section id=\"warnings\"><h2>Warnings</h2><ul>" + warnings.map { "<li class=\"warn\">\(escape($0))</li>" }.joined() + "</ul></section>"
    }

    private static func escape(_ text: String) -> String { HTMLText.escape(text) }
}
