import Foundation
import LoadTarget
import Testing

@testable import LoadOpsKit

/// Values too large for a run (a duration of 10^19 seconds, 2^63 users, a billion requests a
/// second) are refused with exit 2 naming the field and its limit, through the built binary as a
/// user meets them; and no configuration, however odd, makes loadops trap.
@Suite(.serialized) struct InputLimitsTests {
    private func binary(_ arguments: [String], in directory: String, environment: [String: String] = [:])
        async throws -> (status: Int32, stdout: String, stderr: String)
    {
        var merged = ProcessInfo.processInfo.environment
        merged["SWIFT_BACKTRACE"] = "enable=no"
        merged.merge(environment) { $1 }
        return try await ChildProcess.run(TestSupport.binary, arguments, directory: directory, environment: merged, timeout: 60)
    }

    @Test func hugeDurationIsBadInputInConfigShow() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shown = try await binary(["config", "show", "--duration", "10000000000000000000"], in: directory)
        #expect(shown.status == 2, "stderr: \(shown.stderr)")
        #expect(shown.stderr.contains("--duration: expected a duration > 0 and at most 30 days"), "\(shown.stderr)")
    }

    @Test func hugeDurationFailsBeforeTheLogIsTouched() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: "\(directory)/out", withIntermediateDirectories: true)
        try "the previous run's log\n".write(toFile: "\(directory)/out/load_test.log", atomically: true, encoding: .utf8)
        let run = try await binary(["run", "--host", "http://127.0.0.1:9", "--duration", "10000000000000000000",
                                    "--output", "out", "--no-history"], in: directory)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("--duration"))
        let log = try String(contentsOfFile: "\(directory)/out/load_test.log", encoding: .utf8)
        #expect(log == "the previous run's log\n", "load_test.log was rewritten: \(log)")
    }

    @Test func openModelRateAndDurationAreBounded() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let both = try await binary(["run", "--host", "http://127.0.0.1:9", "--model", "open", "--rate", "1000000000/s",
                                     "--duration", "10000000000", "--no-history"], in: directory)
        #expect(both.status == 2, "stderr: \(both.stderr)")
        #expect(both.stderr.contains("at most 30 days"), "\(both.stderr)")
        let rate = try await binary(["config", "show", "--model", "open", "--rate", "1000000000/s", "--duration", "10s"],
                                    in: directory)
        #expect(rate.status == 2)
        #expect(rate.stderr.contains("--rate: expected a rate > 0 and at most 10000000/s"), "\(rate.stderr)")
    }

    @Test(arguments: [
        ("load:\n  model: open\n  stages:\n    - {duration: 20000000000, rate: 0}\n",
         "load.stages[0].duration: expected a duration > 0 and at most 30 days"),
        ("load:\n  stages:\n    - {duration: 5s, users: 9223372036854775807}\n",
         "load.stages[0].users: expected a whole number from 0 to 1000000"),
        ("load:\n  stages:\n" + String(repeating: "    - {duration: 20d, users: 5}\n", count: 2),
         "load.stages: the stages add up to 960h; a run lasts at most 30 days"),
        ("load:\n  users: 1000001\n", "load.users: expected a whole number from 1 to 1000000"),
        ("endpoints:\n  - \"get /a\": 20000000/s\n", "expected a rate > 0 and at most 10000000/s"),
        ("load:\n  think_time: 1s-400d\n", "load.think_time: expected a duration such as 2s"),
        ("endpoints:\n  - { path: /a, weight: 1e300 }\n", "endpoints[0].weight: expected a number > 0 and at most 1000000"),
    ])
    func hugeValuesInTheFileAreBadInput(yaml: String, message: String) async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ("host: http://127.0.0.1:9\n" + yaml).write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let shown = try await binary(["config", "show"], in: directory)
        #expect(shown.status == 2, "stdout: \(shown.stdout) stderr: \(shown.stderr)")
        #expect(shown.stderr.contains("loadops.yml:"), "\(shown.stderr)")
        #expect(shown.stderr.contains(message), "\(shown.stderr)")
    }

    @Test func hugeChecklistTimeoutsAreBadInput() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: "\(directory)/checklists", withIntermediateDirectories: true)
        try "host: http://127.0.0.1:9\n".write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        try "timeout: 10000000000000000s\nchecks:\n  - { kind: command, command: 'true' }\n"
            .write(toFile: "\(directory)/checklists/preflight.yml", atomically: true, encoding: .utf8)
        try "steps:\n  - { kind: command, command: 'true', timeout: 10000000000000000s }\n"
            .write(toFile: "\(directory)/checklists/cleanup.yml", atomically: true, encoding: .utf8)
        let preflight = try await binary(["preflight"], in: directory)
        #expect(preflight.status == 2, "stderr: \(preflight.stderr)")
        #expect(preflight.stderr.contains("loadops preflight: error: checklists/preflight.yml:1:10: timeout: expected a duration > 0 and at most 30 days"),
                "\(preflight.stderr)")
        let cleanup = try await binary(["cleanup", "--yes"], in: directory)
        #expect(cleanup.status == 2, "stderr: \(cleanup.stderr)")
        #expect(cleanup.stderr.contains("steps[0].timeout: expected a duration > 0 and at most 30 days"), "\(cleanup.stderr)")
    }

    @Test func tooManyThreadsIsBadInput() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await binary(["run", "--host", "http://127.0.0.1:9", "--threads", "100000", "--duration", "1s",
                                    "--output", "out", "--no-history"], in: directory)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("--threads: expected a whole number from 1 to 1024"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/out/load_test.log"))
    }

    /// A results.json with an impossible figure is refused by `import` (exit 2, the field named);
    /// one that reached the history anyway (an older loadops) is still shown, not trapped on.
    @Test func importedFiguresAreCheckedAndStoredOnesNeverTrap() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await binary(["run", "--host", "http://127.0.0.1:\(server.port)", "--users", "2", "--duration", "1s",
                                    "--output", "out", "--no-history", "--quiet"], in: directory)
        try await server.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)")

        let results = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/out/results.json"))
        var json = try #require(try JSONSerialization.jsonObject(with: results) as? [String: Any])
        json["duration_seconds"] = 1e300
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: "\(directory)/huge.json"))
        let imported = try await binary(["import", "huge.json", "--db", "history.sqlite"], in: directory)
        #expect(imported.status == 2, "stdout: \(imported.stdout) stderr: \(imported.stderr)")
        #expect(imported.stderr.contains("huge.json: field `duration_seconds`: expected a number of seconds from 0 to 31622400"),
                "\(imported.stderr)")

        // What an earlier loadops could have stored: the same document, past the check.
        var document = try ResultsDocument.load(from: "\(directory)/out/results.json")
        document.durationSeconds = 1e300
        document.aggregate.maxMs = 1e300
        let store = try HistoryStore.open(path: "\(directory)/history.sqlite")
        _ = try store.record(imported: document, source: RunSource.importedResults)
        let shown = try await binary(["history", "show", "latest", "--db", "history.sqlite"], in: directory)
        #expect(shown.status == 0, "stderr: \(shown.stderr)")
        #expect(shown.stdout.contains("1e+300s"), "\(shown.stdout)")
        let listed = try await binary(["history", "--db", "history.sqlite"], in: directory)
        #expect(listed.status == 0, "stderr: \(listed.stderr)")
    }

    // MARK: no input traps

    /// Seeded random configurations (files, variables and flags), with huge, negative, NaN, infinite
    /// and oddly spelt values: each loads or is a `ConfigError`; one that loads also renders, plans
    /// and schedules without trapping. A trap would end the test process, so reaching the end is the check.
    @Test func noConfigurationTraps() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        var random = SeededRandom(seed: 0x10AD_0975)
        var loaded = 0
        var refused = 0
        for _ in 0..<1500 {
            let yaml = RandomConfig.yaml(&random)
            let environment = RandomConfig.environment(&random)
            let overrides = RandomConfig.overrides(&random)
            try folder.write("loadops.yml", yaml)
            let config: LoadOpsConfig
            do {
                config = try folder.load(environment: environment, overrides: overrides)
            } catch is ConfigError {
                refused += 1
                continue
            } catch {
                Issue.record("not a ConfigError: \(error)\n\(yaml)")
                continue
            }
            loaded += 1
            try exercise(config, yaml: yaml)
        }
        // Both outcomes must have been reached, or the generator of inputs is not doing its job.
        #expect(loaded > 50, "only \(loaded) configurations loaded")
        #expect(refused > 50, "only \(refused) configurations were refused")
    }

    /// What a run does with a configuration before and while sending load, short of sending it.
    private func exercise(_ config: LoadOpsConfig, yaml: String) throws {
        _ = ConfigRenderer.yaml(config)
        let target = try TargetAddress(url: config.host)
        let plan = LoadPlan(target: target, endpoints: config.endpoints, load: config.load)
        do {
            try LoadGenerator.check(plan)
        } catch {
            // Too many connections for this machine's open-file limit is a refusal, not a trap.
        }
        #expect(plan.threads >= 1)
        switch config.load.model {
        case .open:
            guard let schedule = try? plan.arrivalSchedule() else { return }
            #expect(schedule.totalArrivals >= 0, "\(yaml)")
            for n in [0, 1, schedule.totalArrivals / 2, max(schedule.totalArrivals - 1, 0)] {
                #expect(schedule.time(ofArrival: n).isFinite, "\(yaml)")
            }
            _ = schedule.rate(at: config.load.plannedDuration / 2)
        case .closed:
            let users = UserCountSchedule(users: config.load.users, spawnRate: config.load.spawnRate, stages: config.load.stages)
            var current = 0.0
            for step in 0..<20 {
                current = users.next(current: current, elapsed: config.load.plannedDuration * Double(step) / 20, step: 0.05)
                #expect(current.isFinite && Int(exactly: current.rounded()) != nil, "\(yaml)")
            }
        }
    }
}

