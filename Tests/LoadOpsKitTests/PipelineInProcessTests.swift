import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// Stops the run once it has seen `after` snapshots, the way an abort rule would.
final class AbortingObserver: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private var seen = 0
    private(set) var started = false
    private(set) var ended: GeneratorOutcome?
    let after: Int

    init(after: Int) { self.after = after }

    func runStarted(plan: LoadPlan, stop: StopSignal) {
        lock.withLock { started = true }
    }

    func runProgressed(_ second: SecondSnapshot, stop: StopSignal) {
        let count = lock.withLock { seen += 1; return seen }
        if count >= after { stop.request(.aborted(rule: "test rule: \(count) snapshots seen")) }
    }

    func runEnded(_ outcome: GeneratorOutcome) {
        lock.withLock { ended = outcome }
    }
}

/// Stands in for the generator: returns a prepared outcome without sending anything.
struct PreparedOutcomeSender: LoadSender {
    var requests: UInt64
    var failures: UInt64
    var stopReason: StopReason = .durationReached

    func send(plan: LoadPlan, stop: StopSignal, observers: [any RunObserver]) async throws -> GeneratorOutcome {
        let start = Date()
        var statistics = EndpointStatistics(key: EndpointKey(method: "GET", name: "/health"))
        statistics.requests = requests
        statistics.failures = failures
        for _ in 0..<requests { _ = statistics.latency.record(2_000) }
        statistics.uncorrected = statistics.latency
        if failures > 0 { statistics.failuresByKind[.connectionRefused] = failures }
        let series = (1...4).map { second in
            SecondSnapshot(timestamp: start.timeIntervalSince1970 + Double(second), elapsed: Double(second), users: 2,
                            requests: requests / 4, failures: failures / 4, requestsPerSecond: Double(requests / 4),
                            failuresPerSecond: Double(failures / 4), p50: 2, p95: 2, p99: 2,
                            totalRequests: requests / 4 * UInt64(second), totalFailures: failures / 4 * UInt64(second))
        }
        return GeneratorOutcome(endpoints: [statistics], timeSeries: series, peakUsers: 2, droppedArrivals: 0,
                                startTime: start, endTime: start.addingTimeInterval(4), stopReason: stopReason)
    }
}

/// The pipeline called in-process: with observers of its own, and with a stand-in generator so its
/// decisions are tested without sending load.
@Suite(.serialized) struct PipelineInProcessTests {
    private func run(_ sender: PreparedOutcomeSender, thresholds: String = "") async throws -> (RunReport, String) {
        let directory = try TestSupport.temporaryDirectory()
        try """
            host: http://127.0.0.1:9
            load: { users: 2, duration: 4s }
            endpoints: [get /health]
            \(thresholds)
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        var request = RunRequest(configPath: nil, overrides: ConfigOverrides(), environment: [:], workingDirectory: directory,
                                 databasePath: nil)
        request.sender = sender
        let report = try await RunPipeline.run(request, console: RunConsole(quiet: true), stop: StopSignal())
        let summary = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        try? FileManager.default.removeItem(atPath: directory)
        return (report, summary)
    }

    @Test func theVerdictFollowsTheOutcome() async throws {
        let (healthy, healthySummary) = try await run(PreparedOutcomeSender(requests: 400, failures: 0))
        #expect(healthy.verdict.passed && healthy.exitStatus == .success)
        #expect(healthy.thresholds.map(\.expression) == ["error_rate < 5%", "outage < 3s"])
        #expect(healthySummary.contains("The defaults, since loadops.yml sets no `thresholds:`"))
        #expect(healthySummary.contains("## Pass/Fail: PASS"))

        let (dead, deadSummary) = try await run(PreparedOutcomeSender(requests: 40, failures: 40), thresholds: "thresholds: {}")
        #expect(dead.verdict.reasons == [.noSuccessfulRequest(sent: 40)])
        #expect(dead.exitStatus == .checkFailed)
        #expect(dead.document.successRate == 0)
        #expect(deadSummary.contains("- no request succeeded: all 40 failed"))

        // 4% errors pass the default error rate; the same outcome fails a stricter threshold.
        let (some, _) = try await run(PreparedOutcomeSender(requests: 400, failures: 16))
        #expect(some.verdict.passed)
        let (strict, _) = try await run(PreparedOutcomeSender(requests: 400, failures: 16),
                                        thresholds: "thresholds: { aggregate: [\"error_rate < 1%\"] }")
        #expect(!strict.verdict.passed)

        let (interrupted, _) = try await run(PreparedOutcomeSender(requests: 400, failures: 0, stopReason: .signal("SIGINT")))
        #expect(interrupted.result.status == .interrupted && interrupted.exitStatus == .interrupted)
        #expect(interrupted.document.stopReason == "interrupted by SIGINT")
    }

    @Test func anObserverCanAbortTheRunWithItsReason() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(server.port)
            load: { users: 2, spawn_rate: 100, duration: 30s }
            endpoints: [get /health]
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let observer = AbortingObserver(after: 2)
        var request = RunRequest(configPath: nil, overrides: ConfigOverrides(), environment: [:], workingDirectory: directory,
                                 databasePath: nil)
        request.observers = [observer]
        let started = Date()
        let report = try await RunPipeline.run(request, console: RunConsole(quiet: true), stop: StopSignal())
        try await server.stop()
        #expect(Date().timeIntervalSince(started) < 15, "stopped long before its 30 s")
        #expect(observer.started)
        #expect(observer.ended?.stopReason == .aborted(rule: "test rule: 2 snapshots seen"))
        #expect(report.result.status == .aborted)
        #expect(report.document.stopReason == "aborted: test rule: 2 snapshots seen")
        #expect(!report.verdict.passed)
        #expect(report.exitStatus == .checkFailed)
        #expect(report.verdict.reasonLines.contains("aborted: test rule: 2 snapshots seen"))
        let saved = try ResultsDocument.load(from: "\(directory)/load_test_reports/results.json")
        #expect(saved.status == .aborted)
        #expect(saved.stopReason == "aborted: test rule: 2 snapshots seen")
    }
}
