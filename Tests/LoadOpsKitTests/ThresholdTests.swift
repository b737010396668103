import Foundation
import Testing
@testable import LoadOpsKit

struct ThresholdTests {
    private func parse(_ expression: String) throws -> Threshold {
        try Threshold.parse(expression, scope: "aggregate")
    }

    @Test func goodExpressionsParseToMetricOperatorAndLimit() throws {
        let cases: [(String, ThresholdMetric, ThresholdOperator, Double)] = [
            ("p95 < 1s", .percentile(.p95), .lessThan, 1000),
            ("p99<=1500", .percentile(.p99), .lessOrEqual, 1500),  // a bare number is milliseconds
            ("p99.9 < 2.5s", .percentile(.p99_9), .lessThan, 2500),
            ("P50 < 250ms", .percentile(.p50), .lessThan, 250),
            ("median < 100ms", .percentile(.p50), .lessThan, 100),
            ("avg < 300ms", .mean, .lessThan, 300),
            ("mean < 1m", .mean, .lessThan, 60_000),
            ("min >= 1ms", .minimum, .greaterOrEqual, 1),
            ("max < 10s", .maximum, .lessThan, 10_000),
            ("p100 < 10s", .maximum, .lessThan, 10_000),
            ("error_rate < 5%", .errorRate, .lessThan, 5),
            ("success_rate > 99.9 %", .successRate, .greaterThan, 99.9),
            ("rps > 100", .requestsPerSecond, .greaterThan, 100),
            ("rps >= 6000/min", .requestsPerSecond, .greaterOrEqual, 100),
            ("requests > 1000", .requests, .greaterThan, 1000),
            ("failures == 0", .failures, .equal, 0),
        ]
        for (text, metric, comparison, limit) in cases {
            let threshold = try parse(text)
            #expect(threshold.metric == metric, "\(text)")
            #expect(threshold.comparison == comparison, "\(text)")
            #expect(abs(threshold.limit - limit) < 1e-9, "\(text): \(threshold.limit)")
            #expect(threshold.expression == text)
        }
    }

    @Test func badExpressionsNameTheScopeTheExpressionAndWhatWasExpected() {
        let cases: [(String, String)] = [
            ("p95 < fast", "a duration"),
            ("p42 < 1s", "unknown metric \"p42\""),
            ("latency < 1s", "unknown metric"),
            ("error_rate < 0.05", "the % sign is required"),
            ("error_rate < 150%", "0% to 100%"),
            ("p95 1s", "expected an operator"),
            ("p95 => 1s", "expected an operator"),
            ("p95 <", "a value is missing"),
            ("rps > lots", "requests per second"),
            ("requests > 10.5", "a whole number"),
            ("", "expected METRIC OP VALUE"),
        ]
        for (text, reason) in cases {
            do {
                _ = try Threshold.parse(text, scope: "get /sessions/{uuid}")
                Issue.record("\"\(text)\" was accepted")
            } catch {
                #expect(error.scope == "get /sessions/{uuid}")
                #expect(error.description.contains("thresholds.get /sessions/{uuid}: \"\(text)\""), "\(error)")
                #expect(error.description.contains(reason), "\(error)")
                #expect(error.exitStatus == .badInput)
                #expect(CommandErrors.exitStatus(for: error) == .badInput)
            }
        }
    }

