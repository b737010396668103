import Foundation
import Testing
@testable import LoadOpsKit
#if canImport(FoundationXML)
import FoundationXML
#endif

struct SummaryTests {
    private func sampleDocument(status: RunStatus = .completed, warnings: [String] = []) -> ResultsDocument {
        ComparisonFixtures.document([
            ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", requests: 10_000, failures: 2, p95: 180.5),
            ComparisonFixtures.endpoint("POST", "/pre_checkin/{uuid}", requests: 4000, failures: 0, p95: 420),
        ], thresholds: ["aggregate": ["p95 < 1s"], "get /sessions/{uuid}": ["p95 < 100ms"]], status: status, warnings: warnings)
    }

    private func outcomes(_ document: ResultsDocument) throws -> [ThresholdOutcome] {
        try ThresholdSet.parse(document.config.thresholds).evaluate(document)
    }

    @Test func summaryFollowsTheGuidesTemplateWithRealValues() throws {
        let document = sampleDocument(warnings: ["the target answered 429 Too Many Requests 12 times"])
        let thresholds = try outcomes(document)
        let text = RunSummaryMarkdown.render(document: document, thresholds: thresholds, comparison: nil,
                                             verdict: RunVerdict.decide(document: document, thresholds: thresholds, comparison: nil),
                                             warnings: document.warnings)
        #expect(text.hasPrefix("# Load Test Results\n"))
        #expect(text.contains("- **Date**: 2023-11-14T22:13:20Z to 2023-11-14T22:14:20Z"))
        #expect(text.contains("- **Environment**: staging (http://127.0.0.1:8000)"))
        #expect(text.contains("- **Duration**: 60 seconds (planned 60 seconds)"))
        #expect(text.contains("- **Load**: closed model, 10 users, spawn rate 10/s"))
        #expect(text.contains("## Key Metrics"))
        #expect(text.contains("- GET /sessions/{uuid} Success Rate: 99.98%"))
        #expect(text.contains("- GET /sessions/{uuid} P95 Latency: 180.5ms"))
        #expect(text.contains("| POST /pre_checkin/{uuid} | 4000 | 0 | 100% | 40ms | 420ms | 400ms | 100 |"))
        #expect(text.contains("| PASS | aggregate | `p95 < 1s` | 180.5ms |"))
        #expect(text.contains("| FAIL | get /sessions/{uuid} | `p95 < 100ms` | 180.5ms |"))
        #expect(text.contains("## Pass/Fail: FAIL"))
        #expect(text.contains("- 1 threshold failed: get /sessions/{uuid} p95 < 100ms (observed 180.5ms)"))
        #expect(text.contains("## Comparison against baseline\n\nNo baseline"))
        #expect(text.contains("## Warnings\n\n- the target answered 429 Too Many Requests 12 times"))
        #expect(text.hasSuffix("## Notes\n- [Add observations]\n- [Add issues if any]\n- [Recommendations]\n"))
    }

