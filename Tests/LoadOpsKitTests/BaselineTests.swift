import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// `loadops baseline`, `compare` and `summary` through the built binary, on hand-made results files.
@Suite(.serialized) struct BaselineTests {
    private func loadops(_ arguments: [String], in directory: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await ChildProcess.run(TestSupport.binary, arguments, directory: directory, timeout: 60)
    }

    private func project(p95: Double = 200) throws -> String {
        let directory = try TestSupport.temporaryDirectory("loadops-baseline")
        let document = ComparisonFixtures.document([
            ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", p95: p95),
            ComparisonFixtures.endpoint("POST", "/pre_checkin/{uuid}", p95: p95 * 2),
        ], thresholds: ["aggregate": ["p95 < 1s", "error_rate < 5%"]])
        try ComparisonFixtures.write(document, to: "\(directory)/load_test_reports/results.json")
        return directory
    }

    @Test func promotedFileIsAcceptedByCompareAndIsNotOverwrittenWithoutForce() async throws {
        let directory = try project()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let promote = try await loadops(["baseline", "promote", "load_test_reports/results.json"], in: directory)
        #expect(promote.status == 0, "stderr: \(promote.stderr)")
        #expect(promote.stdout.contains("baselines/baseline.json"))
        let written = try ResultsDocument.load(from: "\(directory)/baselines/baseline.json")
        #expect(written == (try ResultsDocument.load(from: "\(directory)/load_test_reports/results.json")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(directory)/baselines") == ["baseline.json"])

        let compare = try await loadops(["compare"], in: directory)
        #expect(compare.status == 0, "stderr: \(compare.stderr)")
        #expect(compare.stdout.contains("GET /sessions/{uuid}"))
        #expect(compare.stdout.contains("No regression beyond the tolerance."))

        let again = try await loadops(["baseline", "promote", "load_test_reports/results.json"], in: directory)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"), "stderr: \(again.stderr)")
        let forced = try await loadops(["baseline", "promote", "load_test_reports", "--force"], in: directory)
        #expect(forced.status == 0, "stderr: \(forced.stderr)")
        let named = try await loadops(["baseline", "promote", "load_test_reports/results.json", "--name", "release-2.4"], in: directory)
        #expect(named.status == 0, "stderr: \(named.stderr)")
        let badName = try await loadops(["baseline", "promote", "load_test_reports/results.json", "--name", "../escape"], in: directory)
        #expect(badName.status == 2)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/escape.json"))

        let list = try await loadops(["baseline", "list"], in: directory)
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("Name") == true)
        #expect(lines.contains { $0.hasPrefix("baseline ") && $0.contains("2023-11-14T22:13:20Z") && $0.contains("http://127.0.0.1:8000")
            && $0.contains("100%") && $0.contains("200ms") })
        #expect(lines.contains { $0.hasPrefix("release-2.4 ") })
    }

    @Test func aRegressionExitsOneUnlessNoFailAndFormatsAreSelectable() async throws {
        let directory = try project(p95: 200)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try await loadops(["baseline", "promote", "load_test_reports/results.json"], in: directory).status == 0)
        let slower = ComparisonFixtures.document([
            ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", p95: 300),
            ComparisonFixtures.endpoint("POST", "/pre_checkin/{uuid}", p95: 400),
        ])
        try ComparisonFixtures.write(slower, to: "\(directory)/slower/results.json")

        let table = try await loadops(["compare", "slower/results.json"], in: directory)
        #expect(table.status == 1, "stderr: \(table.stderr)")
        #expect(table.stdout.contains("⚠ regression"))
        let report = try await loadops(["compare", "slower", "--no-fail", "--format", "markdown"], in: directory)
        #expect(report.status == 0)
        #expect(report.stdout.contains("| GET /sessions/{uuid} | p95 | 200 ms | 300 ms | +50% | ⚠ regression |"))
        let json = try await loadops(["compare", "slower/results.json", "--format", "json"], in: directory)
        #expect(json.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["regressions"] as? Int == 2)  // the aggregate and GET /sessions/{uuid}
        let lenient = try await loadops(["compare", "slower/results.json", "--tolerance", "60%"], in: directory)
        #expect(lenient.status == 0, "stdout: \(lenient.stdout)")
        let badFormat = try await loadops(["compare", "slower/results.json", "--format", "html"], in: directory)
        #expect(badFormat.status == 2)
    }

    @Test func malformedOrSchemaViolatingBaselinesExitTwoNamingTheField() async throws {
        let directory = try project()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = try String(contentsOfFile: "\(directory)/load_test_reports/results.json", encoding: .utf8)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(good.utf8)) as? [String: Any])
        var endpoints = try #require(object["endpoints"] as? [[String: Any]])
        endpoints[1]["requests"] = "many"
        object["endpoints"] = endpoints
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: "\(directory)/wrong-type.json"))
        object = try #require(try JSONSerialization.jsonObject(with: Data(good.utf8)) as? [String: Any])
        var aggregate = try #require(object["aggregate"] as? [String: Any])
        aggregate.removeValue(forKey: "percentiles")
        object["aggregate"] = aggregate
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: "\(directory)/missing-field.json"))
        try "{\"schema_version\": 1, \"tool\": ".write(toFile: "\(directory)/truncated.json", atomically: true, encoding: .utf8)

        let cases: [(file: String, expected: String)] = [
            ("wrong-type.json", "field `endpoints[1].requests`"),
            ("missing-field.json", "field `aggregate.percentiles`"),
            ("truncated.json", "not valid JSON"),
            ("absent.json", "absent.json"),
        ]
        for (file, expected) in cases {
            let compare = try await loadops(["compare", "load_test_reports/results.json", "--baseline", file], in: directory)
            #expect(compare.status == 2, "\(file): \(compare.stderr)")
            #expect(compare.stderr.contains(expected), "\(file): \(compare.stderr)")
            let summary = try await loadops(["summary", "--baseline", file], in: directory)
            #expect(summary.status == 2, "\(file): \(summary.stderr)")
            #expect(summary.stderr.contains(expected), "\(file): \(summary.stderr)")
        }
        let noDefault = try await loadops(["compare"], in: directory)
        #expect(noDefault.status == 2)
        #expect(noDefault.stderr.contains("no baseline at baselines/baseline.json"), "\(noDefault.stderr)")
    }

    @Test func summaryWritesTheMarkdownAndJUnitAndExitsOneOnFail() async throws {
        let directory = try project(p95: 200)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await loadops(["summary", "--junit", "reports/junit.xml"], in: directory)
        #expect(first.status == 0, "stdout: \(first.stdout) stderr: \(first.stderr)")
        #expect(first.stdout.contains("PASS  aggregate: p95 < 1s (observed 200ms)"))
        let summary = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(summary.contains("## Pass/Fail: PASS"))
        #expect(summary.contains("No baseline"))
        let junit = try String(contentsOfFile: "\(directory)/reports/junit.xml", encoding: .utf8)
        #expect(junit.contains("tests=\"2\" failures=\"0\""))

        // With a baseline that was faster, the same results are a regression: FAIL and exit 1.
        let faster = ComparisonFixtures.document([
            ComparisonFixtures.endpoint("GET", "/sessions/{uuid}", p95: 100),
            ComparisonFixtures.endpoint("POST", "/pre_checkin/{uuid}", p95: 400),
        ])
        try ComparisonFixtures.write(faster, to: "\(directory)/baselines/baseline.json")
        let second = try await loadops(["summary", "--junit", "reports/junit.xml"], in: directory)
        #expect(second.status == 1, "stderr: \(second.stderr)")
        let failing = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(failing.contains("## Pass/Fail: FAIL"))
        #expect(failing.contains("| GET /sessions/{uuid} | p95 | 100 ms | 200 ms | +100% | ⚠ regression |"))
        let failingJUnit = try String(contentsOfFile: "\(directory)/reports/junit.xml", encoding: .utf8)
        #expect(failingJUnit.contains("failures=\"2\""))  // aggregate p95 and GET p95
        let noFail = try await loadops(["summary", "--no-fail"], in: directory)
        #expect(noFail.status == 0)
    }

    @Test func recordedRunsAreComparedWithPreviousAndPromoted() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory("loadops-baseline")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = """
            host: http://127.0.0.1:\(server.port)
            load:
              users: 2
              spawn_rate: 20
              duration: 1s
            endpoints:
              - get /sessions/{uuid}
            thresholds:
              aggregate: ["error_rate < 5%", "requests >= 1"]
              "GET /sessions/{uuid}": ["p99 < 5s"]
            """
        try config.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        for _ in 0..<2 {
            let run = try await loadops(["run", "--output", "out", "--quiet"], in: directory)
            #expect(run.status == 0, "stderr: \(run.stderr)")
        }
        try await server.stop()
        let stored = try ResultsDocument.load(from: "\(directory)/out/results.json")
        #expect(stored.thresholds?.count == 3)
        #expect(stored.thresholds?.allSatisfy(\.passed) == true)

        let compare = try await loadops(["compare", "latest", "--baseline", "previous", "--no-fail", "--format", "json"], in: directory)
        #expect(compare.status == 0, "stderr: \(compare.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)) as? [String: Any])
        #expect(object["current"] as? String == "run 2")
        #expect(object["baseline"] as? String == "run 1")

        let promote = try await loadops(["baseline", "promote", "previous"], in: directory)
        #expect(promote.status == 0, "stderr: \(promote.stderr)")
        #expect(promote.stdout.contains("Promoted run 1 to baselines/baseline.json"))
        let againstPromoted = try await loadops(["compare", "out", "--no-fail"], in: directory)
        #expect(againstPromoted.status == 0, "stderr: \(againstPromoted.stderr)")
        #expect(againstPromoted.stdout.contains("Baseline: baselines/baseline.json"))
        #expect(againstPromoted.stdout.contains("GET /sessions/{uuid}"))

        let summary = try await loadops(["summary", "--output", "out", "--no-fail"], in: directory)
        #expect(summary.status == 0, "stderr: \(summary.stderr)")
        let text = try String(contentsOfFile: "\(directory)/out/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(text.contains("| PASS | GET /sessions/{uuid} | `p99 < 5s` |"))
        #expect(text.contains("- Baseline: baselines/baseline.json"))
    }
}