/// xorshift64*: the same inputs on every run, so a failure can be replayed.
struct SeededRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// Random pieces of a configuration: mostly good values of the right kind (so that many
/// configurations load and go on to be rendered and planned), sometimes bad ones, sometimes a
/// value of another kind altogether.
enum RandomConfig {
    static let goodNumbers = ["1", "2", "5", "10", "50", "100", "1000", "999999", "1000000", "0.5", "12.5"]
    static let badNumbers = [
        "0", "-1", "-3", "1000001", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "10000000000000000000", String(repeating: "9", count: 400), "1e300", "1e-300", ".5", "5.", "nan", ".nan", "NaN",
        "inf", ".inf", "-.inf", "Infinity", "0x10", "0o17", "1_000", "1e3", "''", "\"\"", "~", "true", "[1, 2]", "{a: 1}",
    ]
    static let goodDurations = ["30s", "10m", "1h30m", "500ms", "250us", "1.5h", "90", "30d", "720h", "2592000", "1 h 30 m", "1s"]
    static let badDurations = [
        "0", "0s", "-5s", "10 parsecs", "31d", "721h", "10000000000000000s", "20000000000", "1e19s", "inf s", "1h-1m",
        "5µs", "h", "s5", "2592001", String(repeating: "9", count: 400) + "s",
    ]
    static let goodRates = ["50/s", "3005/min", "7200/h", "12.5", "10000000/s", "1/s", "0.001"]
    static let badRates = [
        "0", "0/s", "10000001/s", "1000000000/s", "-5/s", "1/0", "5/fortnight", "/s", "1e9/s",
        String(repeating: "9", count: 400) + "/s", "nan/s",
    ]
    static let goodPaths = ["/", "/health", "/sessions/{uuid}", "/x/{seq}", "/i/{int:1-100}", "/i/{int:0-9223372036854775806}",
                            "/x?api_key=SECRET&page=2"]
    static let badPaths = ["/i/{int:9-1}", "/i/{int:0-9223372036854775807}", "/i/{int:-5-5}", "/x/{0}", "/x/{", "/x/{uid}",
                           "relative", "/a b", "/{int:1-99999999999999999999}"]

