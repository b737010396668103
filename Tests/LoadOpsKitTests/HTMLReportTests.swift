import Foundation
import Testing
@testable import LoadOpsKit
#if canImport(FoundationXML)
import FoundationXML
#endif

/// load_test_report.html and its charts, from documents made here.
struct HTMLReportTests {
    static let markupName = "<img src=x onerror=alert(1)>"

    /// `seconds` of a run with a slow spell in the middle, a monitor with two sources and a warning sign.
    static func document(seconds: Int, endpointName: String = "/sessions/{uuid}", open: Bool = false) -> ResultsDocument {
        var document = ComparisonFixtures.document([
            ComparisonFixtures.endpoint("GET", endpointName, requests: 100_000, failures: 12, p95: 180.5),
            ComparisonFixtures.endpoint("POST", "/pre_checkin/{uuid}", requests: 40_000, p95: 420),
        ], thresholds: ["aggregate": ["p95 < 1s"]])
        document.durationSeconds = Double(seconds)
        document.load.duration = Double(seconds)
        if open {
            document.model = LoadModel.open.rawValue
            document.load.model = LoadModel.open.rawValue
            document.load.rate = 50
            document.coordinatedOmissionCorrected = true
            document.endpoints[0].uncorrectedPercentiles[.p95] = 90.25
        }
        document.timeSeries = (1...max(seconds, 1)).map { second in
            let slow = second > seconds / 2 && second < seconds / 2 + 30
            return SecondSnapshot(timestamp: 1_700_000_000 + Double(second), elapsed: Double(second), users: min(second, 50),
                                  requests: 123, failures: second % 97 == 0 ? 3 : 0,
                                  requestsPerSecond: 123.456 + Double(second % 17), failuresPerSecond: second % 97 == 0 ? 3 : 0,
                                  p50: 12.345 + Double(second % 7), p95: slow ? 950.5 : 80.125 + Double(second % 11),
                                  p99: slow ? 1500.75 : 150.5 + Double(second % 13),
                                  totalRequests: UInt64(second) * 123, totalFailures: UInt64(second / 97) * 3)
        }
        document.failures = [ResultsDocument.Failure(method: "GET", name: endpointName, kind: "http_503",
                                                     error: "HTTPError('503 Server Error: <b>busy</b>')", occurrences: 12)]
        document.warningSigns = [WarningRecord(key: "latency_trend", message: "p95 trending up: 80 ms → 950 ms <now>",
                                               start: Double(seconds / 2), end: Double(seconds / 2 + 30))]
        var monitor = MonitorRecording(settings: MonitorSettings(interval: 1, sources: []))
        func series(_ metric: String, _ unit: String, _ value: (Int) -> Double) -> MonitorRecording.Series {
            MonitorRecording.Series(metric: metric, unit: unit, points: (1...max(seconds, 1)).map { [Double($0), value($0)] })
        }
        monitor.sources = [
            MonitorRecording.Source(name: "host", kind: "host", series: [
                series("cpu", "%", { 40 + Double($0 % 30) }), series("memory", "%", { 55 + Double($0 % 5) }),
                series("load1", "", { 1.5 + Double($0 % 3) / 10 }),
            ], errors: []),
            MonitorRecording.Source(name: "db", kind: "postgres", series: [
                series("connections{db=\"<b>app</b>\"}", "", { Double(20 + $0 % 9) }),
            ], errors: [MonitorRecording.SampleError(elapsed: 12, message: "timeout after 2 s <again>")]),
        ]
        document.monitor = monitor
        return document
    }

    static func assessment(_ document: ResultsDocument, baseline: ResultsDocument? = nil) throws -> RunAssessment {
        let outcomes = try ThresholdSet.parse(document.config.thresholds).evaluate(document)
        return RunAssessment.assess(document, outcomes: outcomes,
                                    baseline: baseline.map { .success(ResolvedResults(document: $0, label: "baselines/baseline.json", runID: nil)) },
                                    tolerance: ComparisonTolerance())
    }

    @Test func markupFromTheConfigTheTargetAndTheMonitorIsShownAsText() throws {
        var document = Self.document(seconds: 90, endpointName: Self.markupName)
        document.host = "http://127.0.0.1:8000/?q=\"><script>alert(2)</script>"
        document.environment = "<i>staging</i>"
        let page = HTMLReport.render(try Self.assessment(document, baseline: document), history: nil)
        #expect(page.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(page.contains("&lt;b&gt;busy&lt;/b&gt;"))
        #expect(page.contains("&lt;now&gt;"))
        #expect(page.contains("connections{db=&quot;&lt;b&gt;app&lt;/b&gt;&quot;}"))
        #expect(page.contains("timeout after 2 s &lt;again&gt;"))
        #expect(page.contains("&lt;i&gt;staging&lt;/i&gt;"))
        for raw in ["<img", "<script", "<b>", "<i>", "onerror=alert(1)>"] {
            #expect(!page.contains(raw), "\(raw) is in the page unescaped")
        }
        // Nothing may be fetched: a policy forbids it, and no element could ask.
        #expect(page.contains("default-src 'none'"))
        for reference in ["src=\"", "href=\"http", "url(", "@import", "<link"] {
            #expect(!page.contains(reference), "\(reference) would fetch")
        }
    }

