import Foundation
import Testing
@testable import LoadOpsKit

/// `loadops history trend` follows one configuration by default (that of the latest run), on a host and
/// in an environment when asked, and says which runs it left out; through the binary, on imported runs.
@Suite(.serialized) struct HistoryTrendScopeTests {
    /// Seven runs, imported in this order (so run ids 1-7), an hour apart except the last, which started first:
    /// 1, 3, 6 closed on :8000 in staging (one configuration); 2 and 7 open on :8000 in staging; 4 closed on
    /// :9000; 5 closed on :8000 in production.
    static func makeHistory() async throws -> String {
        let folder = try HistoryFixture.folder()
        let runs: [(hours: Double, model: LoadModel, port: Int, environment: String)] = [
            (0, .closed, 8000, "staging"), (1, .open, 8000, "staging"), (2, .closed, 8000, "staging"),
            (3, .closed, 9000, "staging"), (4, .closed, 8000, "production"), (5, .closed, 8000, "staging"),
            (-1, .open, 8000, "staging"),
        ]
        var files: [String] = []
        for (index, run) in runs.enumerated() {
            let result = HistoryFixture.run(start: HistoryFixture.baseTime.addingTimeInterval(run.hours * 3600),
                                            scale: Double(index + 1), model: run.model, host: "http://127.0.0.1:\(run.port)")
            var document = ResultsDocument.make(from: result)
            document.environment = run.environment
            document.config.environment = run.environment
            let file = "run\(index + 1).json"
            try document.encoded().write(to: URL(fileURLWithPath: "\(folder)/\(file)"))
            files.append(file)
        }
        let imported = try await ChildProcess.run(TestSupport.binary, ["import"] + files, directory: folder)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported run7.json as run 7"), "\(imported.stdout)")
        return folder
    }

    static func trend(_ arguments: [String], in folder: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await ChildProcess.run(TestSupport.binary, ["history", "trend"] + arguments, directory: folder, timeout: 30)
    }

    /// The run ids of the table, top to bottom (the rows between the rule under the header and the blank line).
    static func runIDs(_ output: String) -> [Int] {
        let lines = output.components(separatedBy: "\n")
        guard let rule = lines.firstIndex(where: { $0.hasPrefix("──") }) else { return [] }
        return lines[(rule + 1)...].prefix { !$0.isEmpty }.compactMap { line in
            line.split(separator: " ").first.flatMap { Int($0) }
        }
    }

