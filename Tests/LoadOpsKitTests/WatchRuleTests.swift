import Foundation
import LoadTarget
import NIOCore
import Synchronization
import Testing
@testable import LoadOpsKit

/// The warning signs and abort rules, fed made-up one-second snapshots: what fires, when, and what
/// does not.
struct WatchRuleTests {
    /// One second of a run: `requests` answered, `failures` of them failed, the second's p95.
    static func second(_ elapsed: Int, requests: UInt64 = 100, failures: UInt64 = 0, p95: Double = 10,
                       users: Int = 10, throttledSoFar: UInt64 = 0) -> SecondSnapshot {
        SecondSnapshot(timestamp: 1_700_000_000 + Double(elapsed), elapsed: Double(elapsed), users: users,
                       requests: requests, failures: failures, requestsPerSecond: Double(requests),
                       failuresPerSecond: Double(failures), p50: p95 / 2, p95: p95, p99: p95 * 1.2,
                       totalRequests: 0, totalFailures: 0,
                       totalFailuresByKind: throttledSoFar > 0 ? [.httpStatus(429): throttledSoFar] : [:])
    }

    static let plan = LoadPlan(target: TargetAddress(useTLS: false, host: "127.0.0.1", port: 9), endpoints: [],
                               load: LoadSettings(model: .closed, users: 1, spawnRate: 1, duration: 60))

    /// Feeds `seconds` to a watch; returns the second at which it asked to stop (nil: never) and the watch.
    static func run(_ settings: RunWatch.Settings, _ seconds: [SecondSnapshot]) -> (stoppedAt: Int?, watch: RunWatch) {
        let watch = RunWatch(settings: settings)
        let stop = StopSignal()
        for second in seconds {
            watch.runProgressed(second, stop: stop)
            if stop.isRequested { return (Int(second.elapsed), watch) }
        }
        return (nil, watch)
    }

    @Test func abortRulesReadAsWrittenAndRefuseWhatTheyCannotMeasure() throws {
        let rule = try AbortRule.parse("error_rate > 5% over 30s")
        #expect(rule.metric == .run(.errorRate) && rule.comparison == .greaterThan && rule.limit == 5 && rule.window == 30)
        let latency = try AbortRule.parse("p95 > 1s over 1m")
        #expect(latency.metric == .run(.percentile(.p95)) && latency.limit == 1000 && latency.window == 60)
        let monitor = try AbortRule.parse("monitor.host.cpu > 95% over 60s")
        #expect(monitor.metric == .monitor(source: "host", metric: "cpu") && monitor.limit == 95)

        let bad: [(String, String)] = [
            ("error_rate > 5%", "the window is missing"),
            ("error_rate > 5% over soon", "expected a window such as 30s"),
            ("error_rate > 5 over 30s", "the % sign is required"),
            ("availability < 99% over 30s", "cannot be measured over a window"),
            ("monitor.host > 95 over 30s", "expected monitor.SOURCE.METRIC"),
            ("monitor.host.cpu > lots over 30s", "expected a number"),
            ("error_rate > 5% over 0s", "from 1s to 24h"),
        ]
        for (text, reason) in bad {
            do {
                _ = try AbortRule.parse(text)
                Issue.record("\(text) was accepted")
            } catch {
                #expect(error.description.contains(reason), "\(error.description)")
                #expect(error.description.hasPrefix("abort: \"\(text)\""), "\(error.description)")
            }
        }
    }

