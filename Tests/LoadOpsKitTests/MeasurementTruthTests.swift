import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit
#if canImport(Glibc)
import Glibc
#endif

/// A loopback socket that completes TCP handshakes (the kernel does, up to the backlog) but is never
/// accepted: every request sent to it stays unanswered.
final class SilentListener {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 512) == 0 else { throw TestFailure("cannot listen on loopback") }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}

/// Every request sent is counted once; a run that got no (or too few) answers never passes.
@Suite(.serialized) struct MeasurementTruthTests {
    private func readJSON(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Both models against a server that never answers: the requests sent are failures of their own
    /// kind, the success rate is 0 and the run exits 1 saying so. (Both runs at once: each waits out
    /// its 10 s grace for answers.)
    @Test func unansweredRequestsAreCountedAndTheRunFails() async throws {
        let silent = try SilentListener()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let host = "http://127.0.0.1:\(silent.port)"
        try write("""
            host: \(host)
            load: { users: 5, spawn_rate: 100, duration: 1s }
            endpoints: [get /health]
            """, to: "\(directory)/closed.yml")
        try write("""
            host: \(host)
            load: { model: open, rate: 20/s, duration: 1s }
            endpoints: [get /health]
            """, to: "\(directory)/open.yml")
        let closed = ChildProcess(TestSupport.binary, ["run", "--config", "closed.yml", "--output", "closed", "--no-history"], directory: directory)
        let open = ChildProcess(TestSupport.binary, ["run", "--config", "open.yml", "--output", "open", "--no-history"], directory: directory)
        try closed.start()
        try open.start()
        let closedRun = await closed.wait(timeout: 60)
        let openRun = await open.wait(timeout: 60)

        for (name, run) in [("closed", closedRun), ("open", openRun)] {
            #expect(run.status == 1, "\(name): \(run.stdout) \(run.stderr)")
            #expect(run.stdout.contains("FAIL: no request succeeded"), "\(name): \(run.stdout)")
            let results = try readJSON("\(directory)/\(name)/results.json")
            #expect(results["success_rate"] as? Double == 0, "\(name)")
            let aggregate = try #require(results["aggregate"] as? [String: Any])
            let requests = try #require(aggregate["requests"] as? Int)
            #expect(requests > 0, "\(name): requests were sent, so they are counted")
            #expect(aggregate["failures"] as? Int == requests, "\(name)")
            let kinds = try #require(aggregate["failures_by_kind"] as? [String: Int])
            #expect(kinds["no_response"] == requests, "\(name): \(kinds)")
            let failures = try String(contentsOfFile: "\(directory)/\(name)/load_test_failures.csv", encoding: .utf8)
            #expect(failures.contains("no response by the end of the run"), "\(name)")
            let summary = try String(contentsOfFile: "\(directory)/\(name)/RESULTS_SUMMARY.md", encoding: .utf8)
            #expect(summary.contains("## Pass/Fail: FAIL"))
        }
        // The open model sent all 20 scheduled requests (each on its own connection): none vanished.
        let openResults = try readJSON("\(directory)/open/results.json")
        let aggregate = try #require(openResults["aggregate"] as? [String: Any])
        #expect((aggregate["requests"] as? Int ?? 0) + (openResults["dropped_arrivals"] as? Int ?? 0) == 20)
    }

    /// Nothing listens: every request fails, the default thresholds apply and say FAIL, in the
    /// output, in RESULTS_SUMMARY.md and in the exit status. `thresholds: {}` turns the defaults off,
    /// but a run without a single success still fails. Quiet prints that one line to stderr.
    @Test func aDeadTargetNeverPasses() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let port = TestSupport.freePort()
        let run = try await ChildProcess.run(TestSupport.binary, [
            "run", "--host", "http://127.0.0.1:\(port)", "--users", "2", "--duration", "1s", "--no-history",
        ], directory: directory, timeout: 60)
        #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
        let summary = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(summary.contains("## Pass/Fail: FAIL"))
        #expect(summary.contains("The defaults, since loadops.yml sets no `thresholds:`"))
        #expect(summary.contains("| FAIL | aggregate | `error_rate < 5%` | 100% |"))
        #expect(!summary.contains("Every threshold passed"))

        try write("""
            host: http://127.0.0.1:\(port)
            load: { users: 2, duration: 1s }
            endpoints: [get /health]
            thresholds: {}
            """, to: "\(directory)/loadops.yml")
        let quiet = try await ChildProcess.run(TestSupport.binary, ["run", "--quiet", "--no-history"], directory: directory, timeout: 60)
        #expect(quiet.status == 1)
        #expect(quiet.stdout.isEmpty, "quiet prints nothing to stdout: \(quiet.stdout)")
        let lines = quiet.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("FAIL: no request succeeded"), "stderr: \(quiet.stderr)")
        let unthresholded = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(unthresholded.contains("No thresholds (loadops.yml has `thresholds: {}`)"))
        #expect(unthresholded.contains("## Pass/Fail: FAIL"))
    }

    /// The target dies halfway: by request count the failures are about 1%, by time half the run had
    /// no answer. The run says so (a warning naming the span, an availability figure) and fails.
    @Test func aTargetThatDiesHalfwayFailsTheRun() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: { users: 10, spawn_rate: 100, duration: 6s }
            endpoints: [get /health]
            """, to: "\(directory)/loadops.yml")
        let run = ChildProcess(TestSupport.binary, ["run", "--no-history"], directory: directory)
        try run.start()
        // Stop the target once the run has been answered for a couple of seconds.
        try await ServiceTestSupport.waitUntil("the run to get going", timeout: 30) { server.counts().total > 0 }
        try await Task.sleep(for: .seconds(2))
        try await server.stop()
        let finished = await run.wait(timeout: 60)
        #expect(finished.status == 1, "\(finished.stdout) \(finished.stderr)")
        #expect(finished.stdout.contains("no successful response from 00:0"), "\(finished.stdout)")
        #expect(finished.stdout.contains("outage < 3s"))
        let results = try readJSON("\(directory)/load_test_reports/results.json")
        let availability = try #require(results["availability"] as? [String: Any])
        let percent = try #require(availability["percent"] as? Double)
        #expect(percent > 10 && percent < 75, "availability \(percent)")
        let outages = try #require(availability["outages"] as? [[String: Any]])
        #expect(outages.count >= 1)
        let summary = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(summary.contains("- **Availability**: "))
        #expect(summary.contains("| FAIL | aggregate | `outage < 3s` |"))
    }

    /// `load.rate` is shared among the endpoints without a rate of their own.
    @Test func loadRateIsSharedAmongEndpointsWithoutARate() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            host: http://127.0.0.1:\(server.port)
            load: { model: open, rate: 40/s, duration: 2s }
            endpoints:
              - "get /health": 10/s
              - get /other
            """, to: "\(directory)/loadops.yml")
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"], directory: directory, timeout: 60)
        let counts = server.counts()
        try await server.stop()
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(counts.byRoute.values.reduce(0, +) == 100, "\(counts.byRoute)")
        let health = counts.byRoute.first { $0.key.contains("/health") }?.value ?? 0
        #expect(health == 20, "\(counts.byRoute)")

        // The open model is described by its rates and connections, not by users.
        #expect(run.stdout.contains("(open model, target 50 req/s, achieved "), "\(run.stdout)")
        #expect(run.stdout.contains("connection"))
        #expect(!run.stdout.contains("users"), "\(run.stdout)")
        let results = try readJSON("\(directory)/load_test_reports/results.json")
        let load = try #require(results["load"] as? [String: Any])
        #expect(load["rate"] as? Double == 50)
        #expect(load["users"] == nil && load["spawn_rate"] == nil, "\(load)")
        let summary = try String(contentsOfFile: "\(directory)/load_test_reports/RESULTS_SUMMARY.md", encoding: .utf8)
        #expect(summary.contains("- **Load**: open model, target 50 req/s (3000/min), achieved "), "\(summary)")
    }

    /// With several event loops, `{seq}` still runs 1, 2, 3, ... once each, and the open model's
    /// connection cap holds however many loops are asked for.
    @Test func seqIsOneCounterAndTheConnectionCapHolds() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = """
            import http.server, sys, threading
            paths = []
            lock = threading.Lock()
            class Handler(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                disable_nagle_algorithm = True
                def do_GET(self):
                    with lock:
                        paths.append(self.path)
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                def log_message(self, *args):
                    pass
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            print(server.server_address[1], flush=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            sys.stdin.read()
            with open(sys.argv[1], "w") as out:
                out.write("\\n".join(paths))
            """
        try write(script, to: "\(directory)/server.py")
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "\(directory)/server.py", "\(directory)/paths.txt"]
        let input = Pipe()
        let output = Pipe()
        server.standardInput = input
        server.standardOutput = output
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let portLine = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(portLine.trimmingCharacters(in: .whitespacesAndNewlines)))

        try write("""
            host: http://127.0.0.1:\(port)
            load: { model: open, rate: 50/s, duration: 2s, max_connections: 3 }
            endpoints: ["get /items/{seq}"]
            """, to: "\(directory)/loadops.yml")
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--threads", "4", "--no-history"], directory: directory, timeout: 60)
        try input.fileHandleForWriting.close()
        await ServiceTestSupport.waitForExit(pid: server.processIdentifier, timeout: 10)
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout.contains("3 event loops"), "no more loops than allowed connections: \(run.stdout)")
        let paths = try String(contentsOfFile: "\(directory)/paths.txt", encoding: .utf8).split(separator: "\n")
        let numbers = paths.compactMap { Int($0.dropFirst("/items/".count)) }.sorted()
        #expect(numbers == Array(1...100), "got \(numbers.count) values: \(numbers.prefix(5))…\(numbers.suffix(5))")
        let results = try readJSON("\(directory)/load_test_reports/results.json")
        #expect((results["peak_users"] as? Int ?? 99) <= 3, "peak connections \(results["peak_users"] ?? "?")")
    }
}
