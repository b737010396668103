import Foundation
import Testing

@testable import LoadOpsKit

@Suite("Config safety: hosts, credentials, redaction, init")
struct ConfigSafetyTests {
    // MARK: host policy

    @Test(arguments: [
        "http://127.0.0.1:8000", "http://127.5.6.7/", "https://localhost", "http://LOCALHOST:1/x", "http://[::1]:8080/",
        "http://user:pw@127.0.0.1:8000", "localhost:8000",
    ])
    func loopbackIsAlwaysAllowed(url: String) throws {
        try HostPolicy.check(url: url, allowHosts: [])
    }

    @Test func listedHostsAreAllowed() throws {
        try HostPolicy.check(url: "https://Staging.Example.com/api", allowHosts: ["staging.example.com"])
        try HostPolicy.check(url: "https://api.example.com", allowHosts: ["*.example.com"])
        try HostPolicy.check(url: "https://a.b.example.com:8443", allowHosts: ["*.EXAMPLE.com"])
    }

    static let refused: [(String, [String])] = [
        ("https://production.example.com", ["staging.example.com"]),
        ("https://example.com", ["*.example.com"]),
        ("https://evil-example.com", ["*.example.com"]),
        ("https://staging.example.com.evil.net", ["staging.example.com"]),
        ("http://127.0.0.1.nip.io", []),
        ("http://10.0.0.1:8000", []),
        ("http://1270.0.0.1", []),
    ]

    @Test(arguments: refused)
    func otherHostsAreRefused(url: String, allowHosts: [String]) {
        #expect(throws: HostNotAllowed.self) { try HostPolicy.check(url: url, allowHosts: allowHosts) }
    }