    @Test func anHourLongRunStaysUnderHalfAMegabyteAndItsChartsAreDownsampled() throws {
        let document = Self.document(seconds: 3600, open: true)
        let page = HTMLReport.render(try Self.assessment(document, baseline: document), history: nil)
        #expect(page.utf8.count < 500_000, "\(page.utf8.count) bytes")
        let counts = page.components(separatedBy: "data-count=\"").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        #expect(counts.count == 11)
        #expect(counts.allSatisfy { $0 <= ChartBuckets.defaultLimit }, "\(counts)")
        #expect(counts.contains(600))
        // The statistics are the document's, not the buckets'.
        #expect(page.contains("<td class=\"num\">100000</td><td class=\"num\">12</td>"))
        #expect(page.contains("data-kind=\"uncorrected\""))
        #expect(page.contains("data-percentile=\"95\" data-value=\"90.25\">90.25</td>"))
        #expect(page.contains("Each point stands for 6 seconds"))
        #expect(page.contains("baseline p95"))
    }

    @Test func downsamplingKeepsAtMostTheBucketCountAndTheSlowestSecond() {
        let document = Self.document(seconds: 3601)
        let buckets = ChartBuckets(document.timeSeries, limit: 600)
        #expect(buckets.buckets.count <= 600)
        #expect(buckets.secondsPerBucket == 7)
        #expect(buckets.buckets.last?.elapsed == 3601)
        #expect(buckets.buckets.compactMap(\.p99).max() == 1500.75)
        let first = document.timeSeries.prefix(7)
        #expect(buckets.buckets[0].requestsPerSecond == first.reduce(0) { $0 + $1.requestsPerSecond } / 7)

        let short = ChartBuckets(Array(document.timeSeries.prefix(599)), limit: 600)
        #expect(short.buckets.count == 599 && short.secondsPerBucket == 1)
        #expect(ChartBuckets(document.timeSeries.prefix(600).map { $0 }, limit: 600).buckets.count == 600)
        #expect(ChartBuckets([], limit: 600).buckets.isEmpty)

        let readings = (0..<5000).map { [Double($0) * 0.5, Double($0)] }
        let points = ChartBuckets.points(readings, limit: 600)
        #expect(points.count <= 600 && points.count > 500)
        #expect(ChartBuckets.points(Array(readings.prefix(10))).count == 10)
    }

    @Test func aChartHasAxesTicksALegendMarksAndAValueForEveryPoint() throws {
        let chart = TimeChart(title: "Response times <ms>", unit: "ms", series: [
            .init(name: "p50", points: (0...120).map { (x: Double($0), y: Double($0 % 10)) }, color: "#1f77b4"),
            .init(name: "p95 & <more>", points: (0...120).map { (x: Double($0), y: 20 + Double($0 % 10)) }, color: "#ff7f0e", dashed: true),
        ], marks: [.init(start: 30, end: 45, label: "⚠ latency <trend>")], horizontalLines: [(y: 25, label: "baseline p95")])
        let svg = chart.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.hasSuffix("</svg>"))
        #expect(svg.contains(">01:00</text>") && svg.contains(">02:00</text>"))
        #expect(svg.contains("data-count=\"121\""))
        #expect(svg.contains("stroke-dasharray=\"5 3\""))
        #expect(svg.contains("p95 &amp; &lt;more&gt;"))
        #expect(svg.contains("⚠ latency &lt;trend&gt;"))
        #expect(svg.contains("baseline p95 25 ms"))
        #expect(svg.contains("<title>01:00  p50 0, p95 &amp; &lt;more&gt; 20 ms</title>"))
        #expect(svg.components(separatedBy: "<title>").count - 1 == 1 + 1 + 121)
        let long = TimeChart(title: "Users", unit: "users",
                             series: [.init(name: "users", points: (0..<600).map { (x: Double($0), y: 1) }, color: "#000")]).svg()
        #expect(long.components(separatedBy: "<title>").count - 1 == 1 + TimeChart.hoverColumnLimit)
        // Well-formed XML: every text escaped, every element closed.
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")

        let empty = TimeChart(title: "Users", unit: "users", series: [.init(name: "users", points: [], color: "#000")]).svg()
        #expect(empty.contains("no data"))
        #expect(XMLParser(data: Data(empty.utf8)).parse())
        let runs = TimeChart(title: "p95 by run", unit: "ms", series: [.init(name: "p95", points: [(x: 0, y: 3), (x: 1, y: 4)], color: "#000")],
                             xAxis: .labelled(["#1", "#2 (this run)"])).svg()
        #expect(runs.contains(">#2 (this run)</text>"))
    }

    @Test func theAbortAndTheOutagesAreMarkedOnTheTimeAxis() {
        var document = Self.document(seconds: 120)
        document.status = .aborted
        document.stopReason = "aborted: error_rate > 5% over 30s (observed 20%)"
        document.availability = Availability(percent: 90, measuredSeconds: 120, outages: [.init(start: 10, end: 14)])
        let marks = HTMLReport.timeMarks(document)
        #expect(marks.contains { $0.start == 90 && $0.end == 120 && $0.label.contains("error_rate > 5% over 30s") })
        #expect(marks.contains { $0.start == 10 && $0.end == 14 && $0.label == "no successful response" })
        #expect(marks.contains { $0.start == 60 && $0.end == 90 && $0.label.contains("p95 trending up") })
        #expect(HTMLReport.abortWindow("aborted: p95 > 1s over 1m (observed 1.2s)") == 60)
        #expect(HTMLReport.abortWindow("aborted") == nil)
    }
}