    @Test func theErrorRateRuleFiresOnceItsWindowIsFullAfterTheGrace() throws {
        let settings = RunWatch.Settings(abortRules: [try AbortRule.parse("error_rate > 5% over 10s")], grace: 5)
        // 20% failing from the start: judged first at 5 s grace + 10 s window.
        let failing = (1...40).map { Self.second($0, failures: 20) }
        let result = Self.run(settings, failing)
        #expect(result.stoppedAt == 15)
        #expect(result.watch.firedRule == "error_rate > 5% over 10s (observed 20%)")

        // 4% failing never fires; neither does one bad second (30% of its requests) inside a clean window,
        // since the rate is the window's; a second where everything failed does (100 of 1000: 10%).
        #expect(Self.run(settings, (1...40).map { Self.second($0, failures: 4) }).stoppedAt == nil)
        #expect(Self.run(settings, (1...40).map { Self.second($0, failures: $0 == 20 ? 30 : 0) }).stoppedAt == nil)
        #expect(Self.run(settings, (1...40).map { Self.second($0, failures: $0 == 20 ? 100 : 0) }).stoppedAt == 20)
    }

    @Test func latencyRulesUseTheMedianOfTheWindowsSeconds() throws {
        let settings = RunWatch.Settings(abortRules: [try AbortRule.parse("p95 > 500ms over 10s")], grace: 0)
        // Three slow seconds in ten: the median stays low.
        let spiky = (1...30).map { Self.second($0, p95: $0 % 10 < 3 ? 2000 : 50) }
        #expect(Self.run(settings, spiky).stoppedAt == nil)
        let slow = (1...30).map { Self.second($0, p95: $0 > 12 ? 900 : 50) }
        #expect(Self.run(settings, slow).stoppedAt == 18)
    }

    @Test func monitorRulesUseTheMeanOfTheReadingsInTheWindow() throws {
        let settings = RunWatch.Settings(abortRules: [try AbortRule.parse("monitor.db.lock_waits >= 3 over 10s")], grace: 0,
                                         sourceKinds: ["db": "postgres"])
        let watch = RunWatch(settings: settings)
        let stop = StopSignal()
        watch.runStarted(plan: Self.plan, stop: stop)
        let start = Date()
        for elapsed in 1...30 {
            if elapsed % 5 == 0 {
                let waits = elapsed >= 15 ? 4.0 : 0.0
                watch.record(MonitorRound(index: elapsed / 5, time: start.addingTimeInterval(Double(elapsed) - 0.5), elapsed: Double(elapsed),
                                          samples: [MonitorSample(source: "db", readings: [MonitorReading("lock_waits", waits, .number)])]))
            }
            watch.runProgressed(Self.second(elapsed), stop: stop)
            if stop.isRequested {
                // Readings at 14.5 and 19.5 s average 4; the window (10, 20] first holds only them at 20 s.
                #expect(elapsed == 20)
                #expect(stop.reason == .aborted(rule: "monitor.db.lock_waits >= 3 over 10s (observed 4)"))
                return
            }
        }
        Issue.record("the monitor rule never fired")
    }

    @Test func aRisingResponseTimeWarnsAndAStepProfileOnASteadyTargetDoesNot() {
        var signs = WarningSigns()
        signs.trendWindow = 10
        let settings = RunWatch.Settings(abortRules: [], grace: 5, signs: signs)

        // A target 20 ms slower every second under the same load.
        let rising = Self.run(settings, (1...40).map { Self.second($0, p95: 10 + 20 * Double($0)) }).watch
        let trend = rising.warnings.filter { $0.key == "latency_trend" }
        #expect(trend.count == 1)
        #expect(trend.first?.start == 25)  // 5 s grace + two 10 s windows
        #expect(trend.first?.message.contains("response time trending upward") == true)

        // Step load: users doubling every 10 s, the first seconds slower while connections open, and
        // a steady target's p95 otherwise: no trend.
        let steps: [SecondSnapshot] = (1...60).map { (t: Int) -> SecondSnapshot in
            let users = 10 * (1 << min(t / 10, 4))
            let p95: Double = t <= 2 ? 80 : 12 + Double(t % 3)
            return Self.second(t, requests: UInt64(10 * users), p95: p95, users: users)
        }
        #expect(Self.run(settings, steps).watch.warnings.isEmpty)
    }