    @Test func refusalExplainsWhyAndHow() {
        do {
            try HostPolicy.check(url: "https://ops:hunter2@api.ecs.cloudfeaster.com/x", allowHosts: [])
            Issue.record("an unlisted host was allowed")
        } catch let error as HostNotAllowed {
            #expect(error.host == "api.ecs.cloudfeaster.com")
            #expect(error.description.contains("denial-of-service"))
            #expect(error.description.contains("allow_hosts: [api.ecs.cloudfeaster.com]"))
            #expect(!error.description.contains("hunter2"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    // MARK: credentials file

    @Test func credentialsFileReadsKeySecretLines() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("creds.txt", """
            # from ecsctl.sh creds
            b35ec3fd96564323898920d282c18bb6:21023ce203851e7ec3eb1d25daf0fbcc

            8d90c8aa5256454b974582c7f0c7fa76:5668c4e0d53901b26b2e4af6a7229f7d\r
            user:pass:with:colons
            """)
        let pairs = try CredentialsFile.load(path: folder.path + "/creds.txt")
        #expect(pairs.map(\.key) == ["b35ec3fd96564323898920d282c18bb6", "8d90c8aa5256454b974582c7f0c7fa76", "user"])
        #expect(pairs.map(\.secret) == ["21023ce203851e7ec3eb1d25daf0fbcc", "5668c4e0d53901b26b2e4af6a7229f7d", "pass:with:colons"])
    }

    @Test func malformedCredentialsLineDoesNotLeakTheSecret() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("creds.txt", "good:one\n\nTOPSECRETVALUE\n")
        let path = folder.path + "/creds.txt"
        #expect(throws: CredentialsFileError(path: path, line: 3, message: "expected key:secret, found a line with no ':'")) {
            try CredentialsFile.load(path: path)
        }
        do {
            _ = try CredentialsFile.load(path: path)
        } catch {
            #expect(!"\(error)".contains("TOPSECRETVALUE"))
            #expect("\(error)" == "\(path):3: expected key:secret, found a line with no ':'")
        }
        try folder.write("creds.txt", "key-only:\n")
        #expect(throws: CredentialsFileError(path: path, line: 1, message: "expected key:secret, found an empty secret after ':'")) {
            try CredentialsFile.load(path: path)
        }
    }

    @Test func emptyOrMissingCredentialsFile() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("empty.txt", "# nothing yet\n\n")
        #expect(throws: CredentialsFileError.self) { try CredentialsFile.load(path: folder.path + "/empty.txt") }
        #expect(throws: CredentialsFileError(path: folder.path + "/none.txt", message: "credentials file not found")) {
            try CredentialsFile.load(path: folder.path + "/none.txt")
        }
    }

    // MARK: redaction and rendering

    static let urls: [(String, String)] = [
        ("postgres://devstack:s3cret@db:5432/devstack", "postgres://devstack:***@db:5432/devstack"),
        ("http://user:p%40ss@host", "http://user:***@host"),
        ("http://user@host/path", "http://user@host/path"),
        ("https://host/x?user=a&password=b&token=c#frag", "https://host/x?user=a&password=***&token=***#frag"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("not a url", "not a url"),
    ]

    @Test(arguments: urls)
    func urlsAreRedacted(url: String, expected: String) {
        #expect(Redaction.redactURL(url) == expected)
    }

    @Test func renderedConfigNeverShowsSecrets() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("creds.txt", "key1:FILESECRET\n")
        try folder.write("loadops.yml", """
            host: http://ops:URLPASSWORD@127.0.0.1:8000
            endpoints:
              - path: /a
                headers: { Authorization: "Bearer HEADERTOKEN", X-Api-Key: APIKEYVALUE, X-Trace: visible }
            credentials:
              bearer_env: API_TOKEN
            """)
        let environment = ["API_TOKEN": "ENVTOKEN"]
        let bearer = ConfigRenderer.yaml(try folder.load(environment: environment))
        try folder.write("loadops.yml", "host: http://ops:URLPASSWORD@127.0.0.1:8000\ncredentials: { file: creds.txt }\n")
        let basic = ConfigRenderer.yaml(try folder.load(environment: environment))

        for secret in ["URLPASSWORD", "HEADERTOKEN", "APIKEYVALUE", "ENVTOKEN", "FILESECRET"] {
            #expect(!bearer.contains(secret), "\(secret) leaked:\n\(bearer)")
            #expect(!basic.contains(secret), "\(secret) leaked:\n\(basic)")
        }
        #expect(bearer.contains("host: 'http://ops:***@127.0.0.1:8000'"))
        #expect(bearer.contains("bearer_env: API_TOKEN"))
        #expect(bearer.contains("X-Trace: visible"))
        #expect(basic.contains("file: \(folder.path)/creds.txt"))
    }

    @Test func renderedConfigLoadsBackUnchanged() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", """
            host: https://staging.example.com:8443/api
            allow_hosts: [staging.example.com, "*.example.org"]
            environment: "yes"
            output: reports/run 1
            load:
              model: open
              users: 7
              spawn_rate: 2.5
              think_time: 500ms-2s
              max_connections: 64
              timeout: 1m30s
              stages:
                - { duration: 10m, rate: 100/min }
                - { duration: 90s, rate: 12.5, ramp: true }
            endpoints:
              - "get /sessions/{uuid}": 3005/min
              - name: "create: Bob's session"
                method: POST
                path: /sessions
                headers: { Content-Type: application/json, X-Count: "12" }
                body: { id: "{uuid}", n: 3, "quote\\"d": "a\\nb", "it's": "x\\ty" }
                weight: 0.5
                rate: 50/s
                expect: [200, 201]
            credentials: { file: /etc/loadops/creds }
            thresholds:
              "get /sessions/{uuid}": ["p99 < 2s"]
              aggregate: ["p95 < 1s", "error_rate < 5%"]
            """)
        let original = try folder.load()
        let rendered = ConfigRenderer.yaml(original)
        try folder.write("rendered.yml", rendered)
        var reloaded = try folder.load(path: "rendered.yml")
        reloaded.sourceDescription = original.sourceDescription
        #expect(reloaded == original, "rendered:\n\(rendered)")
        #expect(rendered.contains("  - { duration: 10m, rate: 100/min }"))
    }

    // MARK: init

    @Test func initCreatesAWorkingProject() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let created = try ProjectInitializer.initialize(in: folder.path)
        #expect(Set(created) == Set(["loadops.yml", "checklists", "baselines", "archive", "archive/.gitkeep",
                                     "checklists/preflight.yml", "checklists/cleanup.yml", "checklists/post-test.yml"].map {
            folder.path + "/" + $0
        }))
        let config = try folder.load()
        #expect(config.sourceDescription == "loadops.yml")
        #expect(config.host == "http://127.0.0.1:8000")
        #expect(config.load.model == .closed)
        #expect(config.load.plannedDuration <= 60)
        #expect(config.endpoints.map { "\($0.method) \($0.path)" } == [
            "GET /sessions/{uuid}", "POST /sessions/{uuid}", "GET /patient_checkin/{uuid}", "POST /patient_checkin/{uuid}",
            "GET /pre_checkin/{uuid}", "POST /pre_checkin/{uuid}",
        ])
        try HostPolicy.check(url: config.host, allowHosts: config.allowHosts)
    }

    @Test func initTemplateRatesWorkInTheOpenModel() throws {
        // Uncommenting the rates is all the open model needs.
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        let openTemplate = ProjectInitializer.template
            .replacingOccurrences(of: "model: closed", with: "model: open")
            .replacingOccurrences(of: "# rate:", with: "rate:")
        try folder.write("loadops.yml", openTemplate)
        let config = try folder.load()
        let perMinute = config.endpoints.compactMap(\.rate).reduce(0, +) * 60
        #expect(abs(perMinute - 2 * (3005 + 588 + 2417)) < 1e-6)
    }

    @Test func initRefusesToOverwriteAndWritesNothing() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", "host: http://127.0.0.1:9999\n")
        #expect(throws: ProjectInitializerError.configExists(folder.path + "/loadops.yml")) {
            try ProjectInitializer.initialize(in: folder.path)
        }
        #expect(try folder.read("loadops.yml") == "host: http://127.0.0.1:9999\n")
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/checklists"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/archive"))
    }

    @Test func initKeepsExistingFolders() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.path + "/baselines", withIntermediateDirectories: true)
        try folder.write("baselines/baseline.json", "{}")
        let created = try ProjectInitializer.initialize(in: folder.path)
        #expect(!created.contains(folder.path + "/baselines"))
        #expect(try folder.read("baselines/baseline.json") == "{}")
    }
}
