import Foundation
import Testing

@testable import LoadOpsKit

/// Passwords in URLs and secrets in query strings never reach a message, a results file, the
/// log or the history, whatever characters they hold; the request itself still sends them.
@Suite(.serialized) struct SecretsInOutputTests {
    // MARK: passwords in URLs

    @Test(arguments: [
        ("http://u:p#ss@127.0.0.1:8000", "http://u:***@127.0.0.1:8000"),
        ("http://u:p/ss@127.0.0.1:8000/api", "http://u:***@127.0.0.1:8000/api"),
        ("http://u:p?ss@127.0.0.1:8000", "http://u:***@127.0.0.1:8000"),
        ("http://u:p@ss@127.0.0.1:8000", "http://u:***@127.0.0.1:8000"),
        ("http://u:p#s/s?x@[::1]:8000/a?b=1", "http://u:***@[::1]:8000/a?b=1"),
        ("postgres://devstack:se#cr/et@127.0.0.1:5432/db?sslmode=require", "postgres://devstack:***@127.0.0.1:5432/db?sslmode=require"),
        ("redis://:p?w#d@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("u:hunter2@127.0.0.1:8000", "u:***@127.0.0.1:8000"),
        ("http://127.0.0.1:8000/x?token=abc&page=2", "http://127.0.0.1:8000/x?token=***&page=2"),
        ("http://user@127.0.0.1:8000/", "http://user@127.0.0.1:8000/"),
        ("http://127.0.0.1:8000/health", "http://127.0.0.1:8000/health"),
    ])
    func passwordsAreMaskedWhateverTheyHold(url: String, shown: String) {
        #expect(Redaction.redactURL(url) == shown)
    }

    private func run(_ arguments: [String], in directory: String, environment: [String: String] = [:]) async throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        return try await ChildProcess.run(TestSupport.binary, arguments, directory: directory, environment: merged, timeout: 60)
    }

    /// `config show` with the password on the command line, in a variable and in the file.
    @Test(arguments: ["p#ss", "p/ss", "p?ss", "p@ss"])
    func configShowNeverPrintsThePassword(password: String) async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let url = "http://u:\(password)@127.0.0.1:8000"
        let secretPart = String(password.dropFirst(2))  // what follows the special character
        var outputs: [String] = []
        let flag = try await run(["config", "show", "--host", url], in: directory)
        outputs.append(flag.stdout + flag.stderr)
        let variable = try await run(["config", "show"], in: directory, environment: ["LOAD_TEST_HOST": url])
        outputs.append(variable.stdout + variable.stderr)
        try "host: '\(url)'\n".write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let file = try await run(["config", "show"], in: directory)
        outputs.append(file.stdout + file.stderr)
        // `@` may stand in a password unencoded (the host follows the last `@`); the others make the URL invalid.
        let expected: Int32 = password.contains("@") ? 0 : 2
        #expect([flag.status, variable.status, file.status] == [expected, expected, expected])
        for output in outputs {
            #expect(!output.contains(password) && !output.contains(secretPart + "@"), "password printed: \(output)")
            #expect(output.contains("u:***@127.0.0.1:8000"), "\(output)")
        }
    }

    /// The checklists' PostgreSQL and Redis URLs, refused for the same unencoded characters.
    @Test func serviceURLsNeverPrintThePassword() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: "\(directory)/checklists", withIntermediateDirectories: true)
        for url in ["postgres://devstack:zq#XvWk@127.0.0.1:5432/devstack", "redis://:zq/XvWk@127.0.0.1:6379/0"] {
            let kind = url.hasPrefix("redis") ? "redis" : "postgres"
            try "checks:\n  - { kind: \(kind), url: '\(url)' }\n"
                .write(toFile: "\(directory)/checklists/preflight.yml", atomically: true, encoding: .utf8)
            let preflight = try await run(["preflight"], in: directory)
            #expect(preflight.status == 2, "stdout: \(preflight.stdout) stderr: \(preflight.stderr)")
            let output = preflight.stdout + preflight.stderr
            #expect(!output.contains("XvWk"), "password printed: \(output)")
            #expect(output.contains(":***@127.0.0.1"), "\(output)")
        }
    }

    // MARK: secrets in query strings

    @Test func queryValuesAreMaskedByName() {
        #expect(Redaction.maskQuery("/v1/items?api_key=S&page=2") == "/v1/items?api_key=***&page=2")
        #expect(Redaction.maskQuery("/a?KEY=S&Token=T&access_token=A&secret=B&password=C&signature=D&auth=E&q=ok")
            == "/a?KEY=***&Token=***&access_token=***&secret=***&password=***&signature=***&auth=***&q=ok")
        #expect(Redaction.maskQuery("/a?X-Amz-Signature=S&client_secret=C&apiKey=K#frag") == "/a?X-Amz-Signature=***&client_secret=***&apiKey=***#frag")
        #expect(Redaction.maskQuery("/a?sid=S&page=2", extraNames: ["SID"]) == "/a?sid=***&page=2")
        #expect(Redaction.maskQuery("/no/query/{uuid}") == "/no/query/{uuid}")
    }

    /// An endpoint with a key in its query string: the target receives it, and no output holds it.
    @Test func querySecretsReachTheTargetButNoOutput() async throws {
        let server = try await RecordingHTTPServer.start()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "/v1/items?api_key=SUPERSECRET&page=2&sid=SIDSECRET"
        try """
            host: http://127.0.0.1:\(server.port)
            redact_query: [sid]
            load: { users: 2, spawn_rate: 100, duration: 2s, think_time: 50ms }
            endpoints:
              - get \(path)
            thresholds:
              aggregate: ["error_rate < 5%"]
              "get \(path)": ["error_rate < 50%"]
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let run = try await run(["run", "--output", "out", "--db", "history.sqlite"], in: directory)
        let requests = server.requests
        try await server.stop()
        #expect(run.status == 0, "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(!requests.isEmpty)
        #expect(requests.allSatisfy { $0.hasPrefix("GET \(path) HTTP/1.1\r\n") }, "\(requests.first ?? "")")

        let shown = try await self.run(["config", "show"], in: directory)
        let history = try await self.run(["history", "show", "latest", "--db", "history.sqlite"], in: directory)
        #expect(history.status == 0, "stderr: \(history.stderr)")
        #expect(history.stdout.contains("/v1/items?api_key=***&page=2&sid=***"), "\(history.stdout)")
        var texts = ["stdout": run.stdout + run.stderr, "config show": shown.stdout + shown.stderr, "history show": history.stdout]
        let files = try FileManager.default.subpathsOfDirectory(atPath: directory)
        for file in files {
            var isDirectory: ObjCBool = false
            let full = "\(directory)/\(file)"
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            texts[file] = String(decoding: try Data(contentsOf: URL(fileURLWithPath: full)), as: UTF8.self)
        }
        #expect(files.contains("out/results.json") && files.contains("out/load_test.log") && files.contains("history.sqlite"))
        for (name, text) in texts {
            // The configuration file is the user's own; everything loadops wrote must be clean.
            guard name != "loadops.yml" else { continue }
            #expect(!text.contains("SUPERSECRET") && !text.contains("SIDSECRET"), "\(name) holds the secret")
        }
        let results = try String(contentsOfFile: "\(directory)/out/results.json", encoding: .utf8)
        #expect(results.contains("/v1/items?api_key=***&page=2&sid=***"))
        // The threshold written with the real key still found its endpoint.
        #expect(!results.contains("no such endpoint"), "\(results)")
    }
}
