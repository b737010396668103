import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit
#if canImport(Glibc)
import Glibc
#endif

/// The Locust engine through the built binary: a real Locust (master and worker processes) on
/// loopback against the built-in target and nginx, and imports of results made by Locust and k6.
@Suite(.serialized) struct LocustEngineTests {
    private func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Polls `path` until it holds a line containing `marker`; returns that line.
    private func waitForLine(containing marker: String, in path: String, timeout: Double) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let line = text.split(separator: "\n").first(where: { $0.contains(marker) }) {
                return String(line)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("no line with \"\(marker)\" in \(path) within \(timeout) s")
    }

    /// The PIDs whose parent is `parent` (from /proc), with their command lines.
    private func children(of parent: Int32) -> [(pid: Int32, command: String)] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.compactMap { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[1]) == parent else { return nil }
            let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")))
                .map { String(decoding: $0.map { $0 == 0 ? 32 : $0 }, as: UTF8.self) } ?? ""
            return (pid, command)
        }
    }

    /// True while `pid` is a live (not zombie) process running Locust.
    private func isLocustAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")))
            .map { String(decoding: $0, as: UTF8.self) } ?? ""
        return state != "Z" && command.contains("locust")
    }

    // MARK: - (a) distributed on loopback

    @Test func distributedRunOnLoopbackCountsWhatTheTargetCounts() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory("locust-distributed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: { users: 4, spawn_rate: 4, duration: 5s, think_time: 10ms-20ms }
            endpoints:
              - get /health
              - "get /sessions/{uuid}"
            """, to: "\(directory)/loadops.yml")
        let port = TestSupport.freePort()
        let run = ChildProcess(TestSupport.binary, [
            "run", "--engine", "locust", "--workers", "1", "--expect-workers", "1", "--master-bind", "127.0.0.1:\(port)",
            "--db", "history.sqlite", "--output", "out",
        ], directory: directory)
        try run.start()
        // The second worker is started as the operator would on another machine: with the command loadops printed.
        let printed = try await waitForLine(containing: "loadops worker --master", in: "\(directory)/out/load_test.log", timeout: 30)
        let start = try #require(printed.range(of: "loadops worker")).lowerBound
        let command = String(printed[start...])
        #expect(command == "loadops worker --master 127.0.0.1:\(port)")
        let arguments = command.split(separator: " ").dropFirst().map(String.init)
        let worker = ChildProcess(TestSupport.binary, arguments, directory: directory)
        try worker.start()
        let finished = await run.wait(timeout: 90)
        let workerFinished = await worker.wait(timeout: 20)
        let served = server.counts().total
        try await server.stop()

        #expect(finished.status == 0, "stdout: \(finished.stdout)\nstderr: \(finished.stderr)")
        #expect(workerFinished.status == 0, "worker: \(workerFinished.stdout) \(workerFinished.stderr)")
        let document = try ResultsDocument.load(from: "\(directory)/out/results.json")
        #expect(document.engine == "locust")
        #expect(document.aggregate.requests > 0)
        #expect(Int(document.aggregate.requests) == served, "the target served \(served), results.json says \(document.aggregate.requests)")
        #expect(document.endpoints.map(\.requests).reduce(0, +) == document.aggregate.requests)
        #expect(document.peakUsers == 4)
        #expect(!document.timeSeries.isEmpty)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/out/locustfile.py"))
        let history = try await ChildProcess.run(TestSupport.binary, ["history", "show", "latest", "--db", "history.sqlite"],
                                                 directory: directory)
        #expect(history.stdout.contains("engine     locust"), "history: \(history.stdout)")
        let stored = try HistoryStore.open(path: "\(directory)/history.sqlite").document(runID: 1)
        #expect(stored.engine == "locust")
        #expect(stored.aggregate.requests == document.aggregate.requests)
    }

    // MARK: - (b) the same scenario on both engines

    @Test func sameScenarioOnBothEnginesGivesTheSameSharesAuthenticated() async throws {
        let pairs = [("9f1c2d3e4b5a69788796a5b4c3d2e1f0", "0e1d2c3b4a596877"), ("a1b2c3d4e5f60718293a4b5c6d7e8f90", "f0e1d2c3b4a59687")]
        let nginx = try NginxServer(basicAuthUsers: pairs)
        try await nginx.waitUntilReady()
        let directory = try TestSupport.temporaryDirectory("locust-same-scenario")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write(pairs.map { "\($0.0):\($0.1)" }.joined(separator: "\n") + "\n", to: "\(directory)/keys.creds")
        // nginx answers a POST to a static file with 405, after checking the credentials (a 401 comes first).
        try write("""
            host: http://127.0.0.1:\(nginx.port)
            load: { users: 4, spawn_rate: 4, duration: 4s }
            endpoints:
              - name: status
                method: GET
                path: /private/status
                weight: 1
              - name: session
                method: GET
                path: /private/sessions/{uuid}
                weight: 2
              - name: check in
                method: POST
                path: /private/checkin/{uuid}
                body: { patient: "{int:1-100}", source: loadops }
                weight: 3
                expect: [200, 405]
            credentials: { file: keys.creds }
            """, to: "\(directory)/loadops.yml")
        let builtin = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history", "--output", "builtin"],
                                                 directory: directory, timeout: 60)
        let locust = try await ChildProcess.run(TestSupport.binary, ["run", "--engine", "locust", "--no-history", "--output", "locust"],
                                                directory: directory, timeout: 90)
        await nginx.stop()
        #expect(builtin.status == 0, "builtin: \(builtin.stdout) \(builtin.stderr)")
        #expect(locust.status == 0, "locust: \(locust.stdout) \(locust.stderr)")
        let first = try ResultsDocument.load(from: "\(directory)/builtin/results.json")
        let second = try ResultsDocument.load(from: "\(directory)/locust/results.json")
        #expect(first.endpoints.map { "\($0.method) \($0.name)" } == second.endpoints.map { "\($0.method) \($0.name)" })
        #expect(second.endpoints.map(\.name) == ["status", "session", "check in"])
        for document in [first, second] {
            #expect(document.aggregate.requests > 100)
            #expect(document.aggregate.failures == 0, "\(document.failures)")
            #expect(document.aggregate.failuresByKind["http_401"] == nil)
        }
        for (index, expected) in [1.0 / 6, 2.0 / 6, 3.0 / 6].enumerated() {
            let builtinShare = Double(first.endpoints[index].requests) / Double(first.aggregate.requests)
            let locustShare = Double(second.endpoints[index].requests) / Double(second.aggregate.requests)
            #expect(abs(builtinShare - locustShare) < 0.05, "\(first.endpoints[index].name): \(builtinShare) against \(locustShare)")
            #expect(abs(locustShare - expected) < 0.05)
        }
        // The generated file reads the credentials where Locust runs: no secret is written into it.
        let locustfile = try String(contentsOfFile: "\(directory)/locust/locustfile.py", encoding: .utf8)
        for (_, secret) in pairs { #expect(!locustfile.contains(secret)) }
        #expect(locustfile.contains("fill('{\"patient\":\"{int:1-100}\",\"source\":\"loadops\"}')"))
    }

    // MARK: - (c) the open model's per-endpoint rates

    @Test func openModelRatesPerMinuteAreReportedAgainstTheirTargets() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory("locust-open-model")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The check-in API's load profile, in requests per minute.
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: { model: open, duration: 8s }
            endpoints:
              - "get /sessions/{uuid}": 3005/min
              - name: post /sessions
                method: POST
                path: /sessions/{uuid}
                rate: 3005/min
              - "get /patient_checkin/{uuid}": 588/min
              - name: post /patient_checkin
                method: POST
                path: /patient_checkin/{uuid}
                rate: 588/min
              - "get /pre_checkin/{uuid}": 2417/min
              - name: post /pre_checkin
                method: POST
                path: /pre_checkin/{uuid}
                rate: 2417/min
            """, to: "\(directory)/loadops.yml")
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--engine", "locust", "--no-history", "--output", "out"],
                                             directory: directory, timeout: 90)
        try await server.stop()
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("note: Locust has no open model"))
        #expect(run.stdout.contains("Open model on Locust: achieved rate per endpoint against its target"))
        let document = try ResultsDocument.load(from: "\(directory)/out/results.json")
        let warning = try #require(document.warnings.first { $0.hasPrefix("open model approximated on Locust") })
        let targets: [String: Double] = ["/sessions/{uuid}": 3005, "post /sessions": 3005, "/patient_checkin/{uuid}": 588,
                                         "post /patient_checkin": 588, "/pre_checkin/{uuid}": 2417, "post /pre_checkin": 2417]
        for endpoint in document.endpoints {
            let target = try #require(targets[endpoint.name])
            #expect(warning.contains("\(endpoint.method) \(endpoint.name) "), "\(warning)")
            #expect(warning.contains("of \(Int(target))/min"))
            let achieved = Double(endpoint.requests) / document.durationSeconds * 60
            #expect(abs(achieved - target) / target < 0.2, "\(endpoint.name): \(achieved)/min against \(target)/min")
        }
    }

    // MARK: - (d) Ctrl-C during a distributed run

    @Test func interruptDuringDistributedRunLeavesNoLocustBehind() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory("locust-interrupt")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: { users: 4, spawn_rate: 4, duration: 60s, think_time: 10ms-20ms }
            endpoints: [get /health]
            """, to: "\(directory)/loadops.yml")
        let run = ChildProcess(TestSupport.binary, ["run", "--engine", "locust", "--workers", "2", "--no-history", "--output", "out"],
                               directory: directory)
        try run.start()
        let deadline = Date().addingTimeInterval(40)
        while server.counts().total < 50 && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(server.counts().total >= 50, "the load never started")
        let locusts = children(of: run.pid).filter { $0.command.contains("locust") }
        #expect(locusts.count == 3, "a master and two workers: \(locusts)")
        run.signal(SIGINT)
        let finished = await run.wait(timeout: 40)
        try await server.stop()
        #expect(finished.status == 130, "\(finished.stdout) \(finished.stderr)")
        for process in locusts { #expect(!isLocustAlive(process.pid), "still running: \(process)") }
        let document = try ResultsDocument.load(from: "\(directory)/out/results.json")
        #expect(document.status == .interrupted)
        #expect(document.aggregate.requests > 0)
    }

    // MARK: - (e) imports

    @Test func importsK6SummariesInBothFormats() async throws {
        let directory = try TestSupport.temporaryDirectory("k6-import")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fixtures = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/k6").path
        let export = try K6SummaryImporter.document(path: "\(fixtures)/summary-export.json")
        #expect(export.tool == "k6")
        #expect(export.aggregate.requests == 1200)
        #expect(export.aggregate.failures == 12)
        #expect(export.successRate == 99)
        #expect(export.p95Latency == 215.95)
        #expect(export.aggregate.percentiles[.p50] == 110.47)
        #expect(export.aggregate.percentiles[.p90] == 203.54)
        #expect(export.aggregate.percentiles[.p99] == 512.3)
        #expect(export.aggregate.maxMs == 1140.2)
        #expect(export.durationSeconds == 30.0125)
        #expect(export.peakUsers == 20)
        #expect(export.timeSeries.isEmpty)
        let handled = try K6SummaryImporter.document(path: "\(fixtures)/handle-summary.json")
        #expect(handled.aggregate.requests == 500)
        #expect(handled.aggregate.failures == 20)
        #expect(handled.p95Latency == 80.9)
        #expect(handled.aggregate.meanMs == 35.2)
        #expect(handled.peakUsers == 10)

        let imported = try await ChildProcess.run(TestSupport.binary, [
            "import", "\(fixtures)/summary-export.json", "\(fixtures)/handle-summary.json", "--db", "history.sqlite",
        ], directory: directory)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("as run 1") && imported.stdout.contains("as run 2"))
        #expect(imported.stdout.contains("no per-second series"))
        let store = try HistoryStore.open(path: "\(directory)/history.sqlite")
        #expect(try store.document(runID: 1).aggregate.requests == 1200)
        #expect(try store.document(runID: 2).p95Latency == 80.9)
        #expect(try store.run(id: 1)?.source == RunSource.importedK6Summary)

        try write("{\"metrics\": {\"http_reqs\": {\"count\": \"many\"}}}", to: "\(directory)/bad.json")
        let bad = try await ChildProcess.run(TestSupport.binary, ["import", "bad.json", "--db", "history.sqlite"], directory: directory)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("metrics.http_reqs.count"), "\(bad.stderr)")
    }

    @Test func importsTheCSVOfAPlainLocustRun() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory("locust-plain-csv")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            from locust import HttpUser, task, constant

            class Visitor(HttpUser):
                wait_time = constant(0.05)

                @task(3)
                def health(self):
                    self.client.get("/health")

                @task
                def missing(self):
                    self.client.get("/sessions/not-a-uuid", name="/sessions/[bad]")
            """, to: "\(directory)/plain_locustfile.py")
        let locust = try await ChildProcess.run("/usr/bin/env", [
            "python3", "-m", "locust", "-f", "plain_locustfile.py", "--headless", "-H", "http://127.0.0.1:\(server.port)",
            "-u", "2", "-r", "2", "-t", "3s", "--csv", "plain/run",
        ], directory: directory, timeout: 60)
        try await server.stop()
        #expect(FileManager.default.fileExists(atPath: "\(directory)/plain/run_stats.csv"), "\(locust.stderr)")
        let imported = try await ChildProcess.run(TestSupport.binary, ["import", "plain/run", "--db", "history.sqlite"],
                                                  directory: directory)
        #expect(imported.status == 0, "\(imported.stderr)")
        // The expected figures: the Aggregated row of Locust's own stats file.
        let table = try String(contentsOfFile: "\(directory)/plain/run_stats.csv", encoding: .utf8)
            .split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try #require(table.first)
        let aggregated = try #require(table.first { $0.count > 1 && $0[1] == "Aggregated" })
        func column(_ name: String) throws -> String { aggregated[try #require(header.firstIndex(of: name))] }
        let document = try HistoryStore.open(path: "\(directory)/history.sqlite").document(runID: 1)
        #expect(document.tool == "locust")
        #expect(document.aggregate.requests == UInt64(try column("Request Count")))
        #expect(document.aggregate.failures == UInt64(try column("Failure Count")))
        #expect(document.aggregate.failures > 0, "the bad session id gets 400s")
        #expect(document.p95Latency == Double(try column("95%")))
        #expect(document.endpoints.map(\.name).sorted() == ["/health", "/sessions/[bad]"])
        #expect(!document.timeSeries.isEmpty)
    }

    // MARK: - The generated file and the checks before a run

    @Test func locustfileCommandWritesTheScenarioWithoutSecrets() async throws {
        let directory = try TestSupport.temporaryDirectory("locustfile")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            host: https://127.0.0.1:8443
            insecure: true
            load:
              think_time: 1s-3s
              stages:
                - { duration: 10s, users: 5 }
                - { duration: 20s, users: 20, ramp: true }
            endpoints:
              - get /health
              - name: create
                method: POST
                path: /sessions/{uuid}
                headers: { X-Trace: "run-{seq}" }
                body: { n: "{int:1-9}" }
                weight: 2
                expect: [201]
            credentials: { bearer_env: LOADOPS_TEST_TOKEN }
            """, to: "\(directory)/loadops.yml")
        var environment = ProcessInfo.processInfo.environment
        environment["LOADOPS_TEST_TOKEN"] = "token-that-must-not-be-written"
        let made = try await ChildProcess.run(TestSupport.binary, ["locustfile", "--output", "scenario.py"],
                                              directory: directory, environment: environment)
        #expect(made.status == 0, "\(made.stderr)")
        let source = try String(contentsOfFile: "\(directory)/scenario.py", encoding: .utf8)
        #expect(source.hasPrefix("# Generated by loadops"))
        #expect(source.contains("from loadops.yml"))
        #expect(!source.contains("token-that-must-not-be-written"))
        #expect(source.contains("TOKEN_VARIABLE = \"LOADOPS_TEST_TOKEN\""))
        #expect(source.contains("insecure = True"))
        #expect(source.contains("wait_time = between(1, 3)"))
        #expect(source.contains("tasks = {get_health: 1, post_create: 2}"))
        #expect(source.contains("judge(response, (201,))"))
        #expect(source.contains("class LoadopsStages(LoadTestShape):"))
        #expect(source.contains("(20, 20, True),"))
        // Python itself accepts it, and Locust finds the users and the shape in it.
        let listed = try await ChildProcess.run("/usr/bin/env", ["python3", "-m", "locust", "-f", "scenario.py", "--list"],
                                                directory: directory, environment: environment, timeout: 60)
        #expect(listed.status == 0, "\(listed.stdout) \(listed.stderr)")
        #expect(listed.stdout.contains("Users"))
    }

    @Test func missingLocustIsOneClearMessageBeforeAnyLoad() async throws {
        let directory = try TestSupport.temporaryDirectory("locust-missing")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A PATH whose python3 has no Locust: a shell script standing in for the interpreter.
        try FileManager.default.createDirectory(atPath: "\(directory)/bin", withIntermediateDirectories: true)
        try write("#!/bin/sh\necho 'No module named locust' >&2\nexit 1\n", to: "\(directory)/bin/python3")
        chmod("\(directory)/bin/python3", 0o755)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "\(directory)/bin:/usr/bin:/bin"
        let run = try await ChildProcess.run(TestSupport.binary, [
            "run", "--engine", "locust", "--host", "http://127.0.0.1:9", "--duration", "1s", "--no-history",
        ], directory: directory, environment: environment)
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("python3 -m pip install locust"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/load_test_reports/results.json"))

        let misplaced = try await ChildProcess.run(TestSupport.binary, [
            "run", "--workers", "2", "--host", "http://127.0.0.1:9", "--duration", "1s", "--no-history",
        ], directory: directory)
        #expect(misplaced.status == 2)
        #expect(misplaced.stderr.contains("--engine locust"), "\(misplaced.stderr)")
    }
}