    @Test func aClimbingErrorRateWarnsAndClears() throws {
        var signs = WarningSigns()
        signs.trendWindow = 5
        let settings = RunWatch.Settings(abortRules: [], grace: 0, signs: signs)
        let seconds = (1...40).map { t in Self.second(t, failures: (11...20).contains(t) ? UInt64(2 * (t - 10)) : 0) }
        let warnings = Self.run(settings, seconds).watch.warnings.filter { $0.key == "error_rate_climbing" }
        #expect(warnings.count == 1)
        let warning = try #require(warnings.first)
        #expect(warning.start >= 11 && warning.start <= 15)
        #expect(warning.end != nil)
        // A steady 10% from the start never climbs.
        #expect(Self.run(settings, (1...40).map { Self.second($0, failures: 10) }).watch.warnings.isEmpty)
    }

    @Test func throttlingAndMonitorLevelsWarnWhileTheyHold() throws {
        let settings = RunWatch.Settings(abortRules: [], grace: 0, sourceKinds: ["host": "host", "cache": "redis"])
        let events = Mutex<[WatchEvent]>([])
        let watch = RunWatch(settings: settings) { event in events.withLock { $0.append(event) } }
        let stop = StopSignal()
        watch.runStarted(plan: Self.plan, stop: stop)
        let start = Date()
        for elapsed in 1...30 {
            let cpu = (10...19).contains(elapsed) ? 92.0 : 40.0
            watch.record(MonitorRound(index: elapsed, time: start.addingTimeInterval(Double(elapsed) - 0.5), elapsed: Double(elapsed),
                                      samples: [MonitorSample(source: "host", readings: [MonitorReading("cpu", cpu, .percent)]),
                                                MonitorSample(source: "cache", readings: [MonitorReading("memory", 85, .percent)])]))
            // 429s between 5 and 8 s.
            let throttled = UInt64(min(max(elapsed - 4, 0), 4) * 10)
            watch.runProgressed(Self.second(elapsed, throttledSoFar: throttled), stop: stop)
        }
        let byKey = Dictionary(grouping: watch.warnings, by: \.key)
        let cpu = try #require(byKey["host.cpu"]?.first)
        #expect(cpu.message.contains("CPU at 92% (host; warning above 85%)"))
        #expect(cpu.start >= 10 && cpu.start <= 11 && (cpu.end ?? 0) >= 20 && (cpu.end ?? 0) <= 21)
        #expect(byKey["cache.memory"]?.first?.end == nil)  // held to the end
        let throttling = try #require(byKey["throttling"]?.first)
        #expect(throttling.start == 5 && (throttling.end ?? 0) > 8)
        #expect(!stop.isRequested)
        #expect(events.withLock { $0 }.contains(.warningCleared(key: "host.cpu", message: cpu.message)))
        #expect(events.withLock { $0 }.contains(.warningStarted(key: "throttling", message: throttling.message)))
    }
}

/// What the incident report keeps of a failing answer.
struct FailureSampleTests {
    @Test func theBodysFirstBytesArePrintableText() {
        let answer = ByteBuffer(string: "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 30\r\n\r\n{\"error\":\"injected\u{01}failure\"}")
        #expect(FailureSample.bodyStart(ofAnswer: answer.readableBytesView) == "{\"error\":\"injected.failure\"}")
        let long = ByteBuffer(string: "HTTP/1.1 503 x\r\n\r\n" + String(repeating: "y", count: 1000))
        #expect(FailureSample.bodyStart(ofAnswer: long.readableBytesView).count == FailureSample.bodyBytesKept)
        // Only the body arrived in this read: all of it is body.
        #expect(FailureSample.bodyStart(ofAnswer: ByteBuffer(string: "oops").readableBytesView) == "oops")
    }
}