    @Test func passFailFollowsThresholdsRegressionsAndInterruptions() throws {
        let document = sampleDocument()
        let passing = try outcomes(document).filter(\.passed)
        let passed = RunVerdict.decide(document: document, thresholds: passing, comparison: nil)
        #expect(passed.passed && passed.exitStatus == .success)
        let clean = RunSummaryMarkdown.render(document: document, thresholds: passing, comparison: nil, verdict: passed, warnings: [])
        #expect(clean.contains("## Pass/Fail: PASS"))
        #expect(clean.contains("## Warnings\n\nNone."))

        // Interrupted: its figures cover part of the plan, so it does not pass, and exits 130.
        let interruptedDocument = sampleDocument(status: .interrupted)
        let interrupted = RunVerdict.decide(document: interruptedDocument, thresholds: passing, comparison: nil)
        #expect(!interrupted.passed && interrupted.exitStatus == .interrupted)
        let cut = RunSummaryMarkdown.render(document: interruptedDocument, thresholds: passing, comparison: nil, verdict: interrupted, warnings: [])
        #expect(cut.contains("## Pass/Fail: FAIL"))
        #expect(cut.contains("- the run was interrupted"))

        var slower = document
        slower.endpoints[1].percentiles[.p95] = 600
        let comparison = BaselineComparison.compare(current: slower, baseline: document, baselineLabel: "baselines/baseline.json")
        let verdict = RunVerdict.decide(document: slower, thresholds: passing, comparison: comparison)
        #expect(!verdict.passed && verdict.exitStatus == .checkFailed)
        let regressed = RunSummaryMarkdown.render(document: slower, thresholds: passing, comparison: comparison, verdict: verdict, warnings: [])
        #expect(regressed.contains("## Pass/Fail: FAIL"))
        #expect(regressed.contains("- 1 regression: POST /pre_checkin/{uuid} p95 +42.9%"))
        #expect(regressed.contains("| POST /pre_checkin/{uuid} | p95 | 420 ms | 600 ms | +42.9% | ⚠ regression |"))

        // No request succeeded: FAIL whatever the thresholds say.
        var dead = document
        dead.aggregate.failures = dead.aggregate.requests
        let deadVerdict = RunVerdict.decide(document: dead, thresholds: [], comparison: nil)
        #expect(deadVerdict.reasonLines == ["no request succeeded: all 10000 failed"])
        dead.aggregate.requests = 0
        dead.aggregate.failures = 0
        #expect(RunVerdict.decide(document: dead, thresholds: [], comparison: nil).headline
                == "FAIL: no request was answered: the target never responded")
    }

    @Test func writeSummaryWritesTheFileInTheFolder() throws {
        let folder = try TestSupport.temporaryDirectory() + "/reports"
        let document = sampleDocument(warnings: ["no request completed"])
        let path = try RunSummaryMarkdown.writeSummary(document: document, thresholds: [], comparison: nil,
                                                       verdict: RunVerdict(reasons: []), warnings: document.warnings, to: folder)
        #expect(path == folder + "/RESULTS_SUMMARY.md")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("- no request completed"))
        #expect(text.contains("No thresholds (loadops.yml has `thresholds: {}`)"))
    }

    @Test func junitIsWellFormedWithOneCasePerThresholdAndFigureAndTheRightFailures() throws {
        var document = sampleDocument()
        document.host = "http://127.0.0.1:8000/?a=1&b=\"2\""
        var baseline = document
        baseline.endpoints[1].percentiles[.p95] = 300  // current 420 ms: a regression
        let thresholds = try outcomes(document) + [
            ThresholdOutcome(scope: "odd <scope> & 'quotes'", expression: "p95 < 1s\u{01}", observed: "no such endpoint",
                             observedValue: nil, passed: false),
        ]
        let comparison = BaselineComparison.compare(current: document, baseline: baseline)
        let xml = JUnitReport.render(document: document, thresholds: thresholds, comparison: comparison)
        #expect(!xml.contains("\u{01}"))
        #expect(xml.contains("odd &lt;scope&gt; &amp; &apos;quotes&apos;"))

        let thresholdCount = thresholds.count
        let figureCount = comparison.scopes.reduce(0) { $0 + $1.rows.count }
        let expectedFailures = thresholds.filter { !$0.passed }.count + comparison.regressions.count
        #expect(expectedFailures == 3)
        #if canImport(FoundationXML) || canImport(Darwin)
        let parsed = try XMLDocument(xmlString: xml, options: [])
        let root = try #require(parsed.rootElement())
        #expect(root.name == "testsuites")
        #expect(root.attribute(forName: "tests")?.stringValue == String(thresholdCount + figureCount))
        #expect(root.attribute(forName: "failures")?.stringValue == String(expectedFailures))
        let cases = try parsed.nodes(forXPath: "//testcase")
        #expect(cases.count == thresholdCount + figureCount)
        #expect(try parsed.nodes(forXPath: "//testcase/failure").count == expectedFailures)
        let odd = try parsed.nodes(forXPath: "//testcase[@classname=\"loadops.thresholds.odd <scope> & 'quotes'\"]")
        #expect(odd.count == 1)
        let regression = try parsed.nodes(forXPath: "//testsuite[2]/testcase[failure]")
        #expect(regression.compactMap { ($0 as? XMLElement)?.attribute(forName: "classname")?.stringValue }
                == ["loadops.comparison.POST /pre_checkin/{uuid}"])
        #else
        #expect(xml.components(separatedBy: "<testcase ").count - 1 == thresholdCount + figureCount)
        #expect(xml.components(separatedBy: "<failure ").count - 1 == expectedFailures)
        #endif
    }
}
