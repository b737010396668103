import Foundation
import Testing

@testable import LoadOpsKit

@Suite("Monitor configuration and `loadops monitor`")
struct MonitorConfigTests {
    @Test func theSectionReadsEveryKindOfSource() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", """
            allow_hosts: [db.staging.example.com]
            monitor:
              interval: 2s
              sources:
                - host
                - host: { name: data, disk_path: data }
                - postgres: { url: "postgres://app:pa55@db.staging.example.com:5433/app", password_env: APP_DB_PASSWORD }
                - redis: { url: redis://127.0.0.1:6379/2 }
                - prometheus:
                    url: http://127.0.0.1:9100/metrics
                    series: [process_cpu_seconds_total, { name: 'pool_in_use{pool="db"}', warn: "> 90%" }]
                - command: { name: queue_depth, run: "cat /tmp/depth" }
            """)
        let monitor = try folder.load().monitor
        #expect(monitor.interval == 2 && monitor.timeout == nil && monitor.effectiveTimeout == 2)
        #expect(monitor.sources.map(\.name) == ["host", "data", "postgres", "redis", "prometheus", "queue_depth"])
        #expect(monitor.sources[0].kind == .host(diskPath: "/"))
        // Relative to the configuration file's folder.
        #expect(monitor.sources[1].kind == .host(diskPath: folder.path + "/data"))
        guard case .postgres(let database, let variable) = monitor.sources[2].kind else {
            Issue.record("expected a postgres source, got \(monitor.sources[2].kind)")
            return
        }
        #expect(database.host == "db.staging.example.com" && database.port == 5433 && database.database == "app")
        #expect(variable == "APP_DB_PASSWORD")
        guard case .prometheus(let url, let series) = monitor.sources[4].kind else {
            Issue.record("expected a prometheus source, got \(monitor.sources[4].kind)")
            return
        }
        #expect(url == "http://127.0.0.1:9100/metrics")
        #expect(series == [
            PrometheusSeries(selector: "process_cpu_seconds_total", metric: "process_cpu_seconds_total"),
            PrometheusSeries(
                selector: "pool_in_use{pool=\"db\"}", metric: "pool_in_use", labels: ["pool": "db"],
                warn: MonitorWarnLevel(.greaterThan, 90)),
        ])
        #expect(monitor.sources[5].kind == .command("cat /tmp/depth"))
        #expect(monitor.kindsByName["data"] == "host" && monitor.kindsByName["queue_depth"] == "command")
        #expect(monitor.warnLevels == ["prometheus.pool_in_use{pool=\"db\"}": MonitorWarnLevel(.greaterThan, 90)])
    }

    @Test func configShowMasksPasswordsAndReadsBack() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", """
            monitor:
              interval: 10s
              timeout: 4s
              sources:
                - postgres: { url: "postgres://app:pa55word@127.0.0.1:5432/app" }
                - prometheus: { url: "http://scraper:t0ken@localhost:9100/metrics?api_key=k3y", series: [up] }
                - command: { name: depth, run: "echo 'it''s' 3" }
            """)
        let config = try folder.load()
        let shown = ConfigRenderer.yaml(config)
        #expect(!shown.contains("pa55word") && !shown.contains("t0ken") && !shown.contains("k3y"))
        #expect(shown.contains("postgres://app:***@127.0.0.1:5432/app"))
        #expect(shown.contains("http://scraper:***@localhost:9100/metrics?api_key=***"))
        try folder.write("shown.yml", shown)
        let reloaded = try folder.load(path: "shown.yml")
        #expect(reloaded.monitor == config.monitor.redacted())
        #expect(reloaded.monitor.effectiveTimeout == 4)
    }

    /// Each mistake names its line, column and field.
    @Test(arguments: [
        ("- postgress", "monitor.sources[0]", 4, 7, "unknown source kind \"postgress\"; expected one of host, postgres, redis, prometheus, command (did you mean \"postgres\"?)"),
        ("- postgres", "monitor.sources[0]", 4, 7, "a postgres source needs its settings"),
        ("- postgres: { url: \"postgres://u@127.0.0.1/db\", pasword_env: X }", "monitor.sources[0].postgres.pasword_env", 4, 53,
         "unknown key (did you mean \"password_env\"?)"),
        ("- redis: { url: \"redis://cache.example.com:6379\" }", "monitor.sources[0].redis.url", 4, 21,
         "refusing to monitor cache.example.com (redis://cache.example.com:6379)"),
        ("- command: { run: \"echo 1\" }", "monitor.sources[0].command", 4, 16, "a command source needs `name:`"),
        ("- prometheus: { url: http://127.0.0.1:9100/metrics, series: [\"up{job=x}\"] }", "monitor.sources[0].prometheus.series[0]", 4, 66,
         "expected a series name"),
        ("- prometheus: { url: http://127.0.0.1:9100/metrics, series: [{ name: up, warn: about 3 }] }",
         "monitor.sources[0].prometheus.series[0].warn", 4, 84, "expected a comparison such as \"> 0.9\""),
        ("- host\n    - host", "monitor.sources[1]", 5, 7, "two sources are named \"host\" (the other at line 4)"),
    ])
    func mistakesInTheSectionArePositioned(source: String, field: String, line: Int, column: Int, message: String) throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try #require(try folder.error(loading: "monitor:\n  interval: 5s\n  sources:\n    \(source)\n"))
        #expect(error.field == field)
        #expect(error.line == line && error.column == column, "\(error)")
        #expect(error.message.hasPrefix(message), "\(error.message)")
    }

    @Test func intervalAndTimeoutLimits() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let short = try #require(try folder.error(loading: "monitor:\n  interval: 10ms\n"))
        #expect(short.field == "monitor.interval" && short.message.hasPrefix("the interval must be at least 100ms"))
        let long = try #require(try folder.error(loading: "monitor:\n  interval: 1s\n  timeout: 2s\n"))
        #expect(long.field == "monitor.timeout" && long.message.hasPrefix("a sample's timeout must be at most the interval (1s)"))
        // A host in allow_hosts may be watched.
        #expect(try folder.error(loading: """
            allow_hosts: ["*.example.com"]
            monitor: { sources: [ redis: { url: "redis://cache.example.com" } ] }
            """) == nil)
    }

    /// The commented example `loadops init` writes works once uncommented.
    @Test func theInitTemplatesMonitorSectionLoads() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        var inSection = false
        let uncommented = ProjectInitializer.template.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("# monitor:") { inSection = true }
            if line.isEmpty { inSection = false }
            return inSection ? String(line.dropFirst(2)) : String(line)
        }
        try folder.write("loadops.yml", uncommented.joined(separator: "\n"))
        let monitor = try folder.load().monitor
        #expect(monitor.sources.map(\.name) == ["host", "postgres", "redis", "prometheus", "queue_depth"])
        #expect(monitor.interval == 5 && monitor.timeout == 3)
    }

    @Test func theCommandPrintsJSONLinesForTheDuration() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-monitor-command")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try """
            monitor:
              sources:
                - host
                - command: { name: depth, run: "echo 7" }
            """.write(toFile: folder + "/loadops.yml", atomically: true, encoding: .utf8)
        let started = Date()
        let result = try await ChildProcess.run(
            TestSupport.binary, ["monitor", "--duration", "2s", "--interval", "1s", "--json"], directory: folder, timeout: 20)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Date().timeIntervalSince(started) >= 2)
        let rounds = try result.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(rounds.map { $0["round"] as? Int } == [0, 1, 2])
        #expect(rounds.map { $0["elapsed"] as? Double } == [0, 1, 2])
        for (index, round) in rounds.enumerated() {
            let samples = try #require(round["samples"] as? [[String: Any]])
            #expect(samples.map { $0["source"] as? String } == ["host", "depth"])
            let host = try #require(samples[0]["readings"] as? [String: [String: Any]])
            #expect(host["memory"]?["unit"] as? String == "%")
            #expect((host["cpu"] != nil) == (index > 0))
            let depth = try #require(samples[1]["readings"] as? [String: [String: Any]])
            #expect(depth["value"]?["value"] as? Double == 7)
        }

        let text = try await ChildProcess.run(
            TestSupport.binary, ["monitor", "--duration", "1s", "--interval", "500ms"], directory: folder, timeout: 20)
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.contains("  host memory=") || $0.contains("  host cpu=") })
        #expect(lines.allSatisfy { $0.hasSuffix(" | depth value=7") })
    }

    @Test func theCommandRefusesNothingToMonitorAndBadFlags() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-monitor-command")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let empty = try await ChildProcess.run(TestSupport.binary, ["monitor", "--duration", "1s"], directory: folder, timeout: 20)
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("nothing to monitor: there is no loadops.yml here"))
        #expect(empty.stdout.isEmpty)

        try "monitor:\n  sources: [host]\n".write(toFile: folder + "/loadops.yml", atomically: true, encoding: .utf8)
        let fast = try await ChildProcess.run(TestSupport.binary, ["monitor", "--interval", "10ms"], directory: folder, timeout: 20)
        #expect(fast.status == 2)
        #expect(fast.stderr.contains("--interval: the interval must be at least 100ms"))

        try "monitor:\n  sources:\n    - redis: { url: \"redis://:secret@cache.example.com\" }\n"
            .write(toFile: folder + "/loadops.yml", atomically: true, encoding: .utf8)
        let refused = try await ChildProcess.run(TestSupport.binary, ["monitor"], directory: folder, timeout: 20)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("loadops.yml:3:21: monitor.sources[0].redis.url: refusing to monitor cache.example.com"))
        #expect(!refused.stderr.contains("secret"))
    }
}
