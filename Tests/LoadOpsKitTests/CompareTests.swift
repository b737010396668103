import Foundation
import Testing
@testable import LoadOpsKit

/// Hand-made results documents for the threshold, comparison, baseline and summary tests.
enum ComparisonFixtures {
    static let start = Date(timeIntervalSince1970: 1_700_000_000)

    static func endpoint(_ method: String, _ name: String, requests: UInt64 = 10_000, failures: UInt64 = 0,
                         p50: Double = 40, p95: Double = 200, p99: Double = 400, rps: Double = 100) -> ResultsDocument.Endpoint {
        let errorRate = requests == 0 ? 0 : Double(failures) * 100 / Double(requests)
        let percentiles: [Percentile: Double] = requests == 0 ? [:] : [
            .p50: p50, .p66: p50 * 1.2, .p75: p50 * 1.5, .p80: p50 * 2, .p90: p95 * 0.8, .p95: p95,
            .p98: p99 * 0.9, .p99: p99, .p99_9: p99 * 1.5, .p99_99: p99 * 2, .p100: p99 * 3,
        ]
        return ResultsDocument.Endpoint(
            method: method, name: name, requests: requests, failures: failures,
            successRate: requests == 0 ? 100 : 100 - errorRate, errorRate: errorRate, rps: rps,
            failuresPerSecond: rps * errorRate / 100, minMs: requests == 0 ? 0 : p50 / 4, maxMs: requests == 0 ? 0 : p99 * 3,
            meanMs: requests == 0 ? 0 : p50 * 1.3, medianMs: requests == 0 ? 0 : p50, percentiles: percentiles,
            uncorrectedPercentiles: percentiles, avgContentSize: 120, failuresByKind: failures == 0 ? [:] : ["http_503": failures])
    }

    /// A completed 60 s run against a staging host with these endpoints (the aggregate defaults to the first one's figures).
    static func document(_ endpoints: [ResultsDocument.Endpoint], aggregate: ResultsDocument.Endpoint? = nil,
                         thresholds: [String: [String]] = [:], status: RunStatus = .completed,
                         warnings: [String] = []) -> ResultsDocument {
        let config = LoadOpsConfig(
            host: "http://127.0.0.1:8000", environment: "staging",
            endpoints: endpoints.map { EndpointConfig(name: $0.name, method: $0.method, path: $0.name.hasPrefix("/") ? $0.name : "/\($0.name)") },
            thresholds: thresholds)
        let result = RunResult(status: status, startTime: start, endTime: start.addingTimeInterval(60), config: config,
                               endpoints: [], coordinatedOmissionCorrected: false, timeSeries: [], peakUsers: 10,
                               droppedArrivals: 0, warnings: warnings)
        var document = ResultsDocument.make(from: result)
        var total = aggregate ?? endpoints.first ?? endpoint("", "Aggregated")
        total.method = ""
        total.name = "Aggregated"
        document.aggregate = total
        document.endpoints = endpoints
        document.successRate = total.successRate
        document.p95Latency = total.percentiles[.p95] ?? 0
        return document
    }

    static func write(_ document: ResultsDocument, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try document.encoded().write(to: URL(fileURLWithPath: path))
    }
}

struct CompareTests {
    let tolerance = ComparisonTolerance()

    private func flag(_ metric: ComparisonMetric, _ baseline: Double?, _ current: Double?,
                      tolerance: ComparisonTolerance = ComparisonTolerance()) -> ComparisonFlag {
        BaselineComparison.row(metric, baseline: baseline, current: current, tolerance: tolerance).flag
    }

    @Test func equalDocumentsAreAllWithinTolerance() {
        let endpoints = [ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", failures: 3),
                         ComparisonFixtures.endpoint("POST", "/pre_checkin/{uuid}")]
        let document = ComparisonFixtures.document(endpoints)
        let report = BaselineComparison.compare(current: document, baseline: document)
        #expect(report.scopes.count == 3)
        for scope in report.scopes {
            #expect(scope.presence == .both)
            #expect(scope.rows.map(\.metric) == ComparisonMetric.allCases)
            for row in scope.rows {
                #expect(row.flag == .ok, "\(scope.title) \(row.metric)")
                #expect(row.changePercent == 0)
            }
        }
        #expect(!report.hasRegression)
    }

