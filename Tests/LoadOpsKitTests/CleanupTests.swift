import Foundation
import Testing

@testable import LoadOpsKit

/// A project folder with a results folder holding a few files.
private struct CleanupProject {
    let root: String
    var output: String { root + "/load_test_reports" }

    init() throws {
        root = try TestSupport.temporaryDirectory("loadops-cleanup")
        try FileManager.default.createDirectory(atPath: output + "/archive", withIntermediateDirectories: true)
        for name in ["report.html", "stats.csv", "results.json", "archive/old.csv"] {
            try "x".write(toFile: output + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    func config(environment: String? = nil) -> LoadOpsConfig {
        LoadOpsConfig(environment: environment, output: "load_test_reports", sourceDescription: "loadops.yml")
    }

    /// `checklists/cleanup.yml` and a `loadops.yml` naming the results folder, for `loadops cleanup`.
    func writeForCommand(checklist: String) throws {
        try FileManager.default.createDirectory(atPath: root + "/checklists", withIntermediateDirectories: true)
        try checklist.write(toFile: root + "/checklists/cleanup.yml", atomically: true, encoding: .utf8)
        try "output: load_test_reports\n".write(toFile: root + "/loadops.yml", atomically: true, encoding: .utf8)
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: root + "/" + relative)
    }

    func run(
        _ yaml: String, environment: String? = nil, options: CleanupOptions = CleanupOptions(assumeYes: true),
        variables: [String: String] = [:]
    ) async throws -> CleanupReport {
        let checklist = try CleanupChecklistParser.parse(text: yaml, displayPath: "cleanup.yml", environment: variables)
        return try await CleanupRunner.run(
            checklist, displayPath: "cleanup.yml", config: config(environment: environment), options: options, workingDirectory: root)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// The operations guide's tables: users, and generation tasks created by them; two load-test users and
/// one real one, each with tasks.
private func populateDatabase(_ server: PostgresTestServer) async throws {
    try await server.psql(
        """
        CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL);
        CREATE TABLE generation_tasks (id serial PRIMARY KEY, created_by int REFERENCES users(id), prompt text);
        INSERT INTO users (email) VALUES ('loadtest1@example.com'), ('loadtest2@example.com'), ('alice@example.com');
        INSERT INTO generation_tasks (created_by, prompt)
            SELECT u.id, 'p' || g FROM users u, generate_series(1, 3) g;
        ALTER TABLE users OWNER TO devstack;
        ALTER TABLE generation_tasks OWNER TO devstack;
        """)
}

private let postTestStatements = """
      statements:
        - DELETE FROM generation_tasks WHERE created_by IN (SELECT id FROM users WHERE email LIKE 'loadtest%')
        - DELETE FROM users WHERE email LIKE 'loadtest%'
        - VACUUM ANALYZE
    """

@Suite("Cleanup against real services", .serialized)
struct CleanupServiceTests {
    @Test func truncateFlushAndRemoveReallyClean() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        try await PostgresTestServer.with { database in
            try await populateDatabase(database)
            try await RedisTestServer.with { redis in
                try await redis.cli(["SET", "session:1", "a"], database: 1)
                try await redis.cli(["SET", "session:2", "b"], database: 1)
                try await redis.cli(["SET", "keep", "c"], database: 0)
                let report = try await project.run(
                    """
                    steps:
                      - name: Clear previous test data
                        kind: sql
                        url: \(database.urlWithoutPassword)
                        password_env: DB_PASSWORD
                        statements: TRUNCATE TABLE generation_tasks CASCADE
                      - name: Clear Redis cache
                        kind: redis-flush
                        url: \(redis.url)
                        password_env: REDIS_PASSWORD
                        db: 1
                      - name: Clear old reports
                        kind: remove
                        paths: ["*"]
                    """, variables: ["DB_PASSWORD": PostgresTestServer.password, "REDIS_PASSWORD": redis.password ?? ""])
                #expect(report.succeeded, "\(report.text)")
                #expect(try await database.count("SELECT count(*) FROM generation_tasks") == 0)
                #expect(try await database.count("SELECT count(*) FROM users") == 3)
                #expect(try await redis.keyCount(database: 1) == 0)
                #expect(try await redis.keyCount(database: 0) == 1)
                #expect(project.exists("load_test_reports"))
                #expect(try FileManager.default.contentsOfDirectory(atPath: project.output).isEmpty)
                #expect(report.steps.map(\.summary) == [
                    // The statement once, as written: not `TRUNCATE TABLE (TRUNCATE TABLE generation_tasks CASCADE)`.
                    "TRUNCATE TABLE generation_tasks CASCADE on postgres://devstack@127.0.0.1:\(database.port)/devstack",
                    "flushed 2 keys from database 1 on \(redis.url)",
                    "removed 4 entries from load_test_reports",
                ])
                #expect(report.text.hasSuffix("✓ Environment cleaned\n"))
            }
        }
    }

    @Test func postTestDeletesOnlyLoadTestUsersAndVacuumsOutsideTheTransaction() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        try await PostgresTestServer.with { database in
            try await populateDatabase(database)
            let report = try await project.run(
                """
                - name: Remove test data from database
                  kind: sql
                  url: \(database.url)
                \(postTestStatements)
                """)
            #expect(report.succeeded, "\(report.text)")
            #expect(try await database.psql("SELECT email FROM users ORDER BY id") == "alice@example.com")
            #expect(try await database.count("SELECT count(*) FROM generation_tasks") == 3)
            #expect(
                try await database.count(
                    "SELECT count(*) FROM generation_tasks t JOIN users u ON u.id = t.created_by WHERE u.email = 'alice@example.com'") == 3)
            let details = report.steps[0].details
            #expect(details.count == 3)
            #expect(details[0] == "DELETE FROM generation_tasks WHERE created_by IN (SELECT id FROM users WHERE email LIKE 'loadtest%'): "
                        + "6 rows (committed)")
            #expect(details[1] == "DELETE FROM users WHERE email LIKE 'loadtest%': 2 rows (committed)")
            #expect(details[2] == "VACUUM ANALYZE")
            #expect(!report.text.contains(PostgresTestServer.password))
        }
    }

    @Test func aFailingStatementRollsBackItsTransactionAndStopsTheCleanup() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        try await PostgresTestServer.with { database in
            try await populateDatabase(database)
            let report = try await project.run(
                """
                - name: Delete with a typo
                  kind: sql
                  url: \(database.url)
                  statements:
                    - DELETE FROM users WHERE email LIKE 'loadtest%' AND id NOT IN (SELECT created_by FROM generation_tasks)
                    - DELETE FROM generation_taks
                - name: Clear old reports
                  kind: remove
                  paths: "*.csv"
                """)
            #expect(!report.succeeded)
            #expect(report.steps.map(\.status) == [.failed, .notRun])
            #expect(report.steps[0].summary.contains("relation \"generation_taks\" does not exist"))
            #expect(report.steps[0].details.first?.hasSuffix("(rolled back)") == true)
            #expect(report.text.contains("✗ Cleanup stopped at step 1 of 2 (Delete with a typo). No step before it ran. Not run: Clear old reports."))
            #expect(try await database.count("SELECT count(*) FROM users") == 3)
            #expect(project.exists("load_test_reports/stats.csv"))
        }
    }

    @Test func aStoppedServerOrWrongPasswordFailsTheStepAndSaysWhichRan() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        try await RedisTestServer.with { redis in
            let yaml = """
                - name: Clear old reports
                  kind: remove
                  paths: ["*.html"]
                - name: Clear Redis cache
                  kind: redis-flush
                  url: redis://:wrong@127.0.0.1:\(redis.port)/0
                - name: Later step
                  kind: command
                  command: touch ran
                """
            let report = try await project.run(yaml)
            #expect(report.steps.map(\.status) == [.done, .failed, .notRun])
            #expect(report.steps[1].summary.hasPrefix("cannot log in: WRONGPASS"))
            #expect(report.text.contains("Ran: Clear old reports. Not run: Later step."))
            #expect(!report.text.contains(":wrong@"))
            #expect(!project.exists("ran"))
            await redis.stop()
            let stopped = try await project.run(yaml)
            #expect(stopped.steps[1].summary == "connection refused (127.0.0.1:\(redis.port))")
        }
    }

    @Test func dryRunChangesNothing() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        try await PostgresTestServer.with { database in
            try await populateDatabase(database)
            try await RedisTestServer.with(password: nil) { redis in
                try await redis.cli(["SET", "k", "v"])
                let report = try await project.run(
                    """
                    - kind: sql
                      url: \(database.url)
                    \(postTestStatements)
                    - kind: redis-flush
                      url: \(redis.url)
                    - kind: remove
                      paths: ["*.csv", "archive"]
                    - kind: command
                      command: touch ran
                    """, options: CleanupOptions(dryRun: true))
                #expect(report.dryRun)
                #expect(report.steps.allSatisfy { $0.status == .planned })
                #expect(report.steps[2].details == ["load_test_reports/stats.csv", "load_test_reports/archive"])
                #expect(report.text.hasPrefix("Dry run of cleanup.yml: nothing is changed."))
                #expect(!report.text.contains(PostgresTestServer.password))
                #expect(try await database.count("SELECT count(*) FROM users") == 3)
                #expect(try await database.count("SELECT count(*) FROM generation_tasks") == 9)
                #expect(try await redis.keyCount() == 1)
                #expect(project.exists("load_test_reports/stats.csv"))
                #expect(project.exists("load_test_reports/archive/old.csv"))
                #expect(!project.exists("ran"))
            }
        }
    }
}

