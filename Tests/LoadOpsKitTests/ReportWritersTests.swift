import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// `loadops run` and `loadops summary` write their reports with the same code.
@Suite(.serialized) struct ReportWritersTests {
    @Test func runAndSummaryWriteTheSameSummaryAndRunWritesJUnit() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(server.port)
            load: { users: 2, spawn_rate: 100, duration: 1s }
            endpoints: [get /health]
            thresholds:
              aggregate: ["p95 < 5s"]
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let first = try await ChildProcess.run(TestSupport.binary, ["run", "--quiet"], directory: directory, timeout: 60)
        #expect(first.status == 0, "\(first.stderr)")
        let promote = try await ChildProcess.run(TestSupport.binary, ["baseline", "promote", "latest"], directory: directory)
        #expect(promote.status == 0, "\(promote.stderr)")
        let second = try await ChildProcess.run(TestSupport.binary, ["run", "--junit", "ci/junit.xml", "--tolerance", "1000%"],
                                                directory: directory, timeout: 60)
        try await server.stop()
        #expect(second.status == 0, "\(second.stdout) \(second.stderr)")
        #expect(second.stdout.contains("ci/junit.xml"), "\(second.stdout)")

        let xml = try String(contentsOfFile: "\(directory)/ci/junit.xml", encoding: .utf8)
        #expect(xml.contains("<testsuites name=\"loadops\""))
        #expect(xml.contains("name=\"p95 &lt; 5s\""))
        #expect(xml.contains("comparison against baselines/baseline.json"))

        let summaryPath = "\(directory)/load_test_reports/RESULTS_SUMMARY.md"
        let fromRun = try Data(contentsOf: URL(fileURLWithPath: summaryPath))
        try FileManager.default.removeItem(atPath: summaryPath)
        let summary = try await ChildProcess.run(TestSupport.binary, ["summary", "--tolerance", "1000%", "--junit", "ci/again.xml"],
                                                 directory: directory)
        #expect(summary.status == 0, "\(summary.stdout) \(summary.stderr)")
        let fromSummary = try Data(contentsOf: URL(fileURLWithPath: summaryPath))
        #expect(fromRun == fromSummary, "run:\n\(String(decoding: fromRun, as: UTF8.self))\nsummary:\n\(String(decoding: fromSummary, as: UTF8.self))")
        #expect(try String(contentsOfFile: "\(directory)/ci/again.xml", encoding: .utf8) == xml)
    }
}
