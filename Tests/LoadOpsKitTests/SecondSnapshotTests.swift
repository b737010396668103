import Foundation
import Testing
@testable import LoadOpsKit

/// One second of a run: what the live status line prints from it, and what results.json keeps of it.
@Suite struct SecondSnapshotTests {
    static func second(elapsed: Double, planned: Double, targetRate: Double? = nil, queued: Int = 0) -> SecondSnapshot {
        SecondSnapshot(timestamp: 1_700_000_000, elapsed: elapsed, users: 12, requests: 150, failures: 1,
                       requestsPerSecond: 153.26, failuresPerSecond: 0.5, p50: 4.26, p95: 123.4, p99: 1500.6,
                       totalRequests: 9876, totalFailures: 12, plannedDuration: planned,
                       totalFailuresByKind: [.timeout: 10, .httpStatus(503): 2], queued: queued, targetRate: targetRate)
    }

    @Test func theStatusLineOfTheClosedModel() {
        let line = ProgressLine.render(Self.second(elapsed: 65.4, planned: 120), bar: false)
        #expect(line == "[01:05 / 02:00  54%] users 12 | 153.3 req/s | 0.5 fail/s | p50 4.3ms p95 123ms p99 1501ms"
                + " | 9876 reqs | failures 12 (timeout 10, http_503 2)")
    }

    @Test func theStatusLineOfTheOpenModelWithItsBar() {
        let line = ProgressLine.render(Self.second(elapsed: 3725.9, planned: 7200, targetRate: 200, queued: 4), bar: true)
        #expect(line == "[1:02:05 / 2:00:00 " + String(repeating: "█", count: 8) + String(repeating: "░", count: 8)
                + "  51%] 153.3 of 200.0 req/s | connections 12 | 0.5 fail/s | p50 4.3ms p95 123ms p99 1501ms"
                + " | 9876 reqs | queued 4 | failures 12 (timeout 10, http_503 2)")
    }

    @Test func resultsJSONKeepsTheFiguresOfASecondAndTheTargetRateButNothingLive() throws {
        var run = ResultsFixture.run()
        run.timeSeries[1] = Self.second(elapsed: 2.7, planned: 10, targetRate: 50, queued: 3)
        let document = ResultsDocument.make(from: run)
        let data = try document.encoded()
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let series = try #require(json["time_series"] as? [[String: Any]])
        let keys: Set<String> = ["timestamp", "elapsed", "users", "requests", "failures", "requests_per_second",
                                 "failures_per_second", "p50", "p95", "p99", "total_requests", "total_failures"]
        #expect(series.count == 3)
        // The open model's target rate is an optional key: only where a second has one.
        #expect(Set(series[1].keys) == keys.union(["target_rate"]) && series[1]["target_rate"] as? Double == 50)
        #expect(Set(series[0].keys) == keys && Set(series[2].keys) == keys)
        #expect(document.timeSeries[1].totalFailuresByKind.isEmpty && document.timeSeries[1].queued == 0)
        #expect(try ResultsDocument.decode(data, path: "results.json") == document)
    }

    @Test func aPercentileKeyThatNoReportUsesIsLeftOutWhenRead() throws {
        let document = ResultsDocument.make(from: ResultsFixture.run())
        var json = try #require(try JSONSerialization.jsonObject(with: document.encoded()) as? [String: Any])
        var aggregate = try #require(json["aggregate"] as? [String: Any])
        var percentiles = try #require(aggregate["percentiles"] as? [String: Double])
        percentiles["97"] = 5
        aggregate["percentiles"] = percentiles
        json["aggregate"] = aggregate
        let read = try ResultsDocument.decode(JSONSerialization.data(withJSONObject: json), path: "baseline.json")
        #expect(read.aggregate.percentiles == document.aggregate.percentiles)
        #expect(read.aggregate.percentiles.count == Percentile.allCases.count)
    }
}