    @Test func byDefaultOnlyRunsWithTheLatestRunsConfigurationAreShown() async throws {
        let folder = try await Self.makeHistory()
        defer { try? FileManager.default.removeItem(atPath: folder) }

        // Run 6 is the latest by start time (run 7 was imported last but started first).
        let standard = try await Self.trend([], in: folder)
        #expect(standard.status == 0, "\(standard.stderr)")
        #expect(Self.runIDs(standard.stdout) == [1, 3, 6], "\(standard.stdout)")
        #expect(standard.stdout.hasPrefix("""
            p95 of all endpoints (Aggregated), last 3 runs with the configuration of run 6, the latest
            configuration: host http://127.0.0.1:8000, environment staging, closed model 5 users, spawn rate 5/s, 2 endpoints
            4 runs with 3 other configurations left out (they differ in environment, host, model, rate, spawn rate, users): \
            --all-configurations shows them

            """), "\(standard.stdout)")
        #expect(!standard.stdout.contains("Config"))

        let everything = try await Self.trend(["--all-configurations"], in: folder)
        #expect(everything.status == 0, "\(everything.stderr)")
        #expect(Self.runIDs(everything.stdout) == [7, 1, 2, 3, 4, 5, 6], "\(everything.stdout)")
        #expect(everything.stdout.hasPrefix("p95 of all endpoints (Aggregated), last 7 runs, 4 configurations (column Config)\n\n"),
                "\(everything.stdout)")
        #expect(!everything.stdout.contains("left out"))
        // The Config column holds the fingerprint's first digits, as `history show` prints it whole.
        let show = try await ChildProcess.run(TestSupport.binary, ["history", "show", "4"], directory: folder, timeout: 30)
        let fingerprint = try #require(show.stdout.components(separatedBy: "\n").first { $0.hasPrefix("config ") }?
            .split(separator: " ").dropFirst().first.map { String($0.prefix(8)) })
        let rowOfRun4 = try #require(everything.stdout.components(separatedBy: "\n").first { $0.hasPrefix(" 4  ") })
        #expect(rowOfRun4.hasSuffix("  " + fingerprint), "\(rowOfRun4) vs \(show.stdout)")

        // --last counts the runs shown; what is left out is what --all-configurations would show instead.
        let lastTwo = try await Self.trend(["--last", "2"], in: folder)
        #expect(Self.runIDs(lastTwo.stdout) == [3, 6], "\(lastTwo.stdout)")
        #expect(lastTwo.stdout.contains("\n1 run with another configuration left out (it differs in environment): --all-configurations shows it\n"),
                "\(lastTwo.stdout)")

        let openModel = try await Self.trend(["--config-of", "2", "--metric", "rps"], in: folder)
        #expect(openModel.status == 0, "\(openModel.stderr)")
        #expect(Self.runIDs(openModel.stdout) == [7, 2], "\(openModel.stdout)")
        #expect(openModel.stdout.hasPrefix("rps of all endpoints (Aggregated), last 2 runs with the configuration of run 2\n"
            + "configuration: host http://127.0.0.1:8000, environment staging, open model 20 req/s, up to "), "\(openModel.stdout)")
        #expect(openModel.stdout.contains("\n5 runs with 3 other configurations left out"), "\(openModel.stdout)")

        let previous = try await Self.trend(["--config-of", "previous"], in: folder)
        #expect(previous.status == 0, "\(previous.stderr)")
        #expect(Self.runIDs(previous.stdout) == [5], "\(previous.stdout)")
        #expect(previous.stdout.contains("configuration: host http://127.0.0.1:8000, environment production, closed model"))
    }

    @Test func hostAndEnvironmentNarrowTheRunsAndTheConfiguration() async throws {
        let folder = try await Self.makeHistory()
        defer { try? FileManager.default.removeItem(atPath: folder) }

        // The only run on :9000 is the latest there, so its configuration is followed, and nothing is left out.
        let otherHost = try await Self.trend(["--host", "http://127.0.0.1:9000/", "--endpoint", "/items"], in: folder)
        #expect(otherHost.status == 0, "\(otherHost.stderr)")
        #expect(Self.runIDs(otherHost.stdout) == [4], "\(otherHost.stdout)")
        #expect(otherHost.stdout.hasPrefix(
            "p95 of endpoint /items, last 1 run on host http://127.0.0.1:9000/ with the configuration of run 4, the latest\n"
            + "configuration: host http://127.0.0.1:9000,"), "\(otherHost.stdout)")
        #expect(!otherHost.stdout.contains("left out"))

        // A bare host:port matches any scheme; runs elsewhere are neither shown nor counted as left out.
        let bare = try await Self.trend(["--host", "127.0.0.1:8000"], in: folder)
        #expect(bare.status == 0, "\(bare.stderr)")
        #expect(Self.runIDs(bare.stdout) == [1, 3, 6], "\(bare.stdout)")
        #expect(bare.stdout.contains("\n3 runs with 2 other configurations left out (they differ in environment, model, rate, spawn rate, users): "
                                    + "--all-configurations shows them\n"),
                "\(bare.stdout)")

        let production = try await Self.trend(["--environment", "production"], in: folder)
        #expect(production.status == 0, "\(production.stderr)")
        #expect(Self.runIDs(production.stdout) == [5], "\(production.stdout)")
        #expect(production.stdout.hasPrefix("p95 of all endpoints (Aggregated), last 1 run in environment production "
            + "with the configuration of run 5, the latest\n"), "\(production.stdout)")

        let both = try await Self.trend(["--host", "127.0.0.1:8000", "--environment", "production"], in: folder)
        #expect(Self.runIDs(both.stdout) == [5], "\(both.stdout)")

        // Names differing only in case find the environment.
        let staging = try await Self.trend(["--environment", "STAGING", "--all-configurations"], in: folder)
        #expect(staging.status == 0, "\(staging.stderr)")
        #expect(Self.runIDs(staging.stdout) == [7, 1, 2, 3, 4, 6], "\(staging.stdout)")
        #expect(staging.stdout.hasPrefix("p95 of all endpoints (Aggregated), last 6 runs in environment STAGING, 3 configurations"),
                "\(staging.stdout)")

        let oneConfiguration = try await Self.trend(["--host", "127.0.0.1:9000", "--all-configurations"], in: folder)
        #expect(oneConfiguration.stdout.hasPrefix("p95 of all endpoints (Aggregated), last 1 run on host 127.0.0.1:9000, any configuration\n"),
                "\(oneConfiguration.stdout)")
        #expect(!oneConfiguration.stdout.contains("Config"))
    }

    @Test func unknownRunsHostsAndEnvironmentsExitWith2() async throws {
        let folder = try await Self.makeHistory()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let refusals: [(arguments: [String], message: String)] = [
            (["--config-of", "42"], "has no run 42 (`loadops history` lists the runs)"),
            (["--config-of", "soon"], "cannot find results \"soon\": expected a run id, `latest` or `previous`"),
            (["--config-of", "2", "--all-configurations"], "--config-of and --all-configurations contradict each other"),
            (["--config-of", "4", "--host", "127.0.0.1:8000"],
             "--config-of names run 4 (host http://127.0.0.1:9000, environment staging), which --host 127.0.0.1:8000 leaves out"),
            (["--config-of", "5", "--environment", "staging"],
             "--config-of names run 5 (host http://127.0.0.1:8000, environment production), which --environment staging leaves out"),
            (["--host", "http://127.0.0.1:7000"],
             "no recorded run has host \"http://127.0.0.1:7000\" (hosts in the history: http://127.0.0.1:8000, http://127.0.0.1:9000)"),
            (["--host", "https://127.0.0.1:8000"], "no recorded run has host \"https://127.0.0.1:8000\""),
            (["--host", ""], "--host needs a value, found an empty one"),
            (["--environment", "qa"], "no recorded run has environment \"qa\" (environments in the history: production, staging)"),
            (["--host", "127.0.0.1:9000", "--environment", "production"],
             "no recorded run has both host \"127.0.0.1:9000\" and environment \"production\""),
        ]
        for refusal in refusals {
            let result = try await Self.trend(refusal.arguments, in: folder)
            #expect(result.status == 2, "\(refusal.arguments): \(result.status) \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains(refusal.message), "\(refusal.arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(refusal.arguments): \(result.stdout)")
        }
    }

    @Test func anEmptyHistoryHasNoTrendButAnUnknownRunIsStillAnError() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try HistoryStore.open(path: folder + "/history.sqlite")
        let empty = try store.trend(metric: .p95, scope: TrendScope(host: "127.0.0.1", configuration: .latest))
        #expect(empty.points.isEmpty && empty.configurationRunID == nil)
        #expect(HistoryReport.trend(empty, metric: .p95, endpoint: nil) == "no runs recorded yet\n")
        #expect(throws: HistoryError.runNotFound(path: store.path, runID: 3)) {
            try store.trend(metric: .p95, scope: TrendScope(configuration: .ofRun(3)))
        }
    }

    @Test func theSettingsTwoFingerprintsDifferInAreNamed() {
        let closed = ResultsDocument.make(from: HistoryFixture.run()).config
        var elsewhere = closed
        elsewhere.output = "/somewhere/else"
        elsewhere.source = "/other/loadops.yml"
        #expect(ConfigFingerprint.hash(elsewhere) == ConfigFingerprint.hash(closed))
        #expect(ConfigFingerprint.differences(closed, elsewhere).isEmpty)
        // The planned duration is part of the fingerprint: a shorter run of the same load is another configuration.
        var shorter = closed
        shorter.load.duration = 5
        shorter.thresholdsAreDefault = !(closed.thresholdsAreDefault ?? false)
        #expect(ConfigFingerprint.hash(shorter) != ConfigFingerprint.hash(closed))
        #expect(ConfigFingerprint.differences(closed, shorter) == ["duration", "thresholds"])
        let open = ResultsDocument.make(from: HistoryFixture.run(model: .open, host: "http://127.0.0.1:9000")).config
        #expect(ConfigFingerprint.differences(closed, open) == ["host", "model", "rate", "spawn rate", "users"])
    }

    @Test func hostsMatchByURLOrByBareHostAndPort() {
        let stored = "http://user:***@Staging.Example.com:8080/api/"
        for given in ["http://staging.example.com:8080/api", "HTTP://STAGING.example.com:8080/api/", "staging.example.com",
                      "staging.example.com:8080", "staging.example.com.", "staging.example.com:8080/api"] {
            #expect(TrendHost.stored(stored, matches: given), "\(given)")
        }
        for given in ["https://staging.example.com:8080/api", "http://staging.example.com/api", "http://staging.example.com:8080",
                      "staging.example.com:8081", "example.com", "staging.example.com:8080/other"] {
            #expect(!TrendHost.stored(stored, matches: given), "\(given)")
        }
        #expect(TrendHost.stored("http://example.com", matches: "http://example.com:80/"))
        #expect(TrendHost.stored("https://example.com", matches: "example.com:443"))
        #expect(TrendHost.stored("http://[::1]:8000", matches: "[::1]:8000"))
        #expect(!TrendHost.stored("http://[::1]:8000", matches: "[::1]:9000"))
    }
}
