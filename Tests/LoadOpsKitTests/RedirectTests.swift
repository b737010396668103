import Foundation
import Testing
@testable import LoadOpsKit

/// Redirects are followed within the target, counted once with the final status; never to a host
/// outside allow_hosts.
@Suite(.serialized) struct RedirectTests {
    private static func redirect(_ status: Int, to location: String) -> String {
        "HTTP/1.1 \(status) Moved\r\nLocation: \(location)\r\nContent-Length: 0\r\n\r\n"
    }

    @Test func redirectsAreFollowedWithinTheTargetOnly() async throws {
        let server = try await RecordingHTTPServer.start { path in
            switch path {
            case "/start": return Self.redirect(302, to: "/middle?step=2")
            case "/middle?step=2": return Self.redirect(301, to: "/final")
            case "/loop": return Self.redirect(302, to: "/loop")
            case "/away": return Self.redirect(302, to: "http://www.example.com/elsewhere")
            case "/sideways": return Self.redirect(307, to: "http://127.0.0.2:9/x")
            default: return nil
            }
        }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(server.port)
            load: { users: 1, spawn_rate: 10, duration: 1s }
            endpoints: [get /start, get /loop, get /away, get /sideways]
            thresholds: {}
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        let paths = server.requests.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
        #expect(run.status == 0, "thresholds: {} and /start succeeds: \(run.stdout) \(run.stderr)")
        let document = try ResultsDocument.load(from: "\(directory)/load_test_reports/results.json")
        func endpoint(_ name: String) throws -> ResultsDocument.Endpoint {
            try #require(document.endpoints.first { $0.name == name })
        }
        // Followed twice, counted once, with the final answer's status.
        let start = try endpoint("/start")
        #expect(start.requests > 0 && start.failures == 0)
        #expect(paths.filter { $0 == "/final" }.count == Int(start.requests))
        #expect(paths.filter { $0 == "/middle?step=2" }.count == Int(start.requests))
        // A loop ends after ten redirects, as a failure.
        let loop = try endpoint("/loop")
        #expect(loop.failures == loop.requests && loop.requests > 0)
        #expect(paths.filter { $0 == "/loop" }.count == Int(loop.requests) * 11)
        let failures = try String(contentsOfFile: "\(directory)/load_test_reports/load_test_failures.csv", encoding: .utf8)
        #expect(failures.contains("RedirectError: more than 10 redirects in a row"))
        // Never to a host outside allow_hosts; another allowed host is named, not followed.
        #expect(try endpoint("/away").failures == (try endpoint("/away")).requests)
        #expect(failures.contains("RedirectError: redirect to www.example.com, which allow_hosts does not list: not followed"), "\(failures)")
        #expect(failures.contains("RedirectError: redirect to another host, 127.0.0.2:9: not followed"), "\(failures)")

        // Turned off, a 3xx is the answer.
        try """
            host: http://127.0.0.1:\(server.port)
            load: { users: 1, spawn_rate: 10, duration: 1s }
            endpoints: [get /start]
            follow_redirects: false
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let finalsBefore = server.requests.filter { $0.hasPrefix("GET /final ") }.count
        let off = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        #expect(off.status == 0, "\(off.stdout) \(off.stderr)")
        #expect(server.requests.filter { $0.hasPrefix("GET /final ") }.count == finalsBefore)
        try await server.stop()
    }
}
