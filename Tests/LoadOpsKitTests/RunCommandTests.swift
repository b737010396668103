import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// `loadops run` through the built binary, as a user runs it.
@Suite(.serialized) struct RunCommandTests {
    private func readJSON(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func runWritesResultsAndCountsMatchTheTarget() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        let config = """
            host: http://127.0.0.1:\(server.port)
            load:
              users: 5
              spawn_rate: 50
              duration: 2s
            endpoints:
              - get /sessions/{uuid}
              - "post /pre_checkin/{uuid}"
            """
        try config.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--output", "out"], directory: directory, timeout: 60)
        let counts = server.counts()
        try await server.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let results = try readJSON("\(directory)/out/results.json")
        #expect(results["status"] as? String == "completed")
        #expect(results["success_rate"] as? Double == 100)
        #expect((results["p95_latency"] as? Double ?? -1) >= 0)
        let stats = try String(contentsOfFile: "\(directory)/out/load_test_stats.csv", encoding: .utf8)
        let aggregated = try #require(stats.split(whereSeparator: \.isNewline).last { $0.hasPrefix(",Aggregated,") })
        let requests = Int(aggregated.split(separator: ",", omittingEmptySubsequences: false)[2])
        #expect(requests == counts.total)
        for file in ["load_test_stats_history.csv", "load_test_failures.csv", "load_test_exceptions.csv", "load_test.log"] {
            #expect(FileManager.default.fileExists(atPath: "\(directory)/out/\(file)"), "\(file) missing")
        }
        let log = try String(contentsOfFile: "\(directory)/out/load_test.log", encoding: .utf8)
        #expect(log.contains("loadops run: closed model, 5 users"))
        #expect(run.stdout.contains("Aggregated"))
    }

    @Test func initThenRunAgainstTheBuiltInTarget() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        let initialised = try await ChildProcess.run(TestSupport.binary, ["init"], directory: directory)
        #expect(initialised.status == 0, "stderr: \(initialised.stderr)")
        let run = try await ChildProcess.run(TestSupport.binary, [
            "run", "--host", "http://127.0.0.1:\(server.port)", "--duration", "2s", "--quiet",
        ], directory: directory, timeout: 60)
        let counts = server.counts()
        try await server.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let results = try readJSON("\(directory)/load_test_reports/results.json")
        let aggregate = try #require(results["aggregate"] as? [String: Any])
        #expect(aggregate["requests"] as? Int == counts.total)
        #expect(aggregate["failures"] as? Int == 0)
        #expect(run.stdout.isEmpty, "--quiet printed: \(run.stdout)")
    }

    @Test func credentialsFileIsSentAsBasicAuthAndNeverPrinted() async throws {
        // An ECS deployment's format: key:secret lines, as `ecsctl.sh creds` prints them.
        let pairs = [("b35ec3fd96564323898920d282c18bb6", "21023ce203851e7ec3eb1d25daf0fbcc"),
                     ("8d90c8aa5256454b974582c7f0c7fa76", "5668c4e0d53901b26b2e4af6a7229f7d")]
        let nginx = try NginxServer(basicAuthUsers: pairs)
        try await nginx.waitUntilReady()
        let directory = try TestSupport.temporaryDirectory()
        try pairs.map { "\($0.0):\($0.1)" }.joined(separator: "\n")
            .write(toFile: "\(directory)/htpasswd.creds", atomically: true, encoding: .utf8)
        let config = """
            host: http://127.0.0.1:\(nginx.port)
            load: { users: 4, spawn_rate: 100, duration: 1s }
            endpoints: ["get /private/{uuid}"]
            credentials: { file: htpasswd.creds }
            """
        try config.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let withCredentials = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history", "--output", "with"],
                                                         directory: directory, timeout: 60)
        try config.replacingOccurrences(of: "credentials: { file: htpasswd.creds }", with: "")
            .write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let without = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history", "--output", "without"],
                                                 directory: directory, timeout: 60)
        await nginx.stop()
        #expect(withCredentials.status == 0, "stderr: \(withCredentials.stderr)")
        #expect(without.status == 1, "every request got 401: no request succeeded: \(without.stderr)")
        #expect(without.stdout.contains("FAIL: no request succeeded"))
        let accepted = try ResultsDocument.load(from: "\(directory)/with/results.json")
        #expect(accepted.aggregate.requests > 0)
        #expect(accepted.aggregate.failures == 0)
        let refused = try ResultsDocument.load(from: "\(directory)/without/results.json")
        #expect(refused.aggregate.requests > 0)
        #expect(refused.aggregate.failuresByKind["http_401"] == refused.aggregate.requests)
        // The secrets appear nowhere loadops wrote or printed.
        var written = withCredentials.stdout + withCredentials.stderr
        for file in try FileManager.default.contentsOfDirectory(atPath: "\(directory)/with") {
            written += (try? String(contentsOfFile: "\(directory)/with/\(file)", encoding: .utf8)) ?? ""
        }
        for (_, secret) in pairs {
            #expect(!written.contains(secret))
        }
    }

    @Test func interruptSavesPartialResultsAndExits130() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        let child = ChildProcess(TestSupport.binary, [
            "run", "--host", "http://127.0.0.1:\(server.port)", "--users", "4", "--duration", "60s", "--output", "out",
        ], directory: directory)
        try child.start()
        try await Task.sleep(for: .seconds(3))
        child.signal(SIGINT)
        let finished = await child.wait(timeout: 15)
        try await server.stop()
        #expect(finished.status == 130, "stderr: \(finished.stderr)")
        let results = try readJSON("\(directory)/out/results.json")
        #expect(results["status"] as? String == "interrupted")
        let aggregate = try #require(results["aggregate"] as? [String: Any])
        #expect((aggregate["requests"] as? Int ?? 0) > 0)
        #expect((results["duration_seconds"] as? Double ?? 99) < 10)
    }

    @Test func badConfigIsExit2WithFileAndLine() async throws {
        let directory = try TestSupport.temporaryDirectory()
        try "host: http://127.0.0.1:1\nload:\n  users: -3\n".write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let run = try await ChildProcess.run(TestSupport.binary, ["run"], directory: directory)
        #expect(run.status == 2)
        #expect(run.stderr.contains("loadops.yml:3:"), "stderr: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/load_test_reports/results.json"))
    }

    @Test func missingExplicitBaselineIsExit2BeforeAnyLoad() async throws {
        let directory = try TestSupport.temporaryDirectory()
        let run = try await ChildProcess.run(TestSupport.binary, [
            "run", "--host", "http://127.0.0.1:9", "--duration", "1s", "--baseline", "baselines/typo.json",
        ], directory: directory)
        #expect(run.status == 2, "stderr: \(run.stderr)")
        #expect(run.stderr.contains("typo.json"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/load_test_reports/results.json"))
    }

    @Test func hostOutsideAllowHostsIsRefused() async throws {
        let directory = try TestSupport.temporaryDirectory()
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--host", "http://staging.example.com", "--duration", "1s"],
                                             directory: directory)
        #expect(run.status == 2)
        #expect(run.stderr.contains("allow_hosts"), "stderr: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/load_test_reports/results.json"))
    }
}
