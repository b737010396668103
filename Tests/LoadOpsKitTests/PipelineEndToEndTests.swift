import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// The whole pipeline through the binary: run → thresholds → history → compare → baseline → summary → archive.
@Suite(.serialized) struct PipelineEndToEndTests {
    @Test func runsAreRecordedComparedPromotedAndArchived() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        defer { Task { try? await server.stop() } }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = """
            host: http://127.0.0.1:\(server.port)
            load:
              users: 4
              spawn_rate: 100
              duration: 2s
            endpoints:
              - get /sessions/{uuid}
            thresholds:
              aggregate: ["p95 < 5s", "error_rate < 1%"]
            """
        try config.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)

        // Two runs, both recorded in the history database.
        for _ in 0..<2 {
            let run = try await ChildProcess.run(TestSupport.binary, ["run", "--quiet"], directory: directory, timeout: 60)
            #expect(run.status == 0, "stderr: \(run.stderr)")
        }
        let store = try HistoryStore.open(path: "\(directory)/.loadops/history.sqlite", createIfMissing: false)
        let runs = try store.runs()
        #expect(runs.count == 2)
        let thresholds = try store.thresholds(runID: try #require(runs.first?.id))
        #expect(thresholds.count == 2)

        let list = try await ChildProcess.run(TestSupport.binary, ["history"], directory: directory)
        #expect(list.status == 0)
        #expect(list.stdout.contains("\(runs[0].id)") && list.stdout.contains("\(runs[1].id)"))

        // Compared against the previous run (latencies on a shared machine vary: report only).
        let compare = try await ChildProcess.run(TestSupport.binary, ["compare", "latest", "--baseline", "previous", "--no-fail"],
                                                 directory: directory)
        #expect(compare.status == 0, "stderr: \(compare.stderr)")
        #expect(compare.stdout.contains("p95"))

        // Promoted to the default baseline, which the next run compares against by itself.
        let promote = try await ChildProcess.run(TestSupport.binary, ["baseline", "promote", "latest"], directory: directory)
        #expect(promote.status == 0, "stderr: \(promote.stderr)")
        let baseline = try ResultsDocument.load(from: "\(directory)/baselines/baseline.json")
        #expect(baseline.aggregate.requests > 0)

        let third = try await ChildProcess.run(TestSupport.binary, ["run", "--tolerance", "1000%"], directory: directory, timeout: 60)
        #expect(third.status == 0, "stdout: \(third.stdout)\nstderr: \(third.stderr)")
        #expect(third.stdout.contains("Thresholds"))
        let summary = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(summary.contains("# Load Test Results"))
        #expect(summary.contains("PASS"))
        #expect(summary.contains("baselines/baseline.json"))

        // Archived, and the archive recorded against the run it holds.
        let archive = try await ChildProcess.run(TestSupport.binary, ["archive"], directory: directory)
        #expect(archive.status == 0, "stderr: \(archive.stderr)")
        let latest = try #require(try store.latestRunID())
        #expect(try store.archives(runID: latest).count == 1)
    }

    @Test func runWithPreflightCleanupAndPostTest() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        defer { Task { try? await server.stop() } }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: "\(directory)/checklists", withIntermediateDirectories: true)
        try """
            host: http://127.0.0.1:\(server.port)
            load: { users: 2, spawn_rate: 100, duration: 1s }
            endpoints: ["get /sessions/{uuid}"]
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        try """
            checks:
              - { name: API, kind: http, path: /health, expect: 200 }
            """.write(toFile: "\(directory)/checklists/preflight.yml", atomically: true, encoding: .utf8)
        try """
            steps:
              - { name: Mark cleanup, kind: command, command: "touch cleaned-before" }
            """.write(toFile: "\(directory)/checklists/cleanup.yml", atomically: true, encoding: .utf8)
        try """
            steps:
              - { name: Mark post-test, kind: command, command: "test -f load_test_reports/results.json && touch cleaned-after" }
            """.write(toFile: "\(directory)/checklists/post-test.yml", atomically: true, encoding: .utf8)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--preflight", "--cleanup", "--post-test", "--yes", "--no-history"],
                                             directory: directory, timeout: 60)
        #expect(run.status == 0, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        #expect(run.stdout.contains("Environment ready for load testing!"))
        #expect(FileManager.default.fileExists(atPath: "\(directory)/cleaned-before"))
        #expect(FileManager.default.fileExists(atPath: "\(directory)/cleaned-after"))

        // A failing preflight check stops the run before any load.
        try """
            checks:
              - { name: Queue, kind: tcp, address: "127.0.0.1:\(TestSupport.freePort())" }
            """.write(toFile: "\(directory)/checklists/preflight.yml", atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: "\(directory)/load_test_reports")
        let blocked = try await ChildProcess.run(TestSupport.binary, ["run", "--preflight", "--no-history"], directory: directory, timeout: 60)
        #expect(blocked.status == 1, "stdout: \(blocked.stdout)\nstderr: \(blocked.stderr)")
        #expect(blocked.stdout.contains("✗"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/load_test_reports/results.json"))
    }

    @Test func failedThresholdMakesRunExit1() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(errorRate: 0.5))
        defer { Task { try? await server.stop() } }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = """
            host: http://127.0.0.1:\(server.port)
            load: { users: 2, spawn_rate: 100, duration: 1s }
            endpoints: ["get /sessions/{uuid}"]
            thresholds:
              aggregate: ["error_rate < 5%"]
            """
        try config.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        #expect(run.status == 1, "stdout: \(run.stdout)")
        #expect(run.stdout.contains("FAIL"))
        let results = try ResultsDocument.load(from: "\(directory)/load_test_reports/results.json")
        #expect(results.thresholds?.first?.passed == false)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/.loadops/history.sqlite"))
    }

    @Test func badThresholdIsExit2BeforeAnyLoad() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:9
            thresholds:
              aggregate: ["p95 < soon"]
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let run = try await ChildProcess.run(TestSupport.binary, ["run"], directory: directory)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("p95 < soon"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/load_test_reports"))
    }
}