    @Test func justInsideAndJustOutsideFivePercentInBothDirections() {
        // p95: higher is worse.
        #expect(flag(.p95, 200, 209.8) == .ok)           // +4.9%
        #expect(flag(.p95, 200, 210) == .ok)             // exactly +5%: within ±5%
        #expect(flag(.p95, 200, 210.2) == .regression)   // +5.1%
        #expect(flag(.p95, 200, 190.2) == .ok)           // -4.9%
        #expect(flag(.p95, 200, 189.8) == .improvement)  // -5.1%
        // rps: lower is worse.
        #expect(flag(.rps, 100, 104.9) == .ok)
        #expect(flag(.rps, 100, 105.1) == .improvement)
        #expect(flag(.rps, 100, 95.1) == .ok)
        #expect(flag(.rps, 100, 94.9) == .regression)
        let row = BaselineComparison.row(.p95, baseline: 200, current: 210.2, tolerance: tolerance)
        #expect(abs((row.changePercent ?? 0) - 5.1) < 1e-9)
        #expect(row.changeText == "+5.1%")
    }

    @Test(arguments: ComparisonMetric.allCases)
    func eachMetricHasItsDirectionOfWorse(metric: ComparisonMetric) {
        // Large enough to clear every floor, rates kept within 0-100.
        let baseline = metric.isRate ? 50.0 : 500.0
        let higher = baseline * 1.5
        let lower = baseline * 0.5
        if metric.higherIsWorse {
            #expect(flag(metric, baseline, higher) == .regression)
            #expect(flag(metric, baseline, lower) == .improvement)
        } else {
            #expect(flag(metric, baseline, higher) == .improvement)
            #expect(flag(metric, baseline, lower) == .regression)
        }
        #expect(metric.higherIsWorse == [.errorRate, .p50, .p95, .p99].contains(metric))
    }

    @Test func aZeroBaselineDoesNotDivideByZero() {
        let fromZero = BaselineComparison.row(.errorRate, baseline: 0, current: 2, tolerance: tolerance)
        #expect(fromZero.changePercent == nil)
        #expect(fromZero.changeText == "n/a")
        #expect(fromZero.flag == .regression)
        // Below the 0.1 point floor a move from zero is noise.
        #expect(flag(.errorRate, 0, 0.05) == .ok)
        #expect(flag(.rps, 0, 50) == .improvement)
        let bothZero = BaselineComparison.row(.rps, baseline: 0, current: 0, tolerance: tolerance)
        #expect(bothZero.changePercent == 0)
        #expect(bothZero.flag == .ok)
    }

    @Test func theAbsoluteFloorKeepsTinyValuesFromFlagging() {
        #expect(flag(.p50, 0.4, 0.8) == .ok)               // +100% but 0.4 ms
        #expect(flag(.p50, 10, 10.9) == .ok)               // +9% but 0.9 ms
        #expect(flag(.p50, 10, 11) == .regression)         // +10% and 1 ms
        #expect(flag(.errorRate, 0.05, 0.1) == .ok)        // doubled but 0.05 point
        #expect(flag(.errorRate, 0.5, 0.7) == .regression) // +40% and 0.2 point
        #expect(flag(.rps, 10, 9.2) == .ok)                // -8% but 0.8 req/s
        #expect(flag(.successRate, 100, 99.95) == .ok)
        // A floor can be raised per metric.
        let lenient = ComparisonTolerance(floors: [.p50: 5])
        #expect(flag(.p50, 10, 14, tolerance: lenient) == .ok)
    }

    @Test func perMetricToleranceOverridesTheDefault() throws {
        let tolerance = ComparisonTolerance(percent: 5, perMetric: [.p95: 10])
        #expect(flag(.p95, 200, 216, tolerance: tolerance) == .ok)
        #expect(flag(.p99, 200, 216, tolerance: tolerance) == .regression)
        let (metric, percent) = try ComparisonTolerance.parseOverride("p99=12.5%")
        #expect(metric == .p99 && percent == 12.5)
        #expect(throws: ValueFormatError.self) { try ComparisonTolerance.parseOverride("p97=10%") }
        #expect(try ComparisonTolerance.parsePercent("7") == 7)
        #expect(throws: ValueFormatError.self) { try ComparisonTolerance.parsePercent("seven") }
    }