extension FailureSampleTests {
    @Test func theGeneratorKeepsTheFirstFailingAnswerOfEachKind() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(errorRate: 1))
        defer { Task { try? await server.stop() } }
        let plan = LoadPlan(target: TargetAddress(useTLS: false, host: "127.0.0.1", port: server.port),
                            endpoints: [EndpointConfig(method: "GET", path: "/sessions/{uuid}")],
                            load: LoadSettings(model: .closed, users: 2, spawnRate: 100, duration: 1))
        let outcome = try await LoadGenerator.run(plan: plan, stop: StopSignal())
        let sample = try #require(outcome.failureSamples.first)
        #expect(outcome.failureSamples.count == 1)
        #expect(sample.failure == .httpStatus(500))
        #expect(sample.bodyStart == #"{"error":"injected failure"}"#)
    }
}

/// The `abort:`, `warnings:` and `incident:` sections of loadops.yml.
struct WatchConfigTests {
    @Test func withoutSectionsTheDefaultRuleAndLevelsApply() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let config = try folder.load()
        #expect(config.watch.abortRules.map(\.text) == ["error_rate > 5% over 30s"])
        #expect(config.watch.grace == 10 && config.watch.signs == WarningSigns.defaults)
        #expect(config.incidentCommands.isEmpty)
    }

    @Test func theSectionsReadAndShowAsTheyRead() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", """
            abort:
              grace: 5s
              rules: ["p95 > 1s over 1m", "monitor.host.cpu > 95% over 60s"]
            warnings: {cpu: 70%, db_connections: off, latency_trend: 2x, throttling: false}
            incident: [echo one, echo two]
            """)
        let config = try folder.load()
        #expect(config.watch.abortRules.map(\.text) == ["p95 > 1s over 1m", "monitor.host.cpu > 95% over 60s"])
        #expect(config.watch.grace == 5)
        #expect(config.watch.signs.cpu == 70 && config.watch.signs.databaseConnections == nil)
        #expect(config.watch.signs.latencyTrendFactor == 2 && !config.watch.signs.throttling)
        #expect(config.incidentCommands == ["echo one", "echo two"])
        // `config show` prints them in the same schema, and that reads back the same.
        try folder.write("loadops.yml", ConfigRenderer.yaml(config))
        let again = try folder.load()
        #expect(again.watch == config.watch && again.incidentCommands == config.incidentCommands)

        try folder.write("loadops.yml", "abort: []\n")
        #expect(try folder.load().watch.abortRules.isEmpty)
    }

    @Test(arguments: [
        ("abort: [\"error_rate > 5%\"]\n", "abort[0]", 1, 9, "expected METRIC OP VALUE over WINDOW"),
        ("abort:\n  grace: soon\n", "abort.grace", 2, 10, "expected a duration from 0s to 1h"),
        ("abort:\n  rule: []\n", "abort.rule", 2, 3, "unknown key"),
        ("warnings:\n  cpu: 85\n", "warnings.cpu", 2, 8, "expected a percentage from 1% to 100%"),
        ("warnings:\n  latency_trend: 0.5x\n", "warnings.latency_trend", 2, 18, "expected a factor above 1"),
        ("incident: [{run: x}]\n", "incident[0]", 1, 12, "expected a shell command"),
    ])
    func mistakesArePositioned(text: String, field: String, line: Int, column: Int, message: String) throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try #require(try folder.error(loading: text))
        #expect(error.field == field, "\(error)")
        #expect(error.line == line && error.column == column, "\(error)")
        #expect(error.message.contains(message), "\(error.message)")
    }

    /// The commented sections `loadops init` writes load once uncommented.
    @Test func theInitTemplatesSectionsLoad() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        var inSection = false
        let uncommented = ProjectInitializer.template.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("# abort:") || line.hasPrefix("# warnings:") || line.hasPrefix("# incident:") { inSection = true }
            if line.isEmpty { inSection = false }
            return inSection ? String(line.dropFirst(2)) : String(line)
        }
        try folder.write("loadops.yml", uncommented.joined(separator: "\n"))
        let config = try folder.load()
        #expect(config.watch.abortRules.count == 3 && config.watch.signs.cpu == 85)
        #expect(config.incidentCommands == ["docker-compose logs backend --tail=100"])
    }
}
