import Foundation
import Testing
@testable import LoadOpsKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a real Locust (installed from PyPI, `make deps`) against a Python HTTP server on loopback
/// and checks our CSV files have the same headers, byte for byte, and rows of the same shape.
@Suite struct LocustFormatTests {
    /// The same two endpoints as the locustfile below: `/` answers 200, `/missing` answers 404.
    static let oddName = "/odd,\"name\""

    static let locustfile = """
        from locust import HttpUser, task, constant

        class ProbeUser(HttpUser):
            wait_time = constant(0.1)

            @task
            def index(self):
                self.client.get("/")

            @task
            def missing(self):
                self.client.get("/missing", name='/odd,"name"')
        """

    private func ourRun() -> RunResult {
        var index = EndpointStatistics(key: EndpointKey(method: "GET", name: "/"))
        var missing = EndpointStatistics(key: EndpointKey(method: "GET", name: Self.oddName))
        for latency in [3_000, 5_500, 12_000] as [UInt64] {
            ResultsFixture.record(&index, microseconds: latency, bytes: 400)
            ResultsFixture.record(&missing, microseconds: latency, bytes: 300)
        }
        missing.failures = 3
        missing.failuresByKind = [.httpStatus(404): 3]
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        let point = SecondSnapshot(timestamp: 1_700_000_001, elapsed: 1, users: 2, requests: 6, failures: 3,
                                    requestsPerSecond: 6, failuresPerSecond: 3, p50: 5.5, p95: 12, p99: 12,
                                    totalRequests: 6, totalFailures: 3)
        return RunResult(status: .completed, startTime: start, endTime: start.addingTimeInterval(3), config: LoadOpsConfig(),
                         endpoints: [index, missing], coordinatedOmissionCorrected: false, timeSeries: [point],
                         peakUsers: 2, droppedArrivals: 0, warnings: [])
    }

    @Test(.timeLimit(.minutes(3)))
    func ourCSVFilesMatchARealLocustRun() async throws {
        let folder = ResultsFixture.temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let probe = try await LocustTestProcess.run(["python3", "-c", "import locust"], in: folder, log: folder + "/probe.log", timeout: 60)
        try #require(probe == 0, "Locust is not installed: run `make deps` (python3 -m pip install locust)")

        let port = try locustTestFreePort()
        let server = try LocustTestProcess.start(
            ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", folder, String(port)],
            in: folder, log: folder + "/server.log")
        defer { server.stop() }
        try await locustTestWaitUntilListening(port: port, timeout: 20)

        try Data(Self.locustfile.utf8).write(to: URL(fileURLWithPath: folder + "/locustfile.py"))
        let status = try await LocustTestProcess.run(
            ["python3", "-m", "locust", "--headless", "-u", "2", "-r", "2", "-t", "3s", "--csv", folder + "/locust",
             "-H", "http://127.0.0.1:\(port)", "-f", folder + "/locustfile.py", "--only-summary", "--loglevel", "WARNING"],
            in: folder, log: folder + "/locust.log", timeout: 120)
        let locustLog = (try? String(contentsOfFile: folder + "/locust.log", encoding: .utf8)) ?? ""
        // Locust exits 1 when requests failed, which the 404s make sure of.
        try #require(status == 0 || status == 1, "locust exited with \(status):\n\(locustLog)")

        let run = ourRun()
        let ours: [(suffix: String, text: String)] = [
            ("stats", LocustCSVWriter.stats(run)),
            ("stats_history", LocustCSVWriter.statsHistory(run)),
            ("failures", LocustCSVWriter.failures(run)),
            ("exceptions", LocustCSVWriter.exceptions()),
        ]
        var theirs: [String: String] = [:]
        for (suffix, text) in ours {
            let path = folder + "/locust_\(suffix).csv"
            let locustText = try #require(try? String(contentsOfFile: path, encoding: .utf8), "Locust wrote no \(path):\n\(locustLog)")
            theirs[suffix] = locustText
            let (theirHeader, ourHeader) = (firstLine(locustText), firstLine(text))
            #expect(Data(theirHeader.utf8) == Data(ourHeader.utf8),
                    "header of load_test_\(suffix).csv\nLocust: \(theirHeader.debugDescription)\nours:   \(ourHeader.debugDescription)")
            // Our file names are Locust's with the prefix `load_test`.
            #expect(LocustCSVWriter.files(for: run).contains { $0.name == "load_test_\(suffix).csv" && $0.contents == text })
        }