@Suite("Cleanup safety", .serialized)
struct CleanupSafetyTests {
    @Test func removeRefusesPathsOutsideTheOutputFolder() async throws {
        for pattern in ["../*", "/etc/*", "archive/../../x", ".", "./"] {
            #expect {
                _ = try CleanupChecklistParser.parse(
                    text: "- kind: remove\n  paths: [\"\(pattern)\"]\n", displayPath: "cleanup.yml", environment: [:])
            } throws: { error in
                (error as? ConfigError).map { $0.line == 2 && $0.file == "cleanup.yml" } ?? false
            }
        }
    }

    @Test func removeDoesNotFollowALinkOutOfTheOutputFolder() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        let outside = try TestSupport.temporaryDirectory("loadops-outside")
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try "keep".write(toFile: outside + "/precious.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: project.output + "/link", withDestinationPath: outside)

        let through = try await project.run("- kind: remove\n  paths: [\"link/*\"]\n")
        #expect(!through.succeeded)
        #expect(through.steps[0].summary.contains("not inside the output folder"))
        #expect(FileManager.default.fileExists(atPath: outside + "/precious.txt"))

        // Removing the link itself is fine: the folder it points to stays.
        let link = try await project.run("- kind: remove\n  paths: [link]\n")
        #expect(link.succeeded, "\(link.text)")
        #expect(!project.exists("load_test_reports/link"))
        #expect(FileManager.default.fileExists(atPath: outside + "/precious.txt"))

        // `.*` takes hidden files but never `.` or `..`.
        try "x".write(toFile: project.output + "/.hidden", atomically: true, encoding: .utf8)
        let hidden = try await project.run("- kind: remove\n  paths: [\".*\"]\n")
        #expect(hidden.steps.first?.details == ["load_test_reports/.hidden"], "\(hidden.text)")
        #expect(project.exists("load_test_reports/stats.csv"))
    }

    @Test func anOutputFolderThatHoldsTheProjectIsRefused() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        let checklist = try CleanupChecklistParser.parse(text: "- kind: remove\n  paths: [\"*\"]\n", displayPath: "c.yml", environment: [:])
        let report = try await CleanupRunner.run(
            checklist, displayPath: "c.yml", config: LoadOpsConfig(output: "."), options: CleanupOptions(assumeYes: true),
            workingDirectory: project.root)
        #expect(!report.succeeded)
        #expect(report.steps[0].summary.hasPrefix("refused: the output folder \".\""))
        #expect(project.exists("load_test_reports/stats.csv"))
    }

    @Test func productionIsRefusedWithoutTheFlag() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        let yaml = "- kind: remove\n  paths: [\"*.csv\"]\n"
        await #expect(throws: CleanupError.productionRefused(environment: "production", source: "loadops.yml")) {
            _ = try await project.run(yaml, environment: "production")
        }
        #expect(project.exists("load_test_reports/stats.csv"))
        let allowed = try await project.run(yaml, environment: "production", options: CleanupOptions(assumeYes: true, allowProduction: true))
        #expect(allowed.succeeded)
        #expect(!project.exists("load_test_reports/stats.csv"))
    }

    @Test func destructiveStepsNeedAConfirmation() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        let yaml = "- name: Clear old reports\n  kind: remove\n  paths: [\"*.csv\"]\n"
        await #expect(throws: CleanupError.confirmationRequired(steps: ["Clear old reports"])) {
            _ = try await project.run(yaml, options: CleanupOptions())
        }
        await #expect(throws: CleanupError.declined) {
            _ = try await project.run(yaml, options: CleanupOptions(confirm: { _ in false }))
        }
        #expect(project.exists("load_test_reports/stats.csv"))
        let asked = try await project.run(
            yaml, options: CleanupOptions(confirm: { question in question.contains("Clear old reports: remove *.csv") }))
        #expect(asked.succeeded)
        #expect(!project.exists("load_test_reports/stats.csv"))
        // A command step alone is not destructive unless marked so.
        let command = try await project.run("- kind: command\n  command: touch ran\n", options: CleanupOptions())
        #expect(command.succeeded)
        #expect(project.exists("ran"))
    }

    @Test func theInitTemplatesParse() throws {
        let cleanup = try CleanupChecklistParser.parse(text: ChecklistTemplates.cleanupTemplate, displayPath: "cleanup.yml", environment: [:])
        #expect(cleanup.steps.map(\.kind.name) == ["sql", "redis-flush", "remove"])
        let postTest = try CleanupChecklistParser.parse(text: ChecklistTemplates.postTestTemplate, displayPath: "post-test.yml", environment: [:])
        #expect(postTest.steps.map(\.kind.name) == ["sql", "redis-flush"])
        if case .sql(_, let statements) = postTest.steps[0].kind {
            #expect(statements.count == 3)
            #expect(statements.map(SQLStatements.needsOwnTransaction) == [false, false, true])
        }
    }

    @Test func sqlTextSplitsOnSemicolonsOutsideQuotes() {
        #expect(SQLStatements.split("DELETE FROM a WHERE x = 'a;b';\n  -- note; here\nVACUUM;") == [
            "DELETE FROM a WHERE x = 'a;b'", "-- note; here\nVACUUM",
        ])
    }
}

