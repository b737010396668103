import Foundation
import LoadTarget
import Testing

@testable import LoadOpsKit

#if canImport(Glibc)
import Glibc
#endif

/// Runs checklist text against `config` and returns the report.
private func preflight(
    _ yaml: String, config: LoadOpsConfig = LoadOpsConfig(), environment: [String: String] = [:],
    workingDirectory: String = NSTemporaryDirectory()
) async throws -> PreflightReport {
    let checklist = try PreflightChecklistParser.parse(
        text: yaml, displayPath: "preflight.yml", config: config, environment: environment)
    return await PreflightRunner.run(checklist, displayPath: "preflight.yml", environment: environment, workingDirectory: workingDirectory)
}

private func only(_ report: PreflightReport) throws -> PreflightResult {
    guard report.results.count == 1, let result = report.results.first else {
        throw TestFailure("expected one result, got \(report.results.count)")
    }
    return result
}

@Suite("Preflight checklist parsing")
struct PreflightChecklistParsingTests {
    @Test func unknownKindPointsAtTheLineAndColumn() throws {
        let yaml = """
            checks:
              - name: API
                kind: htp
            """
        #expect {
            _ = try PreflightChecklistParser.parse(text: yaml, displayPath: "preflight.yml", config: LoadOpsConfig(), environment: [:])
        } throws: { error in
            let description = "\(error)"
            return description.hasPrefix("preflight.yml:3:11: checks[0].kind: unknown check kind \"htp\"")
                && description.contains("did you mean \"http\"")
        }
    }

    @Test func unknownKeyAndMissingURLAreConfigErrors() throws {
        let unknown = """
            - kind: disk
              warn: 80
            """
        #expect {
            _ = try PreflightChecklistParser.parse(text: unknown, displayPath: "p.yml", config: LoadOpsConfig(), environment: [:])
        } throws: { error in
            (error as? ConfigError)?.kind == .unknownKey && "\(error)".hasPrefix("p.yml:2:3: [0].warn: unknown key")
        }
        let missing = "- kind: postgres\n"
        #expect {
            _ = try PreflightChecklistParser.parse(text: missing, displayPath: "p.yml", config: LoadOpsConfig(), environment: [:])
        } throws: { error in
            "\(error)".contains("missing `url:`")
        }
    }

    @Test func aBadURLIsReportedWithoutItsPassword() throws {
        let yaml = """
            - kind: postgres
              url: mysql://root:hunter2@db/x
            """
        #expect {
            _ = try PreflightChecklistParser.parse(text: yaml, displayPath: "p.yml", config: LoadOpsConfig(), environment: [:])
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("p.yml:2:8: ") && !text.contains("hunter2") && text.contains("root:***@db")
        }
    }

    @Test func passwordsFromTheEnvironmentWinAndNeverPrint() throws {
        let yaml = """
            - kind: postgres
              url: postgres://devstack:in-url@127.0.0.1:5432/devstack
              password_env: DB_PASSWORD
            """
        let checklist = try PreflightChecklistParser.parse(
            text: yaml, displayPath: "p.yml", config: LoadOpsConfig(), environment: ["DB_PASSWORD": "from-env"])
        guard case .postgres(let endpoint, _) = checklist.checks[0].kind else {
            Issue.record("expected a postgres check")
            return
        }
        #expect(endpoint.password == "from-env")
        #expect(endpoint.user == "devstack" && endpoint.database == "devstack" && endpoint.port == 5432)
        for printed in ["\(checklist)", String(reflecting: checklist), "\(endpoint)"] {
            #expect(!printed.contains("from-env") && !printed.contains("in-url"), "\(printed)")
        }
        #expect("\(endpoint)" == "postgres://devstack:***@127.0.0.1:5432/devstack")
    }

    @Test func httpPathsJoinTheConfiguredHostAndDefaultsFollowTheGuide() throws {
        let yaml = """
            timeout: 3s
            checks:
              - kind: http
                path: /health
              - kind: disk
              - kind: memory
            """
        let checklist = try PreflightChecklistParser.parse(
            text: yaml, displayPath: "p.yml", config: LoadOpsConfig(host: "http://10.0.0.5:8000/"), environment: [:])
        #expect(checklist.checks.map(\.name) == ["API", "Disk space", "Memory"])
        #expect(checklist.checks[0].kind == .http(url: "http://10.0.0.5:8000/health", expectedStatus: [200], latencyBudget: nil))
        #expect(checklist.checks[1].kind == .disk(path: ".", warnPercent: 80, failPercent: nil))
        #expect(checklist.checks[2].kind == .memory(warnBelowMB: 1000, failBelowMB: nil))
        #expect(checklist.checks.allSatisfy { $0.timeout == 3 })
    }

    @Test func theInitTemplateParses() throws {
        let checklist = try PreflightChecklistParser.parse(
            text: ChecklistTemplates.preflightTemplate, displayPath: "preflight.yml", config: LoadOpsConfig(), environment: [:])
        #expect(checklist.checks.map(\.kind.name) == ["http", "postgres", "redis", "disk", "memory"])
    }
}