    /// Usually one of `good`, sometimes one of `bad`, now and then anything at all.
    static func value(_ good: [String], _ bad: [String], _ random: inout SeededRandom) -> String {
        switch random.below(100) {
        case 0..<88: return random.pick(good)
        case 88..<97: return random.pick(bad)
        default: return random.pick(random.pick([badNumbers, badDurations, badRates, goodNumbers, goodDurations, goodRates]))
        }
    }

    static func yaml(_ random: inout SeededRandom) -> String {
        var lines = ["host: http://127.0.0.1:8000"]
        if random.chance(30) { lines.append("environment: \(random.pick(["staging", "production-eu", "1e300"]))") }
        lines.append("load:")
        let open = random.chance(40)
        lines.append("  model: \(open ? "open" : random.chance(95) ? "closed" : "turbo")")
        if random.chance(50) { lines.append("  users: \(value(goodNumbers.filter { !$0.contains(".") }, badNumbers, &random))") }
        if random.chance(40) { lines.append("  spawn_rate: \(value(goodNumbers, badNumbers, &random))") }
        if random.chance(60) { lines.append("  duration: \(value(goodDurations, badDurations, &random))") }
        if random.chance(30) {
            lines.append("  think_time: \(value(goodDurations, badDurations, &random))-\(value(goodDurations, badDurations, &random))")
        }
        if open || random.chance(20) { lines.append("  rate: \(value(goodRates, badRates, &random))") }
        if random.chance(30) { lines.append("  max_connections: \(value(["1", "10", "1000", "1000000"], badNumbers, &random))") }
        if random.chance(30) { lines.append("  timeout: \(value(goodDurations, badDurations, &random))") }
        if random.chance(40) {
            lines.append("  stages:")
            for _ in 0..<(1 + random.below(3)) {
                var fields = ["duration: \(value(goodDurations, badDurations, &random))"]
                if !open || random.chance(10) { fields.append("users: \(value(["0", "1", "50", "1000000"], badNumbers, &random))") }
                if open || random.chance(10) { fields.append("rate: \(value(goodRates + ["0"], badRates, &random))") }
                if random.chance(30) { fields.append("ramp: \(random.chance(95) ? "true" : "maybe")") }
                lines.append("    - { \(fields.joined(separator: ", ")) }")
            }
        }
        if random.chance(70) {
            lines.append("endpoints:")
            for index in 0..<(1 + random.below(3)) {
                var fields = ["path: '\(value(goodPaths, badPaths, &random))'", "name: e\(index)"]
                if random.chance(30) { fields.append("method: \(random.chance(95) ? random.pick(["GET", "post"]) : "BREW")") }
                if random.chance(40) { fields.append("weight: \(value(goodNumbers, badNumbers, &random))") }
                if random.chance(30) { fields.append("rate: \(value(goodRates, badRates, &random))") }
                if random.chance(20) { fields.append("headers: { X-Id: '\(value(["{uuid}", "plain", "{int:1-5}"], ["{0}", "{int:3-2}"], &random))' }") }
                if random.chance(20) { fields.append("body: '{\"n\": \"\(value(["{seq}", "x"], ["{0}", "{int:3-2}"], &random))\"}'") }
                lines.append("  - { \(fields.joined(separator: ", ")) }")
            }
        }
        if random.chance(20) { lines.append("thresholds: { aggregate: ['p95 < \(value(goodDurations, badDurations, &random))'] }") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func environment(_ random: inout SeededRandom) -> [String: String] {
        var environment: [String: String] = [:]
        if random.chance(10) { environment["LOAD_TEST_DURATION_SECONDS"] = value(goodDurations, badDurations, &random) }
        if random.chance(10) { environment["LOAD_TEST_USERS_MAX"] = value(["1", "100"], badNumbers, &random) }
        if random.chance(10) { environment["LOAD_TEST_RATE"] = value(goodRates, badRates, &random) }
        if random.chance(10) { environment["LOAD_TEST_SPAWN_RATE"] = value(goodNumbers, badNumbers, &random) }
        return environment
    }

    static func overrides(_ random: inout SeededRandom) -> ConfigOverrides {
        var overrides = ConfigOverrides()
        if random.chance(10) { overrides.duration = value(goodDurations, badDurations, &random) }
        if random.chance(10) { overrides.usersMax = random.pick([1, 100, 1_000_000, 0, -1, 1_000_001, Int.max, Int.min]) }
        if random.chance(10) { overrides.spawnRate = random.pick([1, 50, 1e6, 0, -1, .nan, .infinity, 1e300, 1e-300]) }
        if random.chance(10) { overrides.rate = value(goodRates, badRates, &random) }
        if random.chance(5) { overrides.model = random.pick([.open, .closed]) }
        return overrides
    }
}