        // Data rows have Locust's shape: same number of fields, same quoting of a name with a comma
        // and quotes, the Aggregated row last with an empty Type.
        let theirStats = try CSVText.parse(theirs["stats"] ?? "").map(\.fields)
        let ourStats = try CSVText.parse(ours[0].text).map(\.fields)
        try #require(theirStats.count == 4, "expected 2 endpoints and Aggregated from Locust:\n\(theirs["stats"] ?? "")")
        for (their, our) in zip(theirStats, ourStats) { #expect(their.count == our.count) }
        #expect(theirStats.map { Array($0.prefix(2)) } == ourStats.map { Array($0.prefix(2)) })
        let quotedRow = "\r\nGET,\"/odd,\"\"name\"\"\","
        #expect(theirs["stats"]?.contains(quotedRow) == true)
        #expect(ours[0].text.contains(quotedRow))
        #expect(theirStats.last?.prefix(2) == ["", "Aggregated"])

        let theirFailures = try CSVText.parse(theirs["failures"] ?? "").map(\.fields)
        let ourFailures = try CSVText.parse(ours[2].text).map(\.fields)
        try #require(theirFailures.count == 2, "expected one failure row from Locust:\n\(theirs["failures"] ?? "")")
        #expect(theirFailures[1].count == ourFailures[1].count)
        #expect(theirFailures[1].prefix(2) == ourFailures[1].prefix(2))
        #expect(theirFailures[1][3] != "0")

        let theirHistory = try CSVText.parse(theirs["stats_history"] ?? "").map(\.fields)
        let ourHistory = try CSVText.parse(ours[1].text).map(\.fields)
        try #require(theirHistory.count >= 2, "Locust wrote no history rows")
        #expect(theirHistory[1].count == ourHistory[1].count)
        #expect(theirHistory[1][2...3] == ourHistory[1][2...3])

        #expect(try CSVText.parse(theirs["exceptions"] ?? "").map(\.fields).count == 1)
    }

    private func firstLine(_ text: String) -> String {
        guard let end = text.range(of: "\r\n") ?? text.range(of: "\n") else { return text }
        return String(text[..<end.upperBound])
    }
}

/// A child process with its output in a log file, stopped by its PID.
private final class LocustTestProcess {
    let process: Process

    private init(process: Process) { self.process = process }

    static func start(_ arguments: [String], in folder: String, log: String) throws -> LocustTestProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return LocustTestProcess(process: process)
    }

    /// Runs to completion; kills the process and fails the test when it overruns `timeout` seconds.
    static func run(_ arguments: [String], in folder: String, log: String, timeout: Double) async throws -> Int32 {
        let child = try start(arguments, in: folder, log: log)
        let deadline = Date().addingTimeInterval(timeout)
        while child.process.isRunning {
            if Date() > deadline {
                child.stop()
                Issue.record("\(arguments.joined(separator: " ")) did not finish within \(timeout) s")
                return -1
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return child.process.terminationStatus
    }

    /// SIGTERM, then SIGKILL if the process is still there after two seconds.
    func stop() {
        let pid = process.processIdentifier
        guard process.isRunning, pid > 0 else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A port nobody listens on right now (the kernel's pick for a socket bound to port 0).
private func locustTestFreePort() throws -> UInt16 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw LocustTestSocketError(reason: "socket() failed") }
    defer { close(descriptor) }
    var address = locustTestLoopbackAddress(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw LocustTestSocketError(reason: "bind() failed") }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
    }
    guard named == 0 else { throw LocustTestSocketError(reason: "getsockname() failed") }
    return UInt16(bigEndian: address.sin_port)
}

/// Polls until something accepts connections on 127.0.0.1:`port`.
private func locustTestWaitUntilListening(port: UInt16, timeout: Double) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = locustTestLoopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(descriptor)
        if connected == 0 { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw LocustTestSocketError(reason: "nothing listens on 127.0.0.1:\(port) after \(timeout) s")
}

private func locustTestLoopbackAddress(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

private struct LocustTestSocketError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}