@Suite("Preflight checks against real services", .serialized)
struct PreflightServiceTests {
    @Test func postgresPassesWarnsAndFailsWithAClearReason() async throws {
        try await PostgresTestServer.with { server in
            let environment = ["DB_PASSWORD": PostgresTestServer.password]
            let healthy = try only(
                try await preflight(
                    """
                    - name: Database
                      kind: postgres
                      url: \(server.urlWithoutPassword)
                      password_env: DB_PASSWORD
                    """, environment: environment))
            #expect(healthy.status == .passed, "\(healthy.message)")
            #expect(healthy.message.hasPrefix("Database is ready (PostgreSQL "))
            #expect(healthy.message.contains("/20 connections"))
            #expect(healthy.details["max_connections"] == 20)

            // Headroom threshold crossed: 20 max connections, warn when fewer than 50 are free.
            let crowded = try only(
                try await preflight(
                    """
                    - kind: postgres
                      url: \(server.urlWithoutPassword)
                      password_env: DB_PASSWORD
                      warn_headroom: 50
                    """, environment: environment))
            #expect(crowded.status == .warning)
            #expect(crowded.message.contains("is near its connection limit"))

            let unset = try only(
                try await preflight(
                    """
                    - kind: postgres
                      url: \(server.urlWithoutPassword)
                      password_env: DB_PASSWORD
                    """))
            #expect(unset.status == .failed)
            #expect(unset.message.hasSuffix("(password_env DB_PASSWORD is not set)"), "\(unset.message)")

            // A password in the URL works too, and never shows.
            let report = try await preflight(
                """
                - kind: postgres
                  url: postgres://devstack:wrong-password@127.0.0.1:\(server.port)/devstack
                """)
            let wrong = try only(report)
            #expect(wrong.status == .failed)
            #expect(wrong.message == "Database is not ready: password authentication failed for user \"devstack\"")
            #expect(!report.text(strict: false).contains("wrong-password"))
            #expect(!report.json(strict: false).contains("wrong-password"))
            #expect(report.json(strict: false).contains("postgres://devstack:***@127.0.0.1"))

            await server.stop()
            let stopped = try only(
                try await preflight(
                    """
                    - kind: postgres
                      url: \(server.url)
                    """))
            #expect(stopped.status == .failed)
            #expect(stopped.message == "Database is not ready: connection refused (127.0.0.1:\(server.port))")
        }
    }

