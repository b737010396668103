import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// Flows written in loadops.yml, run by the binary against the built-in target (session memory,
/// logins), read back from what the run wrote. Serialized: load tests share two cores.
@Suite(.serialized) struct FlowEndToEndTests {
    private func write(_ config: String, in directory: String) throws {
        try config.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
    }

    private func readJSON(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The check-in flow as `loadops init` suggests it, against a target that remembers sessions: no
    /// step ever reads a session that was not created (the target answers no 404), and every figure
    /// is there per step and per flow.
    @Test func checkinFlowThroughTheBinary() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(rememberSessions: true))
        let directory = try TestSupport.temporaryDirectory()
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: { users: 4, spawn_rate: 100, duration: 2s }
            flows:
              - name: checkin
                vars: { id: "{uuid}" }
                steps:
                  - "post /sessions/{id}":
                      check: [{ status: 201 }]
                  - "get /sessions/{id}":
                      check: [{ json: $.id, equals: "{id}" }]
                  - "post /patient_checkin/{id}":
                      check: [{ status: 200, name: checked in }]
            thresholds:
              "flow checkin": ["p95 < 5s", "error_rate < 1%"]
              "GET /sessions/{id}": ["p95 < 5s"]
            """, in: directory)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        let counts = server.counts()
        try await server.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)\nstdout: \(run.stdout)")
        #expect(counts.byStatus[404] == nil)
        #expect(counts.sessions?.unknown == 0)

        let results = try readJSON("\(directory)/load_test_reports/results.json")
        let flows = try #require(results["flows"] as? [[String: Any]])
        let flow = try #require(flows.first)
        #expect(flow["name"] as? String == "checkin")
        let completed = try #require(flow["iterations_completed"] as? Int)
        #expect(completed > 20)
        #expect(flow["iterations_failed"] as? Int == 0)
        let endpoints = try #require(results["endpoints"] as? [[String: Any]])
        #expect(endpoints.compactMap { $0["name"] as? String }
                == ["POST /sessions/{id}", "GET /sessions/{id}", "POST /patient_checkin/{id}"])
        #expect(endpoints.last?["requests"] as? Int == completed)
        // Where the time went, per step.
        let phases = try #require(endpoints[0]["phases"] as? [String: Any])
        #expect(phases["time_to_first_byte"] != nil && phases["connect"] != nil)
        #expect(phases["tls_handshake"] == nil)

        let flowCSV = try String(contentsOfFile: "\(directory)/load_test_reports/load_test_flow_stats.csv", encoding: .utf8)
        #expect(flowCSV.hasPrefix("Flow,Iterations Started,Iterations Completed,Iterations Failed,"))
        #expect(flowCSV.contains("\ncheckin,"))
        let summary = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(summary.contains("## Flows"))
        #expect(run.stdout.contains("checkin"))
    }

    /// A failed check is a failure under the check's name: in the failures CSV, and against a
    /// threshold on the step, which then fails the run.
    @Test func failedCheckShowsByNameAndFailsTheStepThreshold() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(rememberSessions: true))
        let directory = try TestSupport.temporaryDirectory()
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: { users: 2, spawn_rate: 100, duration: 1s }
            flows:
              - name: wrong-status
                vars: { id: "{uuid}" }
                steps:
                  - "post /sessions/{id}":
                      name: create session
                      check: [{ status: 200, name: session answered 200 }]
                  - get /sessions/{id}
            thresholds:
              "create session": ["error_rate < 1%"]
            """, in: directory)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        let counts = server.counts()
        try await server.stop()
        #expect(run.status == 1, "stderr: \(run.stderr)")
        let failures = try String(contentsOfFile: "\(directory)/load_test_reports/load_test_failures.csv", encoding: .utf8)
        #expect(failures.contains("POST,create session,session answered 200,"))
        // The step after the failed check was never sent.
        #expect(counts.byRoute["GET /sessions/{id}"] == nil)
        let results = try readJSON("\(directory)/load_test_reports/results.json")
        let thresholds = try #require(results["thresholds"] as? [[String: Any]])
        #expect(thresholds.contains { $0["scope"] as? String == "create session" && $0["passed"] as? Bool == false })
    }

    /// Login with the accounts of a data file (one per user), the token from the answer's JSON sent
    /// on every later step; the passwords never reach what loadops writes.
    @Test func loginWithDataFileAccounts() async throws {
        let accounts = [TargetAccount(username: "alice", password: "s3cret-alice"),
                        TargetAccount(username: "bob", password: "s3cret-bob")]
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(accounts: accounts))
        let directory = try TestSupport.temporaryDirectory()
        try "username,password\nalice,s3cret-alice\nbob,s3cret-bob\n"
            .write(toFile: "\(directory)/accounts.csv", atomically: true, encoding: .utf8)
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: { users: 2, spawn_rate: 100, duration: 1s }
            flows:
              - name: login
                data: { file: accounts.csv, pick: per_user }
                vars: { id: "{uuid}" }
                steps:
                  - "post /login":
                      body: { username: "{username}", password: "{password}" }
                      check: [{ status: 200, name: logged in }]
                      extract: { token: $.token }
                  - "get /sessions/{id}":
                      headers: { Authorization: "Bearer {token}" }
                  - "post /pre_checkin/{id}":
                      headers: { Authorization: "Bearer {token}" }
            """, in: directory)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        let counts = server.counts()
        try await server.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)\nstdout: \(run.stdout)")
        #expect(counts.auth?.loginsAccepted ?? 0 > 10)
        #expect(counts.auth?.loginsRefused == 0)
        #expect(counts.auth?.requestsRefused == 0)
        var written = run.stdout + run.stderr
        for file in try FileManager.default.contentsOfDirectory(atPath: "\(directory)/load_test_reports") {
            written += (try? String(contentsOfFile: "\(directory)/load_test_reports/\(file)", encoding: .utf8)) ?? ""
        }
        #expect(!written.contains("s3cret"))
    }

    /// Open model: 600 iterations a minute for 20 s are 200 iterations, each step counted once per
    /// iteration that reached it.
    @Test func openModelFlowRunsItsScheduledIterations() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(rememberSessions: true))
        let directory = try TestSupport.temporaryDirectory()
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: { model: open, duration: 20s, max_connections: 50 }
            flows:
              - name: checkin
                rate: 600/min
                vars: { id: "{uuid}" }
                steps:
                  - "post /sessions/{id}": { check: [{ status: 201 }] }
                  - "get /sessions/{id}": { check: [{ json: $.id, equals: "{id}" }] }
                  - post /patient_checkin/{id}
            """, in: directory)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history", "--quiet"], directory: directory, timeout: 90)
        let counts = server.counts()
        try await server.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let results = try readJSON("\(directory)/load_test_reports/results.json")
        let flow = try #require((results["flows"] as? [[String: Any]])?.first)
        let started = try #require(flow["iterations_started"] as? Int)
        #expect(abs(started - 200) <= 2)
        #expect(flow["iterations_completed"] as? Int == started)
        let endpoints = try #require(results["endpoints"] as? [[String: Any]])
        #expect(endpoints.allSatisfy { $0["requests"] as? Int == started })
        #expect(counts.total == 3 * started)
        #expect(counts.byStatus[404] == nil)
    }

    /// A variable used but never set: exit 2 with the file, line and column, and nothing sent.
    @Test func badFlowIsRefusedBeforeAnythingIsSent() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        try write("""
            host: http://127.0.0.1:\(server.port)
            flows:
              - name: broken
                steps:
                  - get /sessions/{id}
            """, in: directory)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        let counts = server.counts()
        try await server.stop()
        #expect(run.status == 2)
        #expect(run.stderr.contains("loadops.yml:5:"), "stderr: \(run.stderr)")
        #expect(run.stderr.contains("{id}") && run.stderr.contains("never set"))
        #expect(counts.total == 0)
    }
}
