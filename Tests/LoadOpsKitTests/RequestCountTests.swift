import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// `load.requests` / `--requests N`: the run ends once N requests were answered or failed, and both
/// results.json and the built-in target count exactly N. Through the built binary, as a user runs it.
@Suite(.serialized) struct RequestCountTests {
    private struct FinishedRun {
        var status: Int32
        var output: String
        var seconds: Double
        var document: ResultsDocument?
        var served: Int
    }

    /// Runs `loadops run` with `configuration` (its `host` is the target's) and `arguments` against a fresh built-in target.
    private func run(_ configuration: String, _ arguments: [String]) async throws -> FinishedRun {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory("request-count")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "host: http://127.0.0.1:\(server.port)\n\(configuration)"
            .write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let started = Date()
        let finished = try await ChildProcess.run(
            TestSupport.binary, ["run", "--no-history", "--output", "out"] + arguments, directory: directory, timeout: 90)
        let seconds = Date().timeIntervalSince(started)
        let served = server.counts().total
        try await server.stop()
        let document = try? ResultsDocument.load(from: "\(directory)/out/results.json")
        return FinishedRun(status: finished.status, output: finished.stdout + finished.stderr, seconds: seconds,
                           document: document, served: served)
    }

    @Test func closedModelStopsAfterExactlyTheRequestCount() async throws {
        let finished = try await run("""
            load: { users: 8, spawn_rate: 100, duration: 60s }
            endpoints: [get /health]
            """, ["--requests", "1000"])
        #expect(finished.status == 0, "\(finished.output)")
        let document = try #require(finished.document, "\(finished.output)")
        #expect(finished.seconds < 30, "the run should end on its count, well before its 60 s")
        #expect(document.aggregate.requests == 1000)
        #expect(document.aggregate.failures == 0)
        #expect(finished.served == 1000)
        #expect(document.status == .completed)
        #expect(document.stopReason == "1000 requests reached")
        #expect(document.load.requests == 1000)
        #expect(document.config.load.requests == 1000)
    }

    @Test func openModelStopsAfterExactlyTheRequestCount() async throws {
        let finished = try await run("""
            load: { model: open, rate: 500/s, duration: 60s }
            endpoints: [get /health]
            """, ["--requests", "300"])
        #expect(finished.status == 0, "\(finished.output)")
        let document = try #require(finished.document, "\(finished.output)")
        #expect(document.aggregate.requests == 300)
        #expect(finished.served == 300)
        #expect(document.stopReason == "300 requests reached")
        // The 300th arrival is due at 0.598 s; the coordinator notices within 50 ms.
        #expect(document.durationSeconds >= 0.55 && document.durationSeconds < 2.5, "took \(document.durationSeconds) s")
        #expect(document.droppedArrivals == 0)
    }

    /// Two event loops share the count (1001: the first loop takes the odd one) and still stop at exactly it.
    @Test func twoEventLoopsStillStopAtExactlyTheRequestCount() async throws {
        let finished = try await run("""
            load: { users: 8, spawn_rate: 100, duration: 60s, requests: 1001 }
            endpoints: [get /health, "get /sessions/{uuid}"]
            """, ["--threads", "2"])
        #expect(finished.status == 0, "\(finished.output)")
        let document = try #require(finished.document, "\(finished.output)")
        #expect(finished.seconds < 30)
        #expect(document.aggregate.requests == 1001)
        #expect(finished.served == 1001)
        #expect(document.stopReason == "1001 requests reached")
    }

    /// The duration still bounds the run: a count it cannot reach ends with the duration, as before.
    @Test func theDurationStillBoundsTheRun() async throws {
        let finished = try await run("""
            load: { users: 2, spawn_rate: 100, duration: 2s, think_time: 100ms }
            endpoints: [get /health]
            """, ["--requests", "1000000"])
        #expect(finished.status == 0, "\(finished.output)")
        let document = try #require(finished.document, "\(finished.output)")
        #expect(document.stopReason == "duration reached")
        #expect(document.aggregate.requests > 0 && document.aggregate.requests < 1000)
        #expect(Int(document.aggregate.requests) == finished.served)
    }

    @Test func configShowPrintsTheCountAndBadValuesExitTwo() async throws {
        let directory = try TestSupport.temporaryDirectory("request-count-config")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shown = try await ChildProcess.run(TestSupport.binary, ["config", "show", "--requests", "250"], directory: directory)
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("\n  requests: 250\n"), "\(shown.stdout)")
        let fromVariable = try await ChildProcess.run(
            TestSupport.binary, ["config", "show"], directory: directory,
            environment: ProcessInfo.processInfo.environment.merging(["LOAD_TEST_REQUESTS": "40"]) { $1 })
        #expect(fromVariable.stdout.contains("\n  requests: 40\n"), "\(fromVariable.stdout) \(fromVariable.stderr)")

        for value in ["0", "abc", "1000000001"] {
            let refused = try await ChildProcess.run(TestSupport.binary, ["config", "show", "--requests", value], directory: directory)
            #expect(refused.status == 2, "--requests \(value): \(refused.stdout) \(refused.stderr)")
            #expect(refused.stderr.contains("--requests: expected a whole number from 1 to 1000000000, got \"\(value)\""),
                    "\(refused.stderr)")
        }
        try "load:\n  requests: -5\n".write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let badFile = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory)
        #expect(badFile.status == 2, "\(badFile.stdout) \(badFile.stderr)")
        #expect(badFile.stderr.contains("loadops.yml:2:"), "\(badFile.stderr)")
        #expect(badFile.stderr.contains("load.requests"), "\(badFile.stderr)")
    }

    @Test func theLocustEngineRefusesARequestCount() async throws {
        let directory = try TestSupport.temporaryDirectory("request-count-locust")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let refused = try await ChildProcess.run(
            TestSupport.binary, ["run", "--engine", "locust", "--requests", "100", "--no-history", "--output", "out"],
            directory: directory)
        #expect(refused.status == 2, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("Locust cannot stop after a number of requests"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/out/results.json"))
    }
}