    @Test func redisPassesWarnsAndFailsWithAClearReason() async throws {
        try await RedisTestServer.with { server in
            let environment = ["REDIS_PASSWORD": server.password ?? ""]
            let checklist = """
                - kind: redis
                  url: \(server.url)/0
                  password_env: REDIS_PASSWORD
                """
            let healthy = try only(try await preflight(checklist, environment: environment))
            #expect(healthy.status == .passed, "\(healthy.message)")
            #expect(healthy.message.hasPrefix("Redis is ready (PONG"))

            // Threshold crossed: maxmemory just above what is used puts usage above 80%.
            let used = Int(try await server.cli(["INFO", "memory"]).split(whereSeparator: \.isNewline)
                .first { $0.hasPrefix("used_memory:") }?.dropFirst("used_memory:".count).trimmingCharacters(in: .whitespaces) ?? "") ?? 0
            #expect(used > 0)
            try await server.cli(["CONFIG", "SET", "maxmemory", String(used + used / 10)])
            let high = try only(try await preflight(checklist, environment: environment))
            #expect(high.status == .warning, "\(high.message)")
            #expect(high.message.contains("memory is high"))
            let full = try only(try await preflight(checklist + "\n  fail_percent: 85", environment: environment))
            #expect(full.status == .failed)
            #expect(full.message.contains("memory almost full"))
            try await server.cli(["CONFIG", "SET", "maxmemory", "0"])

            let wrong = try only(try await preflight(checklist, environment: ["REDIS_PASSWORD": "nope"]))
            #expect(wrong.status == .failed)
            #expect(wrong.message.hasPrefix("Redis is not responding: cannot log in: WRONGPASS"), "\(wrong.message)")
            let none = try only(try await preflight(checklist))
            #expect(none.status == .failed)
            #expect(none.message.contains("NOAUTH"), "\(none.message)")
            #expect(none.message.hasSuffix("(password_env REDIS_PASSWORD is not set)"), "\(none.message)")

            await server.stop()
            let stopped = try only(try await preflight(checklist, environment: environment))
            #expect(stopped.message == "Redis is not responding: connection refused (127.0.0.1:\(server.port))")
        }
    }

    @Test func httpChecksStatusAndLatencyBudget() async throws {
        let server = try await LoadTargetServer.start(behaviour: TargetBehaviour(latency: .fixed(.milliseconds(300))))
        let config = LoadOpsConfig(host: "http://127.0.0.1:\(server.port)")
        let port = server.port
        do {
            let report = try await preflight(
                """
                - kind: http
                  path: /health
                - name: Echo
                  kind: http
                  url: http://127.0.0.1:\(port)/echo
                  expect: [204]
                - name: Slow endpoint
                  kind: http
                  path: /anything
                  latency_budget: 50ms
                """, config: config)
            #expect(report.results.map(\.status) == [.passed, .failed, .warning], "\(report.results.map(\.message))")
            #expect(report.results[0].message.hasPrefix("API is healthy ("))
            #expect(report.results[1].message == "Echo is not responding: HTTP 200, expected 204 (http://127.0.0.1:\(port)/echo)")
            #expect(report.results[2].message.hasPrefix("Slow endpoint is slow ("))
        } catch {
            try await server.stop()
            throw error
        }
        try await server.stop()
        let stopped = try only(try await preflight("- kind: http\n  path: /health\n", config: config))
        #expect(stopped.message == "API is not responding: connection refused (127.0.0.1:\(port))")
    }

    /// The HTTP check's own client (SwiftNIO, not URLSession): certificates are checked, a user and
    /// password in the URL log in and are never shown, and the binary loads no libcurl.
    @Test func httpCheckOverTLSAndBasicAuthentication() async throws {
        let nginx = try NginxServer(tls: true, basicAuthUsers: [("probe", "s3cret-pw")])
        try await nginx.waitUntilReady()
        let tlsPort = try #require(nginx.tlsPort)
        let report = try await preflight(
            """
            - name: Private
              kind: http
              url: http://probe:s3cret-pw@127.0.0.1:\(nginx.port)/private/x
            - name: Wrong password
              kind: http
              url: http://probe:nope@127.0.0.1:\(nginx.port)/private/x
            - name: Self-signed
              kind: http
              url: https://127.0.0.1:\(tlsPort)/
            """)
        await nginx.stop()
        #expect(report.results.map(\.status) == [.passed, .failed, .failed], "\(report.results.map(\.message))")
        #expect(report.results[1].message.hasPrefix("Wrong password is not responding: HTTP 401, expected 200"))
        #expect(report.results[2].message.hasPrefix("Self-signed is not responding: TLS handshake failed: "), "\(report.results[2].message)")
        #expect(!report.results[2].message.contains("--insecure"))
        let shown = report.text(strict: false) + report.json(strict: false)
        #expect(!shown.contains("s3cret-pw") && !shown.contains("nope@"), "\(shown)")

        let linked = try await ChildProcess.run("/usr/bin/ldd", [TestSupport.binary])
        #expect(linked.status == 0)
        #expect(!linked.stdout.contains("libcurl"), "loadops links libcurl again: \(linked.stdout)")
    }

