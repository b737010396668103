import Foundation
import Testing

@testable import LoadOpsKit

/// A temporary working folder with files in it, removed after the test.
struct ConfigTestFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "loadops-config-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: (path as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: (path as NSString).appendingPathComponent(name), encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Loads `loadops.yml` (or the defaults) from this folder.
    func load(
        path: String? = nil, environment: [String: String] = [:], overrides: ConfigOverrides = ConfigOverrides()
    ) throws -> LoadOpsConfig {
        try ConfigLoader.load(path: path, environment: environment, overrides: overrides, workingDirectory: self.path)
    }

    /// The message of the `ConfigError` that loading `yaml` produces, or nil when it loads.
    func error(loading yaml: String, environment: [String: String] = [:], overrides: ConfigOverrides = ConfigOverrides()) throws
        -> ConfigError?
    {
        try write("loadops.yml", yaml)
        do {
            _ = try load(environment: environment, overrides: overrides)
            return nil
        } catch let error as ConfigError {
            return error
        }
    }
}

@Suite("Config loading")
struct ConfigLoaderTests {
    // MARK: precedence

    @Test func defaultsWhenThereIsNoFile() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let config = try folder.load()
        #expect(config.host == "http://127.0.0.1:8000")
        #expect(config.load.users == 10)
        #expect(config.load.model == .closed)
        #expect(config.endpoints == [EndpointConfig(method: "GET", path: "/")])
        #expect(config.sourceDescription == "(defaults)")
    }

    @Test func flagBeatsEnvironmentBeatsDotEnvBeatsFileBeatsDefault() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", "load:\n  users: 5\n  duration: 2m\n")
        try folder.write(".env.load-testing", "# guide settings\nexport LOAD_TEST_USERS_MAX=6\nLOAD_TEST_DURATION_SECONDS=\"300\"\n")
        let environment = ["LOAD_TEST_USERS_MAX": "7"]
        let flags = ConfigOverrides(usersMax: 8)

        #expect(try folder.load(environment: environment, overrides: flags).load.users == 8)
        #expect(try folder.load(environment: environment).load.users == 7)
        #expect(try folder.load().load.users == 6)
        #expect(try folder.load().load.duration == 300)
        try FileManager.default.removeItem(atPath: folder.path + "/.env.load-testing")
        #expect(try folder.load().load.users == 5)
        #expect(try folder.load().load.duration == 120)
        try FileManager.default.removeItem(atPath: folder.path + "/loadops.yml")
        #expect(try folder.load().load.users == 10)
    }

    @Test func everyEnvironmentVariableIsRead() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let config = try folder.load(environment: [
            "LOAD_TEST_HOST": "https://staging.example.com", "LOAD_TEST_USERS_MAX": "500", "LOAD_TEST_SPAWN_RATE": "5",
            "LOAD_TEST_DURATION_SECONDS": "600", "LOAD_TEST_OUTPUT": "./test_reports", "LOAD_TEST_MODEL": "open",
            "LOAD_TEST_RATE": "3005/min", "LOAD_TEST_ENVIRONMENT": "staging",
        ])
        #expect(config.host == "https://staging.example.com")
        #expect(config.load.users == 500)
        #expect(config.load.spawnRate == 5)
        #expect(config.load.duration == 600)
        #expect(config.output == "./test_reports")
        #expect(config.load.model == .open)
        #expect(config.load.rate == 3005.0 / 60)
        #expect(config.environment == "staging")
    }

    @Test func flagsAcceptDurationAndRateSyntax() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let config = try folder.load(overrides: ConfigOverrides(
            host: "http://localhost:9000", spawnRate: 2, duration: "10m", output: "out", model: .open, rate: "50/s",
            insecure: true))
        #expect(config.host == "http://localhost:9000")
        #expect(config.load.duration == 600)
        #expect(config.load.rate == 50)
        #expect(config.load.model == .open)
        #expect(config.insecure)
        #expect(config.output == "out")
    }

    @Test func explicitConfigPathIsRelativeToTheWorkingDirectory() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/configs", withIntermediateDirectories: true)
        try folder.write("configs/smoke.yml", "load:\n  users: 3\n")
        let config = try folder.load(path: "configs/smoke.yml")
        #expect(config.load.users == 3)
        #expect(config.sourceDescription == "configs/smoke.yml")
    }

    // MARK: the schema

    @Test func fullSchemaLoads() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", """
            host: http://127.0.0.1:8000
            allow_hosts: [staging.example.com]
            environment: staging
            insecure: false
            output: load_test_reports
            load:
              model: open
              users: 50
              spawn_rate: 5
              duration: 10m
              think_time: 1s-3s
              rate: 100/s
              max_connections: 1000
              timeout: 30s
              stages:
                - { duration: 10m, rate: 100/min }
                - { duration: 30m, rate: 500/min, ramp: true }
            endpoints:
              - get /health
              - "get /sessions/{uuid}": 3005/min
              - name: create session
                method: POST
                path: /sessions/{uuid}
                headers: { X-Trace: loadops }
                body: { "status": "created", "n": "{int:1-100}", "count": 3, "ok": true, "tags": [a, 2] }
                weight: 3
                rate: 50/s
                expect: [200, 201]
              - { method: delete, path: "/sessions/{seq}", expect: 204 }
            credentials:
              file: ~/.ecs/.htpasswd
            thresholds:
              aggregate: ["p95 < 1s", "error_rate < 5%"]
              "get /sessions/{uuid}": ["p99 < 2s"]
            """)
        let config = try folder.load(environment: ["HOME": "/home/tester"])
        #expect(config.allowHosts == ["staging.example.com"])
        #expect(config.environment == "staging")
        #expect(config.load.thinkTime == 1...3)
        #expect(config.load.rate == 100)
        #expect(config.load.stages == [
            LoadStage(duration: 600, target: 100.0 / 60), LoadStage(duration: 1800, target: 500.0 / 60, ramp: true),
        ])
        #expect(config.load.plannedDuration == 2400)
        #expect(config.endpoints.count == 4)
        #expect(config.endpoints[0] == EndpointConfig(method: "GET", path: "/health"))
        #expect(config.endpoints[1] == EndpointConfig(method: "GET", path: "/sessions/{uuid}", rate: 3005.0 / 60))
        let create = config.endpoints[2]
        #expect(create.name == "create session")
        #expect(create.method == "POST")
        #expect(create.headers.map { "\($0.0)=\($0.1)" } == ["X-Trace=loadops"])
        #expect(create.body == #"{"status":"created","n":"{int:1-100}","count":3,"ok":true,"tags":["a",2]}"#)
        #expect(create.weight == 3)
        #expect(create.rate == 50)
        #expect(create.expectedStatus == [200, 201])
        #expect(config.endpoints[3].method == "DELETE")
        #expect(config.endpoints[3].expectedStatus == [204])
        #expect(config.credentials == .basicFile(path: "/home/tester/.ecs/.htpasswd"))
        #expect(config.thresholds == ["aggregate": ["p95 < 1s", "error_rate < 5%"], "get /sessions/{uuid}": ["p99 < 2s"]])
    }

    @Test func stagesTakeUsersInTheClosedModel() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", "load:\n  stages:\n    - { duration: 1m, users: 10 }\n    - { duration: 2m, users: 50, ramp: true }\n")
        #expect(try folder.load().load.stages == [LoadStage(duration: 60, target: 10), LoadStage(duration: 120, target: 50, ramp: true)])
        // A flat run asked for on the command line replaces the profile.
        #expect(try folder.load(overrides: ConfigOverrides(duration: "30s")).load.stages.isEmpty)
    }

    @Test func openModelWithEndpointRatesNeedsNoTotalRate() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", "load: { model: open }\nendpoints:\n  - \"get /a\": 10/s\n  - \"post /b\": 600/min\n")
        let config = try folder.load()
        #expect(config.endpoints.map(\.rate) == [10, 10])
    }

    @Test func shorthandVariants() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", """
            endpoints:
              - /plain
              - "put /a/{seq}": { weight: 2, expect: 204, name: update }
            """)
        let list = try folder.load().endpoints
        #expect(list == [
            EndpointConfig(method: "GET", path: "/plain"),
            EndpointConfig(name: "update", method: "PUT", path: "/a/{seq}", weight: 2, expectedStatus: [204]),
        ])
        try folder.write("loadops.yml", "endpoints:\n  \"get /a\": 5/s\n  \"post /b\": 120/min\n")
        #expect(try folder.load().endpoints == [
            EndpointConfig(method: "GET", path: "/a", rate: 5), EndpointConfig(method: "POST", path: "/b", rate: 2),
        ])
        let notAMapping = try folder.error(loading: "- host: x\n")
        #expect(notAMapping?.description == "loadops.yml:1:1: expected a mapping of settings (host, load, endpoints, ...), got a list")
        #expect(try folder.error(loading: "# only a comment\n") == nil)
    }

    @Test func credentialsPathIsRelativeToTheConfigFile() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", "credentials:\n  file: creds.txt\n")
        #expect(try folder.load().credentials == .basicFile(path: folder.path + "/creds.txt"))
        try folder.write("loadops.yml", "credentials: { bearer_env: API_TOKEN }\n")
        #expect(try folder.load().credentials == .bearerEnv(variable: "API_TOKEN"))
    }

    // MARK: bad input, with positions

    @Test func unknownKeyIsReportedAtTheKeyWithASuggestion() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try folder.error(loading: "host: http://127.0.0.1:8000\nload:\n  userz: 5\n")
        #expect(error?.kind == .unknownKey)
        #expect(error?.description.hasPrefix(#"loadops.yml:3:3: load.userz: unknown key (did you mean "users"?)"#) == true)
    }

    @Test func wrongTypeIsReportedAtTheValue() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try folder.error(loading: "load:\n  users: [1, 2]\n")
        #expect(error?.description == "loadops.yml:2:10: load.users: expected a whole number from 1 to 1000000, got a list")
        let notAMapping = try folder.error(loading: "load: fast\n")
        #expect(notAMapping?.description == #"loadops.yml:1:7: load: expected a mapping, got "fast""#)
    }

    @Test func negativeUsers() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try folder.error(loading: "host: http://127.0.0.1:8000\nload:\n  users: -3\n")
        #expect(error?.description == #"loadops.yml:3:10: load.users: expected a whole number from 1 to 1000000, got "-3""#)
        #expect(error == ConfigError(
            kind: .invalidValue, file: "loadops.yml", line: 3, column: 10, field: "load.users",
            message: #"expected a whole number from 1 to 1000000, got "-3""#))
    }

    @Test func durationInParsecs() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try folder.error(loading: "load:\n  duration: 10 parsecs\n")
        #expect(error?.description == #"loadops.yml:2:13: load.duration: expected a duration > 0 and at most 30 days (720h), such as 30s, 10m, 1h30m, 500ms or a number of seconds, got "10 parsecs""#)
    }

    @Test func outOfRangeValues() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let cases: [(String, String)] = [
            ("load:\n  spawn_rate: 0\n", #"loadops.yml:2:15: load.spawn_rate: expected a number > 0 and at most 1000000, got "0""#),
            ("load:\n  timeout: 0s\n", "loadops.yml:2:12: load.timeout: expected a duration > 0"),
            ("load:\n  max_connections: 0\n", "loadops.yml:2:20: load.max_connections: expected a whole number from 1 to 1000000"),
            ("load:\n  think_time: 3s-1s\n", "loadops.yml:2:15: load.think_time: expected a duration such as 2s, or a range"),
            ("load:\n  model: turbo\n", #"loadops.yml:2:10: load.model: expected closed or open, got "turbo""#),
            ("host: ftp://example.com\n", "loadops.yml:1:7: host: expected an http:// or https:// URL"),
            ("host: http://\n", "loadops.yml:1:7: host: expected an http:// or https:// URL"),
            ("endpoints:\n  - { path: /a, expect: 700 }\n", #"loadops.yml:2:25: endpoints[0].expect: expected an HTTP status code between 100 and 599, got "700""#),
            ("endpoints:\n  - { path: a }\n", #"loadops.yml:2:13: endpoints[0].path: expected a path starting with /, got "a""#),
            ("endpoints:\n  - { method: GET }\n", "loadops.yml:2:5: endpoints[0]: an endpoint needs a path"),
            ("load:\n  stages:\n    - { users: 5 }\n", "loadops.yml:3:7: load.stages[0]: a stage needs a duration"),
        ]
        for (yaml, expectedPrefix) in cases {
            let error = try folder.error(loading: yaml)
            #expect(error?.description.hasPrefix(expectedPrefix) == true, "\(yaml) gave \(String(describing: error))")
        }
    }

    @Test func badRate() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try folder.error(loading: "endpoints:\n  - \"get /x\": 50/fortnight\n")
        #expect(error?.line == 2)
        #expect(error?.column == 15)
        #expect(error?.message.hasPrefix("expected a rate > 0 and at most 10000000/s, such as 50/s") == true)
        #expect(error?.message.hasSuffix(#"got "50/fortnight""#) == true)
        let total = try folder.error(loading: "load:\n  model: open\n  rate: lots\n")
        #expect(total?.description.hasPrefix("loadops.yml:3:9: load.rate: expected a rate > 0") == true)
    }

    @Test func badPlaceholders() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let unknown = try folder.error(loading: "endpoints:\n  - get /users/{uid}\n")
        #expect(unknown?.description.hasPrefix(#"loadops.yml:2:16: endpoints[0]: unknown placeholder "{uid}" (did you mean "{uuid}"?)"#) == true)
        let reversed = try folder.error(loading: "endpoints:\n  - path: /items/{int:10-1}\n")
        #expect(reversed?.description.hasPrefix(#"loadops.yml:2:18: endpoints[0].path: bad placeholder "{int:10-1}": the lower bound 10 is above 1"#) == true)
        let inBody = try folder.error(loading: "endpoints:\n  - path: /a\n    body: { id: \"{uuidd}\" }\n")
        #expect(inBody?.line == 3)
        #expect(inBody?.message.contains(#"unknown placeholder "{uuidd}""#) == true)
        // JSON braces in a body are not placeholders.
        #expect(try folder.error(loading: "endpoints:\n  - path: /a\n    body: '{\"a\": {\"b\": 1}}'\n") == nil)
    }

    @Test func badMethod() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let full = try folder.error(loading: "endpoints:\n  - method: FETCH\n    path: /a\n")
        #expect(full?.description == #"loadops.yml:2:13: endpoints[0].method: expected one of GET POST PUT PATCH DELETE HEAD OPTIONS, got "FETCH""#)
        let shorthand = try folder.error(loading: "endpoints:\n  - fetch /a\n")
        #expect(shorthand?.description.hasPrefix(#"loadops.yml:2:5: endpoints[0]: expected "METHOD PATH" with METHOD one of GET"#) == true)
    }

    @Test func yamlSyntaxErrorKeepsYamsPosition() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try folder.error(loading: "host: http://127.0.0.1:8000\nload:\n  users: [1, 2\n  duration: 10m\n")
        #expect(error?.kind == .syntax)
        #expect(error?.line != nil && error?.column != nil)
        #expect(error?.description.hasPrefix("loadops.yml:\(error?.line ?? 0):\(error?.column ?? 0): invalid YAML:") == true)
        let tab = try folder.error(loading: "load:\n\tusers: 5\n")
        #expect(tab?.kind == .syntax)
        #expect(tab?.line == 2)
        let duplicate = try folder.error(loading: "load:\n  users: 5\n  users: 6\n")
        #expect(duplicate?.kind == .syntax)
        #expect(duplicate?.message.contains("duplicate key \"users\"") == true)
    }

    @Test func missingAndUnreadableFiles() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        #expect(throws: ConfigError.missingFile("nope.yml")) { try folder.load(path: "nope.yml") }
        #expect(ConfigError.missingFile("nope.yml").description.hasPrefix("nope.yml: configuration file not found"))
        try FileManager.default.createDirectory(atPath: folder.path + "/dir.yml", withIntermediateDirectories: true)
        #expect(throws: ConfigError.unreadableFile("dir.yml", reason: "it is a folder, not a file")) {
            try folder.load(path: "dir.yml")
        }
        try Data([0xFF, 0xFE, 0x00, 0x41]).write(to: URL(fileURLWithPath: folder.path + "/binary.yml"))
        #expect(throws: ConfigError.unreadableFile("binary.yml", reason: "it is not UTF-8 text")) {
            try folder.load(path: "binary.yml")
        }
    }

    @Test func badEnvironmentVariableIsNamed() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        #expect(throws: ConfigError(
            kind: .invalidValue, file: "environment", field: "LOAD_TEST_USERS_MAX",
            message: #"expected a whole number from 1 to 1000000, got "lots""#)
        ) {
            try folder.load(environment: ["LOAD_TEST_USERS_MAX": "lots"])
        }
        try folder.write(".env.load-testing", "LOAD_TEST_HOST=http://localhost:8000\n\nLOAD_TEST_DURATION_SECONDS=ten\n")
        do {
            _ = try folder.load()
            Issue.record("a bad .env.load-testing value loaded")
        } catch let error as ConfigError {
            #expect(error.description.hasPrefix(".env.load-testing:3: LOAD_TEST_DURATION_SECONDS: expected a duration > 0"))
        }
        // The process environment wins over the file, so its good value hides the bad one.
        #expect(try folder.load(environment: ["LOAD_TEST_DURATION_SECONDS": "45"]).load.duration == 45)
    }

    @Test func malformedDotEnvLineNamesTheLineNotItsContents() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write(".env.load-testing", "LOAD_TEST_HOST=http://localhost:8000\nhunter2\n")
        #expect(throws: ConfigError(
            kind: .syntax, file: ".env.load-testing", line: 2, message: "expected KEY=VALUE, found a line with no '='")
        ) {
            try folder.load()
        }
    }

    @Test func dotEnvQuotingAndComments() throws {
        let entries = try EnvironmentFile.parse("""
            # comment
            export A="x y" # trailing
            B='single # not a comment'
            C=plain # comment
            D=
            """)
        #expect(entries["A"]?.value == "x y")
        #expect(entries["B"]?.value == "single # not a comment")
        #expect(entries["C"]?.value == "plain")
        #expect(entries["C"]?.line == 4)
        #expect(entries["D"]?.value == "")
    }

    @Test func badFlagValues() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        #expect(throws: ConfigError(
            kind: .invalidValue, file: "command line", field: "--users-max", message: #"expected a whole number from 1 to 1000000, got "0""#)
        ) {
            try folder.load(overrides: ConfigOverrides(usersMax: 0))
        }
        #expect(throws: ConfigError.self) { try folder.load(overrides: ConfigOverrides(duration: "forever")) }
        #expect(throws: ConfigError.self) { try folder.load(overrides: ConfigOverrides(spawnRate: -1)) }
    }

    @Test func openModelWithoutAnyRateSaysWhatToAdd() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try folder.error(loading: "load:\n  model: open\nendpoints:\n  - get /health\n")
        #expect(error?.line == 2)
        #expect(error?.column == 10)
        #expect(error?.field == "load.model")
        for hint in ["\"get /health\": 50/s", "load.rate", "load.stages", "--rate"] {
            #expect(error?.message.contains(hint) == true)
        }
        // The same check when the open model comes from a flag, and the fix from a flag.
        try folder.write("loadops.yml", "endpoints:\n  - get /health\n")
        #expect(throws: ConfigError.self) { try folder.load(overrides: ConfigOverrides(model: .open)) }
        #expect(try folder.load(overrides: ConfigOverrides(model: .open, rate: "20/s")).load.rate == 20)
    }

    @Test func openModelEndpointWithoutRateAmongRatedOnes() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let error = try folder.error(loading: "load: { model: open }\nendpoints:\n  - \"get /a\": 5/s\n  - get /b\n")
        #expect(error?.line == 4)
        #expect(error?.field == "endpoints[1]")
        #expect(error?.message.contains("GET /b has no rate") == true)
    }

    @Test func stagesMustMatchTheFinalModel() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", "load:\n  model: open\n  stages:\n    - { duration: 10m, rate: 100/min }\n")
        #expect(try folder.load().load.stages == [LoadStage(duration: 600, target: 100.0 / 60)])
        do {
            _ = try folder.load(overrides: ConfigOverrides(model: .closed))
            Issue.record("rate-only stages loaded in the closed model")
        } catch let error as ConfigError {
            #expect(error.line == 4)
            #expect(error.column == 7)
            #expect(error.field == "load.stages[0]")
            #expect(error.message.contains("needs users"))
        }
    }
}
