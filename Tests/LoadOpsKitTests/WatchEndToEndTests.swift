import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// Warning signs, abort rules and the incident report through the binary, against the built-in
/// target and real PostgreSQL and Redis servers on loopback.
@Suite(.serialized) struct WatchEndToEndTests {
    private func write(_ config: String, in directory: String) throws {
        try config.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
    }

    @Test func aHighErrorRateAbortsTheRunAndLeavesAnIncidentReport() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(errorRate: 0.2))
        defer { Task { try? await server.stop() } }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: {users: 4, spawn_rate: 100, duration: 60s}
            endpoints:
              - get /sessions/{uuid}
            abort:
              grace: 1s
              rules: ["error_rate > 5% over 3s"]
            incident:
              - echo incident command ran; echo "token s3cr3t-t0ken-value"
            credentials: {bearer_env: API_TOKEN}
            """, in: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["API_TOKEN"] = "s3cr3t-t0ken-value"
        let started = Date()
        let run = try await ChildProcess.run(TestSupport.binary, ["run"], directory: directory, environment: environment, timeout: 60)
        let took = Date().timeIntervalSince(started)

        #expect(run.status == 1, "stdout: \(run.stdout)\nstderr: \(run.stderr)")
        // 1 s grace + 3 s window + 1 s (the rule is judged once a second) + start-up and the incident report.
        #expect(took < 20, "the run took \(took) s")
        // One request in five fails; a window that ends mid-cycle sees a hair under or over 20%.
        let rule = "error_rate > 5% over 3s (observed "
        let observed = try #require(run.stdout.range(of: "✗ abort rule holds: " + rule).map { range in
            Double(run.stdout[range.upperBound...].prefix { $0 != "%" })
        } ?? nil, "\(run.stdout)")
        #expect(abs(observed - 20) < 0.5)
        let shown = "\(rule)\(ReportNumber.decimal(observed))%)"
        let document = try ResultsDocument.load(from: "\(directory)/load_test_reports/results.json")
        #expect(document.status == .aborted)
        #expect(document.stopReason == "aborted: " + shown)
        #expect(document.durationSeconds < 8)

        let incident = try String(contentsOfFile: "\(directory)/load_test_reports/incident.md", encoding: .utf8)
        #expect(incident.contains("`\(shown)`"))
        #expect(incident.contains("| GET /sessions/{uuid}: HTTPError: 500 Internal Server Error |"), "\(incident)")
        #expect(incident.contains(#"{"error":"injected failure"}"#), "the sample answer's body: \(incident)")
        #expect(incident.contains("✓ API is healthy"), "\(incident)")
        #expect(incident.contains("incident command ran"))
        #expect(incident.contains("## Health check of the API"))
        #expect(!incident.contains("s3cr3t-t0ken-value"), "the token is masked: \(incident)")
        #expect(incident.contains("token ***"))
        let summary = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(summary.contains("- **Stopped**: aborted: error_rate > 5% over 3s"))
    }

    @Test func aSlowingTargetWarnsOfTheTrendAndAStepProfileOnASteadyOneDoesNot() async throws {
        let slowing = try await LoadTargetServer.start(
            port: 0, behaviour: TargetBehaviour(latency: .fixed(.milliseconds(5)), latencyGrowth: .milliseconds(40)))
        defer { Task { try? await slowing.stop() } }
        let steady = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(latency: .fixed(.milliseconds(5))))
        defer { Task { try? await steady.stop() } }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let watch = """
            endpoints:
              - get /sessions/{uuid}
            abort: {grace: 1s, rules: []}
            warnings: {trend_window: 3s, latency_trend_min_increase: 20ms}
            """
        try write("""
            host: http://127.0.0.1:\(slowing.port)
            load: {users: 4, spawn_rate: 100, duration: 9s}
            \(watch)
            """, in: directory)
        let rising = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        #expect(rising.stdout.contains("⚠ warning: response time trending upward"), "\(rising.stdout)")
        let risingDocument = try ResultsDocument.load(from: "\(directory)/load_test_reports/results.json")
        #expect(risingDocument.warningSigns?.contains { $0.key == "latency_trend" } == true)
        let summary = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(summary.contains("## Warning signs during the run") && summary.contains("response time trending upward"))

        try write("""
            host: http://127.0.0.1:\(steady.port)
            load:
              stages:
                - {duration: 3s, users: 2}
                - {duration: 3s, users: 8}
                - {duration: 3s, users: 16}
            \(watch)
            """, in: directory)
        let steps = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        #expect(steps.status == 0, "\(steps.stdout)\n\(steps.stderr)")
        #expect(!steps.stdout.contains("trending upward"), "\(steps.stdout)")
        let stepsDocument = try ResultsDocument.load(from: "\(directory)/load_test_reports/results.json")
        #expect(stepsDocument.warningSigns?.contains { $0.key == "latency_trend" } != true)
    }

    @Test func aStalledOrRefusingMonitorSourceDoesNotSlowTheLoad() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        defer { Task { try? await server.stop() } }
        let silent = try SilentListener()  // accepts connections, never answers
        let refused = TestSupport.freePort()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = """
            host: http://127.0.0.1:\(server.port)
            load: {model: open, rate: 400/s, duration: 4s}
            endpoints:
              - get /sessions/{uuid}
            """
        func achieved(_ extra: String, output: String) async throws -> (rate: Double, document: ResultsDocument) {
            try write(base + "\n" + extra, in: directory)
            let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history", "--output", output],
                                                 directory: directory, timeout: 60)
            #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
            let document = try ResultsDocument.load(from: "\(directory)/\(output)/results.json")
            return (Double(document.aggregate.requests) / document.durationSeconds, document)
        }
        // Side by side: without a monitor, then with sources that stall and refuse, sampled every 250 ms.
        let plain = try await achieved("", output: "plain")
        let monitored = try await achieved("""
            monitor:
              interval: 250ms
              sources:
                - postgres: {url: "postgres://u:p@127.0.0.1:\(silent.port)/db"}
                - redis: {url: "redis://127.0.0.1:\(refused)"}
                - prometheus: {url: "http://127.0.0.1:\(silent.port)/metrics", series: [up]}
            """, output: "monitored")
        #expect(abs(monitored.rate - plain.rate) / plain.rate < 0.02, "achieved \(monitored.rate)/s with the monitor, \(plain.rate)/s without")
        #expect(monitored.document.droppedArrivals == 0 && monitored.document.aggregate.failures == 0)
        let sources = try #require(monitored.document.monitor).sources
        #expect(sources.map(\.name) == ["postgres", "redis", "prometheus"])
        for source in sources {
            #expect(source.errors.count >= 8, "\(source.name): \(source.errors.count) error samples")
            #expect(source.series.isEmpty)
        }
        #expect(sources[1].errors.first?.message.contains("refused") == true, "\(sources[1].errors.first?.message ?? "")")
        #expect(sources[0].errors.contains { $0.message.contains("no answer within") }, "\(sources[0].errors.map(\.message))")
    }

    @Test func aPostgresPoolAtItsLimitAndAFullRedisWarn() async throws {
        let postgres = try await PostgresTestServer.start(maxConnections: 10)
        defer { Task { await postgres.destroy() } }
        let redis = try await RedisTestServer.start(password: nil)
        defer { Task { await redis.destroy() } }
        _ = try await redis.cli(["CONFIG", "SET", "maxmemory", "4mb"])
        _ = try await redis.cli(["CONFIG", "SET", "maxmemory-policy", "noeviction"])
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        defer { Task { try? await server.stop() } }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        // Connections held by the test: 7 of 10 (3 are reserved for superusers by default).
        let holder = ChildProcess("/bin/sh", ["-c", """
            for i in 1 2 3 4 5 6; do (echo "SELECT pg_sleep(4);" | PGPASSWORD=\(PostgresTestServer.password) \
            psql -h 127.0.0.1 -p \(postgres.port) -U \(PostgresTestServer.user) -d \(PostgresTestServer.database) -q >/dev/null 2>&1 &) ; done; sleep 5
            """])
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: {users: 2, spawn_rate: 100, duration: 9s}
            endpoints:
              - get /health
            abort: {grace: 0s, rules: ["rps > 0 over 8s"]}
            monitor:
              interval: 1s
              sources:
                - postgres: {url: "\(postgres.url)"}
                - redis: {url: "redis://127.0.0.1:\(redis.port)"}
            warnings: {db_connections: 60%}
            """, in: directory)
        // Redis filled past 80% of its maxmemory before the run.
        _ = try await redis.cli(["EVAL", "for i = 1, 3200 do redis.call('SET', 'k' .. i, string.rep('x', 1000)) end", "0"])
        try holder.start()
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--db", "history.sqlite"], directory: directory, timeout: 90)
        _ = await holder.wait(timeout: 20)

        #expect(run.stdout.contains("⚠ warning: Redis memory at"), "\(run.stdout)")
        #expect(run.stdout.contains("⚠ warning: database connections at the pool limit"), "\(run.stdout)")
        #expect(run.stdout.contains("✓ cleared: database connections at the pool limit"), "\(run.stdout)")
        let document = try ResultsDocument.load(from: "\(directory)/load_test_reports/results.json")
        let pool = try #require(document.warningSigns?.first { $0.key == "postgres.connections_used" })
        #expect(pool.end != nil)
        let monitored = try #require(document.monitor)
        #expect(monitored.sources.map(\.name) == ["postgres", "redis"])
        #expect(monitored.sources[0].series.contains { $0.metric == "connections_used" && $0.points.count >= 5 })

        // The rule that holds for any run with requests aborted it: the incident report says what PostgreSQL could tell.
        #expect(document.status == .aborted)
        let incident = try String(contentsOfFile: "\(directory)/load_test_reports/incident.md", encoding: .utf8)
        #expect(incident.contains("pg_stat_statements is not available"), "\(incident)")
        #expect(incident.contains("maxmemory_human:4.00M"), "\(incident)")
        #expect(!incident.contains(PostgresTestServer.password))

        // The history keeps them: `history show` lists the warning signs and the monitor's figures.
        let show = try await ChildProcess.run(TestSupport.binary, ["history", "show", "latest", "--db", "history.sqlite"],
                                              directory: directory)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("stopped    aborted: rps > 0 over 8s"), "\(show.stdout)")
        #expect(show.stdout.contains("warning signs during the run"), "\(show.stdout)")
        #expect(show.stdout.contains("database connections at the pool limit"))
        #expect(show.stdout.contains("monitor (every 1 s)") && show.stdout.contains("postgres connections_used: min"), "\(show.stdout)")
    }
}
