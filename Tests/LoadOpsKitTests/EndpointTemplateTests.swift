import Foundation
import LoadTarget
import NIOCore
import Testing

@testable import LoadOpsKit

/// One reading of placeholders for the configuration check and the generator, placeholders in
/// header values that work, and endpoints that the results and the history can tell apart.
@Suite(.serialized) struct EndpointTemplateTests {
    private func binary(_ arguments: [String], in directory: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await ChildProcess.run(TestSupport.binary, arguments, directory: directory, timeout: 60)
    }

    private func folder(_ config: String) throws -> String {
        let directory = try TestSupport.temporaryDirectory()
        try config.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        return directory
    }

    // MARK: placeholders

    /// Refused when the file is read, at the placeholder's own line and column, wherever it is.
    @Test(arguments: [
        ("endpoints:\n  - path: /a\n    body: '{\"id\": \"{0}\"}'\n", #"loadops.yml:4:20: endpoints[0].body: unknown placeholder "{0}""#),
        ("endpoints:\n  - path: /a\n    body: { id: \"{0}\" }\n", #"loadops.yml:4:18: endpoints[0].body.id: unknown placeholder "{0}""#),
        ("endpoints:\n  - get /items/{int:9-1}\n", #"loadops.yml:3:16: endpoints[0]: bad placeholder "{int:9-1}": the lower bound 9 is above 1"#),
        ("endpoints:\n  - path: /i/{int:0-9223372036854775807}\n", #"loadops.yml:3:14: endpoints[0].path: bad placeholder "{int:0-9223372036854775807}": the range is too wide"#),
        ("endpoints:\n  - path: /a\n    headers: { X-Id: \"id-{uid}\" }\n", #"loadops.yml:4:26: endpoints[0].headers.X-Id: unknown placeholder "{uid}" (did you mean "{uuid}"?)"#),
        ("endpoints:\n  - path: /a/{id\n", #"loadops.yml:3:14: endpoints[0].path: "{" does not open a placeholder"#),
    ])
    func badPlaceholdersAreConfigErrors(yaml: String, message: String) async throws {
        let directory = try folder("host: http://127.0.0.1:9\n" + yaml)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shown = try await binary(["config", "show"], in: directory)
        #expect(shown.status == 2, "stdout: \(shown.stdout)")
        #expect(shown.stderr.hasPrefix("loadops config show: error: " + message), "\(shown.stderr)")
    }

    /// What the check accepts the generator renders, and what it refuses the generator refuses too.
    @Test(arguments: ["/a/{uuid}", "{\"a\": {\"b\": \"{seq}\"}}", "/i/{int:0-9223372036854775806}", "{}", "{ \"x\": 1 }",
                      "/x/{0}", "/x/{int:2-1}", "{\"a\":\"{uid}\"}", "/a/{int:1-99999999999999999999}"])
    func checkAndGeneratorAgree(template: String) {
        let accepted = (try? PlaceholderSyntax.parts(template)) != nil
        let rendered = (try? RequestTemplate.parse(template, endpoint: "e")) != nil
        #expect(accepted == rendered)
    }

    /// Placeholders in header values are filled per request, like those in the path.
    @Test func headerPlaceholdersAreFilled() async throws {
        let server = try await RecordingHTTPServer.start()
        let directory = try folder("""
            host: http://127.0.0.1:\(server.port)
            load: { users: 1, spawn_rate: 100, duration: 1s, think_time: 20ms }
            endpoints:
              - path: /a
                headers: { X-Request-Id: "{uuid}", X-Attempt: "try-{seq}", X-Shard: "{int:1-3}", X-Fixed: plain }
            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await binary(["run", "--output", "out", "--no-history", "--quiet"], in: directory)
        let requests = server.requests
        try await server.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(requests.count >= 3)
        func header(_ name: String, _ head: String) -> String? {
            head.split(separator: "\r\n").first { $0.hasPrefix("\(name): ") }.map { String($0.dropFirst(name.count + 2)) }
        }
        let ids = requests.compactMap { header("X-Request-Id", $0) }
        #expect(ids.count == requests.count && Set(ids).count == ids.count, "\(ids)")
        #expect(ids.allSatisfy { UUID(uuidString: $0) != nil }, "\(ids)")
        let attempts = requests.compactMap { header("X-Attempt", $0) }
        #expect(attempts == (1...requests.count).map { "try-\($0)" }, "\(attempts)")
        #expect(requests.allSatisfy { ["1", "2", "3"].contains(header("X-Shard", $0) ?? "") })
        #expect(requests.allSatisfy { header("X-Fixed", $0) == "plain" })
    }

    /// Headers without placeholders stay in the pre-encoded request (nothing is rendered per request);
    /// one with a placeholder is rendered, with the rest of the request unchanged.
    @Test func onlyTemplatesWithPlaceholdersAreRendered() throws {
        let target = TargetAddress(useTLS: false, host: "127.0.0.1", port: 8080)
        func request(_ endpoint: EndpointConfig) throws -> (text: String, rendered: Bool) {
            let template = try RequestTemplate(endpoint: endpoint, target: target, authorizations: [])
            var scratch = ByteBuffer()
            var body = ByteBuffer()
            var random = FastRandom(seed: 7)
            let buffer = template.request(credential: 0, scratch: &scratch, bodyScratch: &body, random: &random, sequence: RunSequence())
            return (String(buffer: buffer), scratch.readableBytes > 0)
        }
        let fixed = try request(EndpointConfig(path: "/a", headers: [("X-Trace", "loadops"), ("X-Json", "{\"a\": 1}")]))
        #expect(!fixed.rendered)
        #expect(fixed.text.contains("\r\nX-Trace: loadops\r\nX-Json: {\"a\": 1}\r\n"))
        let templated = try request(EndpointConfig(path: "/a", headers: [("X-Trace", "run-{seq}"), ("X-Json", "{\"a\": 1}")]))
        #expect(templated.rendered)
        #expect(templated.text == fixed.text.replacingOccurrences(of: "X-Trace: loadops", with: "X-Trace: run-1"))
    }

    // MARK: endpoint identity

    /// Two endpoints with the same method and name: refused with both positions, exit 2.
    @Test func duplicateEndpointsAreRefusedWithBothPositions() async throws {
        let directory = try folder("""
            host: http://127.0.0.1:9
            endpoints:
              - get /sessions/{uuid}
              - post /sessions/{uuid}
              - { method: GET, path: "/sessions/{uuid}", weight: 2 }
            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let shown = try await binary(["config", "show"], in: directory)
        #expect(shown.status == 2, "stdout: \(shown.stdout)")
        #expect(shown.stderr.contains("loadops config show: error: loadops.yml:5:5: endpoints[2]: GET /sessions/{uuid} is already the name of the endpoint at loadops.yml:3:5 (endpoints[0])"),
                "\(shown.stderr)")
        #expect(shown.stderr.contains("distinct `name:`"))
        // Secrets masked to the same name collide too.
        try """
            host: http://127.0.0.1:9
            endpoints: ["get /x?token=A", "get /x?token=B"]
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let masked = try await binary(["config", "show"], in: directory)
        #expect(masked.status == 2)
        #expect(masked.stderr.contains("GET /x?token=*** is already the name of the endpoint"), "\(masked.stderr)")
    }

    /// The same method and path under two names is one configuration the history records like any other.
    @Test func sameRequestUnderTwoNamesIsRecorded() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try folder("""
            host: http://127.0.0.1:\(server.port)
            load: { users: 2, spawn_rate: 100, duration: 1s }
            endpoints:
              - { method: GET, path: /health, name: health (first) }
              - { method: GET, path: /health, name: health (second) }
            """)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try await binary(["run", "--output", "out", "--db", "history.sqlite", "--quiet"], in: directory)
        try await server.stop()
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("UNIQUE"), "\(run.stderr)")
        let listed = try await binary(["history", "--db", "history.sqlite"], in: directory)
        #expect(listed.stdout.contains("\n 1  "), "the run is not in the history: \(listed.stdout)")
        let shown = try await binary(["history", "show", "latest", "--db", "history.sqlite"], in: directory)
        #expect(shown.stdout.contains("health (first)") && shown.stdout.contains("health (second)"), "\(shown.stdout)")
    }
}