    @Test func tcpReachableAndRefused() async throws {
        try await RedisTestServer.with(password: nil) { server in
            let open = try only(try await preflight("- kind: tcp\n  address: 127.0.0.1:\(server.port)\n"))
            #expect(open.status == .passed)
            await server.stop()
            let closed = try only(try await preflight("- name: Cache port\n  kind: tcp\n  address: 127.0.0.1:\(server.port)\n"))
            #expect(closed.message == "Cache port is not reachable: connection refused (127.0.0.1:\(server.port))")
        }
    }

    /// A peer that accepts the connection but never answers: the check's own timeout must end it.
    @Test func aSilentServerFailsAtTheChecksTimeout() async throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        #expect(listen(fd, 8) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))

        let started = Date()
        let report = try await preflight(
            """
            - kind: postgres
              url: postgres://devstack:x@127.0.0.1:\(port)/devstack
              timeout: 500ms
            - kind: redis
              url: redis://127.0.0.1:\(port)
              timeout: 500ms
            """)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(report.results.map(\.message) == ["Database is not ready: timed out after 500ms", "Redis is not responding: timed out after 500ms"])
    }
}

@Suite("Preflight local checks", .serialized)
struct PreflightLocalTests {
    @Test func diskThresholds() async throws {
        let report = try await preflight(
            """
            - kind: disk
              path: /
              warn_percent: 100
            - kind: disk
              path: /
              warn_percent: 0
            - kind: disk
              path: /
              warn_percent: 0
              fail_percent: 0
            - kind: disk
              path: /no/such/folder
            """)
        #expect(report.results.map(\.status) == [.passed, .warning, .failed, .failed])
        #expect(report.results[0].message.hasPrefix("Disk space OK ("))
        #expect(report.results[1].message.hasPrefix("Low disk space ("))
        #expect(report.results[3].message.contains("cannot read the file system of /no/such/folder"))
    }

    @Test func memoryThresholds() async throws {
        let report = try await preflight(
            """
            - kind: memory
              warn_below_mb: 0
            - kind: memory
              warn_below_mb: 100000000
            - kind: memory
              warn_below_mb: 100000000
              fail_below_mb: 100000000
            """)
        #expect(report.results.map(\.status) == [.passed, .warning, .failed])
        #expect(report.results[0].message.hasPrefix("Memory available ("))
        #expect(report.results[1].message.hasPrefix("Low memory ("))
    }

    @Test func commandStatusAndTimeoutKillsTheProcess() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-preflight")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = Date()
        let report = try await preflight(
            """
            - kind: command
              command: test -d .
            - name: Migrations
              kind: command
              command: echo "2 pending migrations" >&2; exit 3
            - name: Hung script
              kind: command
              command: echo $$ > pid; exec sleep 60
              timeout: 500ms
            """, workingDirectory: folder)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(report.results.map(\.status) == [.passed, .failed, .failed])
        #expect(report.results[1].message == "Migrations failed: exit status 3: 2 pending migrations")
        #expect(report.results[2].message == "Hung script failed: still running after 500ms, stopped")
        let pidText = try String(contentsOfFile: folder + "/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = try #require(Int32(pidText))
        #expect(kill(pid, 0) != 0, "the timed-out command's process \(pid) is still alive")
    }

    @Test func envNamesTheMissingVariables() async throws {
        let report = try await preflight(
            """
            - kind: env
              variables: [LOAD_TEST_HOST, API_TOKEN, EMPTY_ONE]
            """, environment: ["LOAD_TEST_HOST": "http://127.0.0.1:8000", "EMPTY_ONE": ""])
        let result = try only(report)
        #expect(result.message == "Environment is incomplete: not set: API_TOKEN, EMPTY_ONE")
        let complete = try only(try await preflight("- kind: env\n  variables: HOME\n", environment: ["HOME": "/root"]))
        #expect(complete.status == .passed)
    }