@Suite("loadops cleanup command", .serialized)
struct CleanupCommandTests {
    /// The step's command runs in a process group of its own, which a terminal's Ctrl-C does not
    /// reach: loadops must end it as it exits, or it keeps running (here: 30 s of sleep).
    @Test func ctrlCEndsTheStepCommandToo() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        try project.writeForCommand(checklist: "steps:\n  - kind: command\n    command: \"echo $$ > step.pid; exec sleep 30\"\n    timeout: 60s\n")

        let cleanup = ChildProcess(TestSupport.binary, ["cleanup", "--yes"], directory: project.root)
        try cleanup.start()
        var stepPID: pid_t?
        for _ in 0..<200 where stepPID == nil {
            try await Task.sleep(for: .milliseconds(25))
            stepPID = (try? String(contentsOfFile: project.root + "/step.pid", encoding: .utf8))
                .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        let pid = try #require(stepPID, "the command step did not start")
        try await Task.sleep(for: .milliseconds(100))  // the shell has exec'd sleep
        cleanup.signal(SIGINT)
        let outcome = await cleanup.wait(timeout: 10)
        #expect(outcome.status == 130, "\(outcome)")

        var running = true
        for _ in 0..<100 where running {
            running = Self.isRunning(pid)
            if running { try await Task.sleep(for: .milliseconds(20)) }
        }
        if running { kill(pid, SIGKILL) }  // it is ours: do not leave it behind whatever the test says
        #expect(!running, "the step's command outlived loadops")
    }

