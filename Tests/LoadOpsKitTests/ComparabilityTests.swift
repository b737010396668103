import Foundation
import Testing
@testable import LoadOpsKit

/// A comparison says when the two runs were not made under the same configuration; a baseline is
/// a completed run unless forced.
@Suite(.serialized) struct ComparabilityTests {
    private func openModelRun(rate: Double) -> ResultsDocument {
        var document = ComparisonFixtures.document([ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", rps: rate)])
        document.load = ResultsDocument.Load(model: "open", users: 0, spawnRate: 0, duration: 60, thinkTime: nil, rate: rate,
                                             maxConnections: 1000, timeout: 30, stages: [])
        return document
    }

    @Test func differencesInModelLoadEndpointsAndHostAreNamed() throws {
        let closed = ComparisonFixtures.document([ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", rps: 26)])
        let open = openModelRun(rate: 141)
        let report = BaselineComparison.compare(current: open, baseline: closed)
        #expect(report.configurationDifferences == ["load model: open (current) vs closed (baseline)"])
        let table = ComparisonRenderer.table(report)
        #expect(table.contains("⚠ Not comparable"))
        #expect(table.contains("  - load model: open (current) vs closed (baseline)"))
        #expect(ComparisonRenderer.markdown(report).contains("**⚠ Not comparable"))

        var elsewhere = openModelRun(rate: 100)
        elsewhere.host = "http://127.0.0.1:9000"
        elsewhere.endpoints.append(ComparisonFixtures.endpoint("POST", "/pre_checkin/{uuid}"))
        let differences = BaselineComparison.compare(current: elsewhere, baseline: open).configurationDifferences
        #expect(differences.contains("host: http://127.0.0.1:9000 (current) vs http://127.0.0.1:8000 (baseline)"))
        #expect(differences.contains("load: 100 req/s, up to 1000 connections (current) vs 141 req/s, up to 1000 connections (baseline)"))
        #expect(differences.contains("endpoints: only in the current run: POST /pre_checkin/{uuid}"))

        // The same configuration, measured twice: comparable, no warning.
        let same = BaselineComparison.compare(current: closed, baseline: closed)
        #expect(same.isComparable)
        #expect(!ComparisonRenderer.table(same).contains("Not comparable"))
    }

    @Test func anInterruptedRunBecomesABaselineOnlyWithForce() async throws {
        let directory = try TestSupport.temporaryDirectory("loadops-promote")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let interrupted = ComparisonFixtures.document([ComparisonFixtures.endpoint("GET", "/health")], status: .interrupted)
        try ComparisonFixtures.write(interrupted, to: "\(directory)/load_test_reports/results.json")
        let refused = try await ChildProcess.run(TestSupport.binary, ["baseline", "promote", "load_test_reports"], directory: directory)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("the run is interrupted"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/baselines/baseline.json"))
        let forced = try await ChildProcess.run(TestSupport.binary, ["baseline", "promote", "load_test_reports", "--force"], directory: directory)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(directory)/baselines/baseline.json"))
    }
}