    @Test func checksRunConcurrentlyAndReportInChecklistOrder() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-preflight-together")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Each of the first two waits for the other's mark: run one after the other, the first
        // would wait out its timeout and fail. No clock is read, so a busy machine cannot fail it.
        let report = try await preflight(
            """
            - name: first
              kind: command
              timeout: 30s
              command: touch first.mark; while [ ! -e second.mark ]; do sleep 0.05; done
            - name: second
              kind: command
              timeout: 30s
              command: touch second.mark; while [ ! -e first.mark ]; do sleep 0.05; done
            - name: third
              kind: command
              command: "true"
            """, workingDirectory: folder)
        #expect(report.results.map(\.status) == [.passed, .passed, .passed], "\(report.text(strict: false))")
        #expect(report.results.map(\.name) == ["first", "second", "third"])
        #expect(report.text(strict: false).hasSuffix("\n\nEnvironment ready for load testing!\n"))
    }

    @Test func verdictAndStrictness() {
        let report = PreflightReport(
            checklist: "p.yml",
            results: [
                PreflightResult(name: "API", kind: "http", status: .passed, message: "API is healthy (3 ms)", seconds: 0.003),
                PreflightResult(name: "Disk space", kind: "disk", status: .warning, message: "Low disk space (85%)", seconds: 0),
            ])
        #expect(report.text(strict: false) == "✓ API is healthy (3 ms)\n⚠ Low disk space (85%)\n\nEnvironment ready for load testing! (1 warning)\n")
        #expect(report.exitStatus(strict: false) == .success)
        #expect(report.exitStatus(strict: true) == .checkFailed)
        #expect(report.verdict(strict: true) == "Not ready for load testing: 1 warning with --strict (Disk space)")
    }
}

@Suite("loadops preflight command", .serialized)
struct PreflightCommandTests {
    @Test func exitCodesJSONAndStrict() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-preflight-cli")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/checklists", withIntermediateDirectories: true)
        try "- kind: memory\n  warn_below_mb: 100000000\n".write(toFile: folder + "/checklists/preflight.yml", atomically: true, encoding: .utf8)

        let warned = try await ChildProcess.run(TestSupport.binary, ["preflight"], directory: folder)
        #expect(warned.status == 0, "\(warned.stderr)")
        #expect(warned.stdout.hasPrefix("⚠ Low memory ("))
        let strict = try await ChildProcess.run(TestSupport.binary, ["preflight", "--strict", "--json"], directory: folder)
        #expect(strict.status == 1)
        let json = try JSONSerialization.jsonObject(with: Data(strict.stdout.utf8)) as? [String: Any]
        #expect(json?["ready"] as? Bool == false)
        #expect((json?["checks"] as? [[String: Any]])?.first?["status"] as? String == "warning")
        // Measurements are JSON numbers, not strings of digits.
        let details = (json?["checks"] as? [[String: Any]])?.first?["details"] as? [String: Any]
        #expect(details?["available_mb"] != nil, "\(strict.stdout)")
        #expect(details?["available_mb"] is NSNumber && !(details?["available_mb"] is String), "\(strict.stdout)")
        #expect(strict.stdout.range(of: #""available_mb" : \d+\n"#, options: .regularExpression) != nil, "\(strict.stdout)")

        try "- kind: command\n  command: exit 1\n".write(toFile: folder + "/failing.yml", atomically: true, encoding: .utf8)
        let failed = try await ChildProcess.run(TestSupport.binary, ["preflight", "--checklist", "failing.yml"], directory: folder)
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("Not ready for load testing: 1 check failed"))

        try "- kind: nope\n".write(toFile: folder + "/bad.yml", atomically: true, encoding: .utf8)
        let bad = try await ChildProcess.run(TestSupport.binary, ["preflight", "--checklist", "bad.yml"], directory: folder)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("loadops preflight: error: bad.yml:1:9: [0].kind: unknown check kind \"nope\""))
        let missing = try await ChildProcess.run(TestSupport.binary, ["preflight", "--checklist", "none.yml"], directory: folder)
        #expect(missing.status == 2)
    }
}