    /// Alive and not a zombie waiting for whoever adopted it.
    private static func isRunning(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    @Test func noTerminalNeedsYesAndProductionNeedsTheFlag() async throws {
        let project = try CleanupProject()
        defer { project.remove() }
        try project.writeForCommand(checklist: "steps:\n  - kind: remove\n    paths: [\"*.csv\"]\n")

        let dry = try await ChildProcess.run(TestSupport.binary, ["cleanup", "--dry-run"], directory: project.root)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would remove 1 entry from load_test_reports"))
        let unconfirmed = try await ChildProcess.run(TestSupport.binary, ["cleanup"], directory: project.root)
        #expect(unconfirmed.status == 2)
        #expect(unconfirmed.stderr.contains("pass --yes"))
        #expect(project.exists("load_test_reports/stats.csv"))
        let missing = try await ChildProcess.run(TestSupport.binary, ["cleanup", "--post-test", "--yes"], directory: project.root)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("checklists/post-test.yml"))

        try "output: load_test_reports\nenvironment: production\n".write(
            toFile: project.root + "/loadops.yml", atomically: true, encoding: .utf8)
        let refused = try await ChildProcess.run(TestSupport.binary, ["cleanup", "--yes"], directory: project.root)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--allow-production"))
        let allowed = try await ChildProcess.run(TestSupport.binary, ["cleanup", "--yes", "--allow-production"], directory: project.root)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("✓ Environment cleaned"))
        #expect(!project.exists("load_test_reports/stats.csv"))
    }
}
