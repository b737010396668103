import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// load_test_report.html as a reader gets it: written by a real `loadops run` against the built-in
/// target, then opened from the file in headless Chromium with the network off (Tests/Browser/check_report.py).
@Suite(.serialized) struct HTMLReportBrowserTests {
    /// An endpoint name that would set `window.__xss` if the page let markup through.
    static let markupName = "<img src=x onerror=\"window.__xss=1\">"

    /// Where the screenshot is kept after the test (git-ignored with the rest of .build/).
    static let artifacts = TestSupport.packageRoot.appendingPathComponent(".build/test-artifacts").path

    @Test func theReportOpensOfflineInChromiumAndShowsWhatResultsJSONHolds() async throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw TestFailure("\(tool) is missing: make deps installs Debian's chromium and chromium-driver")
        }
        let server = try await LoadTargetServer.start(
            port: 0, behaviour: TargetBehaviour(latency: .uniform(min: .milliseconds(1), max: .milliseconds(6)), errorRate: 0.02))
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(server.port)
            environment: browser-test
            load: { users: 4, spawn_rate: 100, duration: 4s }
            endpoints:
              - name: '\(Self.markupName)'
                method: GET
                path: /health
              - get /sessions/{uuid}
            thresholds:
              aggregate: ["p95 < 5s"]
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        // A first run made the baseline, so the report has a comparison, the baseline's p95 and a trend of two runs.
        let first = try await ChildProcess.run(TestSupport.binary, ["run", "--quiet"], directory: directory, timeout: 60)
        #expect([0, 1].contains(first.status), "\(first.stdout) \(first.stderr)")
        let promote = try await ChildProcess.run(TestSupport.binary, ["baseline", "promote", "latest"], directory: directory)
        #expect(promote.status == 0, "\(promote.stderr)")
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--tolerance", "1000%"], directory: directory, timeout: 60)
        try await server.stop()
        #expect([0, 1].contains(run.status), "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains(HTMLReport.fileName), "\(run.stdout)")

        let output = "\(directory)/load_test_reports"
        let report = "\(output)/\(HTMLReport.fileName)"
        let page = try String(contentsOfFile: report, encoding: .utf8)
        #expect(page.contains("Comparison against the baseline") && page.contains("baseline p95"))
        #expect(page.contains("#2 (this run)"), "the trend of the configuration's runs")
        #expect(page.contains("HTTPError") || page.contains("http_500"), "the target's 500s as failures")

        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = "\(Self.artifacts)/load_test_report.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        let check = try await ChildProcess.run("/usr/bin/env", [
            "python3", TestSupport.packageRoot.appendingPathComponent("Tests/Browser/check_report.py").path,
            report, "\(output)/results.json", screenshot, "--endpoint-name", Self.markupName,
        ], directory: directory, timeout: 120)
        #expect(check.status == 0, "\(check.stdout)\n\(check.stderr)")
        #expect(FileManager.default.fileExists(atPath: screenshot))
    }

    @Test func loadopsReportWritesThePageForAFolderARunIdOrAFileAndRefusesWhatItCannotRead() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(server.port)
            load: { users: 2, spawn_rate: 100, duration: 1s }
            endpoints: [get /health]
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--quiet"], directory: directory, timeout: 60)
        try await server.stop()
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        let written = "\(directory)/load_test_reports/\(HTMLReport.fileName)"
        let fromRun = try String(contentsOfFile: written, encoding: .utf8)
        try FileManager.default.removeItem(atPath: written)

        // The default: load_test_reports/results.json, the page beside it, the same page as the run's.
        let again = try await ChildProcess.run(TestSupport.binary, ["report"], directory: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("Written: \(written)"), "\(again.stdout)")
        #expect(try String(contentsOfFile: written, encoding: .utf8) == fromRun)

        let byID = try await ChildProcess.run(TestSupport.binary, ["report", "1"], directory: directory)
        #expect(byID.status == 0, "\(byID.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(directory)/load_test_report_run-1.html"))
        let chosen = try await ChildProcess.run(TestSupport.binary, ["report", "load_test_reports/results.json", "--output", "out/page.html"],
                                                directory: directory)
        #expect(chosen.status == 0, "\(chosen.stderr)")
        #expect(try String(contentsOfFile: "\(directory)/out/page.html", encoding: .utf8).contains("id=\"trend\""))

        let missing = try await ChildProcess.run(TestSupport.binary, ["report", "nosuch.json"], directory: directory)
        #expect(missing.status == 2)
        #expect(missing.stderr.hasPrefix("loadops report: error: "), "\(missing.stderr)")
        let unknownRun = try await ChildProcess.run(TestSupport.binary, ["report", "99"], directory: directory)
        #expect(unknownRun.status == 2, "\(unknownRun.stderr)")
        let badBaseline = try await ChildProcess.run(TestSupport.binary, ["report", "--baseline", "nosuch.json"], directory: directory)
        #expect(badBaseline.status == 2, "\(badBaseline.stderr)")
    }
}