    @Test func aSetParsesEveryScopeAggregateFirstAndFailsOnTheFirstBadExpression() throws {
        let set = try ThresholdSet.parse([
            "post /pre_checkin/{uuid}": ["p99 < 2s"],
            "aggregate": ["p95 < 1s", "error_rate < 5%"],
        ])
        #expect(set.thresholds.map(\.scope) == ["aggregate", "aggregate", "post /pre_checkin/{uuid}"])
        #expect(set.thresholds.map(\.expression) == ["p95 < 1s", "error_rate < 5%", "p99 < 2s"])
        #expect(throws: ThresholdError(scope: "login", expression: "p95 < soon",
                                       reason: "expected a duration such as 500ms, 1s or 1.5s (a plain number is milliseconds) for p95, found \"soon\"")) {
            try ThresholdSet.parse(["aggregate": ["p95 < 1s"], "login": ["p95 < soon"]])
        }
        #expect(try ThresholdSet.parse([:]).isEmpty)
    }

    @Test func evaluationPassesAndFailsOnTheMeasuredFigures() throws {
        let document = ComparisonFixtures.document([
            ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", requests: 10_000, failures: 2, p95: 800, p99: 1200, rps: 166.7),
            ComparisonFixtures.endpoint("POST", "/pre_checkin/{uuid}", requests: 5000, failures: 400, p95: 1500, p99: 2500, rps: 83.3),
        ], aggregate: ComparisonFixtures.endpoint("", "", requests: 15_000, failures: 402, p95: 1000, p99: 2000, rps: 250))
        let set = try ThresholdSet.parse([
            "aggregate": ["p95 < 1s", "p95 <= 1s", "error_rate < 5%", "rps > 100", "requests >= 15000"],
            "GET /sessions/{uuid}": ["success_rate > 99.9%", "p99 < 1s"],
            "post /pre_checkin/{uuid}": ["error_rate < 5%"],
        ])
        let outcomes = set.evaluate(document)
        let byKey = Dictionary(uniqueKeysWithValues: outcomes.map { ("\($0.scope)|\($0.expression)", $0) })
        #expect(byKey["aggregate|p95 < 1s"]?.passed == false)  // 1000 ms is not below 1 s
        #expect(byKey["aggregate|p95 < 1s"]?.observed == "1000ms")
        #expect(byKey["aggregate|p95 <= 1s"]?.passed == true)
        #expect(byKey["aggregate|error_rate < 5%"]?.passed == true)
        #expect(byKey["aggregate|rps > 100"]?.passed == true)
        #expect(byKey["aggregate|requests >= 15000"]?.passed == true)
        #expect(byKey["GET /sessions/{uuid}|success_rate > 99.9%"]?.passed == true)
        #expect(byKey["GET /sessions/{uuid}|success_rate > 99.9%"]?.observed == "99.98%")
        #expect(byKey["GET /sessions/{uuid}|p99 < 1s"]?.passed == false)
        #expect(byKey["GET /sessions/{uuid}|p99 < 1s"]?.observedValue == 1200)
        #expect(byKey["post /pre_checkin/{uuid}|error_rate < 5%"]?.passed == false)
        #expect(byKey["post /pre_checkin/{uuid}|error_rate < 5%"]?.observed == "8%")
        #expect(outcomes.count == 8)
    }

    @Test func scopesMatchByMethodAndNameByPathOrByBareName() throws {
        var document = ComparisonFixtures.document([
            ComparisonFixtures.endpoint("GET", "session lookup", p95: 300),
            ComparisonFixtures.endpoint("POST", "/pre_checkin/{uuid}", p95: 700),
        ])
        document.config.endpoints[0].path = "/sessions/{uuid}"
        let set = try ThresholdSet.parse([
            "get /sessions/{uuid}": ["p95 < 500ms"],      // method + configured path
            "session lookup": ["p95 < 500ms"],            // bare name
            "/pre_checkin/{uuid}": ["p95 < 500ms"],       // bare path
            "delete /sessions/{uuid}": ["p95 < 500ms"],   // no such endpoint
        ])
        let outcomes = Dictionary(uniqueKeysWithValues: set.evaluate(document).map { ($0.scope, $0) })
        #expect(outcomes["get /sessions/{uuid}"]?.passed == true)
        #expect(outcomes["session lookup"]?.passed == true)
        #expect(outcomes["/pre_checkin/{uuid}"]?.passed == false)
        #expect(outcomes["/pre_checkin/{uuid}"]?.observed == "700ms")
        let missing = try #require(outcomes["delete /sessions/{uuid}"])
        #expect(missing.passed == false)
        #expect(missing.observedValue == nil)
        #expect(missing.observed.hasPrefix("no such endpoint"))
        #expect(missing.observed.contains("GET session lookup"))
    }

    @Test func aNameSharedByTwoMethodsIsAmbiguousAndAnEndpointWithoutRequestsFails() throws {
        let document = ComparisonFixtures.document([
            ComparisonFixtures.endpoint("GET", "/items"),
            ComparisonFixtures.endpoint("POST", "/items", requests: 0, rps: 0),
        ])
        let outcomes = try ThresholdSet.parse([
            "/items": ["p95 < 1s"],
            "post /items": ["p95 < 1s", "requests == 0"],
        ]).evaluate(document)
        let ambiguous = try #require(outcomes.first { $0.scope == "/items" })
        #expect(!ambiguous.passed)
        #expect(ambiguous.observed.contains("ambiguous"))
        let noRequests = try #require(outcomes.first { $0.scope == "post /items" && $0.expression == "p95 < 1s" })
        #expect(!noRequests.passed)
        #expect(noRequests.observed == "no requests measured")
        #expect(outcomes.first { $0.expression == "requests == 0" }?.passed == true)
    }

    @Test func outcomesAreStoredInResultsJSONAndOldFilesWithoutThemStillLoad() throws {
        var document = ComparisonFixtures.document([ComparisonFixtures.endpoint("GET", "/a")], thresholds: ["aggregate": ["p95 < 1s"]])
        #expect(document.thresholds == nil)
        let oldData = try document.encoded()
        #expect(!String(decoding: oldData, as: UTF8.self).contains("\"observed\""))
        #expect(try ResultsDocument.decode(oldData, path: "old.json").thresholds == nil)

        document.thresholds = try ThresholdSet.parse(document.config.thresholds).evaluate(document)
        let data = try document.encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let stored = try #require(object["thresholds"] as? [[String: Any]])
        #expect(stored.first?["expression"] as? String == "p95 < 1s")
        #expect(stored.first?["observed"] as? String == "200ms")
        #expect(stored.first?["passed"] as? Bool == true)
        #expect(try ResultsDocument.decode(data, path: "new.json") == document)
    }
}