    @Test func endpointsOnOneSideOnlyAreListedAsSuch() throws {
        let current = ComparisonFixtures.document([ComparisonFixtures.endpoint("GET", "/a"), ComparisonFixtures.endpoint("GET", "/new")])
        let baseline = ComparisonFixtures.document([ComparisonFixtures.endpoint("get", "/a"), ComparisonFixtures.endpoint("POST", "/gone")])
        let report = BaselineComparison.compare(current: current, baseline: baseline)
        let byTitle = Dictionary(uniqueKeysWithValues: report.endpoints.map { ($0.title, $0) })
        #expect(byTitle["GET /a"]?.presence == .both)  // methods match whatever their case
        #expect(byTitle["GET /new"]?.presence == .currentOnly)
        #expect(byTitle["GET /new"]?.rows.isEmpty == true)
        #expect(byTitle["POST /gone"]?.presence == .baselineOnly)
        #expect(!report.hasRegression)
        let table = ComparisonRenderer.table(report)
        #expect(table.contains("GET /new: only in the current run"))
        #expect(table.contains("POST /gone: only in the baseline"))
        let markdown = ComparisonRenderer.markdown(report)
        #expect(markdown.contains("- POST /gone: only in the baseline"))
    }

    @Test func anEndpointWithoutRequestsIsNotComparedOnLatency() {
        let current = ComparisonFixtures.document([ComparisonFixtures.endpoint("GET", "/a", requests: 0, rps: 0)],
                                                  aggregate: ComparisonFixtures.endpoint("", "x"))
        let baseline = ComparisonFixtures.document([ComparisonFixtures.endpoint("GET", "/a")],
                                                   aggregate: ComparisonFixtures.endpoint("", "x"))
        let report = BaselineComparison.compare(current: current, baseline: baseline)
        let rows = Dictionary(uniqueKeysWithValues: report.endpoints[0].rows.map { ($0.metric, $0) })
        #expect(rows[.p95]?.flag == .notComparable)
        #expect(rows[.successRate]?.flag == .notComparable)
        #expect(rows[.rps]?.flag == .regression)  // throughput fell to zero: that is a regression
        #expect(report.regressions.count == 1)
    }

    @Test func regressionsAreCollectedAndRendered() throws {
        let baseline = ComparisonFixtures.document([ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", p95: 200)])
        let current = ComparisonFixtures.document([ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", p95: 260)])
        let report = BaselineComparison.compare(current: current, baseline: baseline, currentLabel: "run 2", baselineLabel: "baselines/baseline.json")
        #expect(report.regressions.map { "\($0.scope.title) \($0.row.metric)" } == ["Aggregated p95", "GET /sessions/{uuid} p95"])

        let table = ComparisonRenderer.table(report)
        #expect(table.contains("⚠ regression"))
        #expect(table.contains("+30%"))
        #expect(table.contains("2 regressions:\n  - Aggregated p95 +30%\n  - GET /sessions/{uuid} p95 +30%\n"))
        #expect(ComparisonRenderer.verdict(report, limit: 1) == "2 regressions: Aggregated p95 +30%; and 1 more")
        // Aligned: every row of the table starts its Metric column at the same offset.
        let tableLines = table.split(separator: "\n").map(String.init)
        let headerLine = try #require(tableLines.first { $0.hasPrefix("Scope") })
        let metricColumn = try #require(headerLine.range(of: "Metric")).lowerBound.utf16Offset(in: headerLine)
        for line in tableLines where line.contains(" p95 ") && line.hasSuffix("⚠ regression") {
            let offset = try #require(line.range(of: "p95")).lowerBound.utf16Offset(in: line)
            #expect(offset == metricColumn, "\(line)")
        }

        let markdown = ComparisonRenderer.markdown(report)
        #expect(markdown.contains("| GET /sessions/{uuid} | p95 | 200 ms | 260 ms | +30% | ⚠ regression |"))

        let json = try ComparisonRenderer.json(report)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["regressions"] as? Int == 2)
        #expect(object["passed"] as? Bool == false)
        #expect(object["baseline"] as? String == "baselines/baseline.json")
        let endpoints = try #require(object["endpoints"] as? [[String: Any]])
        let rows = try #require(endpoints.first?["rows"] as? [[String: Any]])
        let p95 = try #require(rows.first { $0["metric"] as? String == "p95" })
        #expect(p95["flag"] as? String == "regression")
        #expect(p95["change_percent"] as? Double == 30)
    }
}
