import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// `loadops ui` as a person uses it: the built binary serving the page, headless Chromium driving it
/// (Tests/Browser/drive_ui.py) against the built-in target, and SIGTERM ending it mid-run.
@Suite(.serialized) struct WebUIBrowserTests {
    /// Where the screenshots are kept after the test (git-ignored with the rest of .build/).
    static let artifacts = TestSupport.packageRoot.appendingPathComponent(".build/test-artifacts").path

    @Test func aRunStartedWatchedChangedAndStoppedInChromiumIsTheTargetsCount() async throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw TestFailure("\(tool) is missing: make deps installs Debian's chromium and chromium-driver")
        }
        let selenium = try await ChildProcess.run("/usr/bin/env", ["python3", "-c", "import selenium"])
        guard selenium.status == 0 else { throw TestFailure("selenium is missing: make deps installs it from PyPI") }

        let target = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // loadops.yml aims where nothing listens: the run goes where the form says.
        try """
            host: http://127.0.0.1:1
            load: { users: 2, spawn_rate: 5, duration: 30s, think_time: 50ms-150ms }
            endpoints:
              - get /health
              - "get /sessions/{uuid}"
              - "post /pre_checkin/{uuid}"
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)

        // The binary, its output in a file the test can read while it runs; `exec` keeps its PID.
        let port = TestSupport.freePort()
        let ui = ChildProcess("/bin/sh", ["-c", "exec \"$0\" ui --bind 127.0.0.1:\(port) > ui.log 2>&1", TestSupport.binary],
                              directory: directory)
        try ui.start()
        var stopped = false
        defer { if !stopped { ui.signal(SIGKILL) } }
        let deadline = Date().addingTimeInterval(20)
        var url: String?
        while url == nil {
            let log = (try? String(contentsOfFile: "\(directory)/ui.log", encoding: .utf8)) ?? ""
            url = log.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("http://") && $0.contains("token=") }.map(String.init)
            if url == nil {
                guard Date() < deadline else { throw TestFailure("loadops ui printed no address: \(log)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        let address = try #require(url)
        #expect(address.hasPrefix("http://127.0.0.1:\(port)/?token="))
        let token = try #require(WebUIAccess.queryValue("token", in: address))

        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let drive = try await ChildProcess.run("/usr/bin/env", [
            "python3", TestSupport.packageRoot.appendingPathComponent("Tests/Browser/drive_ui.py").path,
            address, "http://127.0.0.1:\(target.port)", Self.artifacts,
        ], directory: directory, timeout: 180)
        #expect(drive.status == 0, "\(drive.stdout)\n\(drive.stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: Data(drive.stdout.utf8)) as? [String: Any], "\(drive.stdout)")
        let readings = seen["readings"] as? [Int] ?? []
        #expect(readings.count == 2 && readings[0] > 0 && readings[1] > readings[0], "the request counter rose: \(readings)")
        #expect(seen["address_bar"] as? String == "http://127.0.0.1:\(port)/", "the token left the address bar")
        #expect((seen["changes"] as? [String])?.contains { $0.hasSuffix("users set to 8") } == true)
        #expect(seen["charts"] as? Int == 3)
        #expect(seen["verdict"] as? String == "FAIL")
        #expect((seen["outcome_status"] as? String)?.contains("interrupted by \(WebUISession.stopButton)") == true)
        let links = seen["links"] as? [String: String] ?? [:]
        #expect(links[HTMLReport.fileName] == "http://127.0.0.1:\(port)/results/\(HTMLReport.fileName)")
        #expect(links["results.json"] != nil && links[LocustCSVWriter.statsFileName] != nil)
        #expect((seen["report_title"] as? String)?.hasPrefix("Load test report") == true, "the report link opens the report")
        #expect((seen["severe"] as? [String]) == [], "no console errors: \(seen["severe"] ?? "")")
        #expect(FileManager.default.fileExists(atPath: "\(Self.artifacts)/ui-running.png"))

        // The run is a normal run: its results count what the target answered.
        let output = "\(directory)/load_test_reports"
        let first = try ResultsDocument.load(from: "\(output)/results.json")
        let served = UInt64(target.counts().total)
        #expect(first.aggregate.requests == served)
        #expect(Int(first.aggregate.requests) == seen["final_requests"] as? Int, "the page's final count")
        #expect(first.host == "http://127.0.0.1:\(target.port)")

        // SIGTERM while a run is under way: the run stops with its results saved, then the server exits.
        let client = WebUITests.UIClient(port: port, token: token)
        #expect(try client.post("/api/start", #"{"host": "http://127.0.0.1:\#(target.port)"}"#).status == 200)
        _ = try await client.waitFor(20, "requests of the second run") { ($0["totalRequests"] as? Int ?? 0) > 0 }
        ui.signal(SIGTERM)
        let exit = await ui.wait(timeout: 30)
        stopped = true
        #expect(exit.status == 130, "interrupted, as `loadops run` is")
        let second = try ResultsDocument.load(from: "\(output)/results.json")
        #expect(second.status == .interrupted && second.stopReason == "interrupted by SIGTERM")
        #expect(second.aggregate.requests == UInt64(target.counts().total) - served)
        let log = try String(contentsOfFile: "\(directory)/ui.log", encoding: .utf8)
        #expect(log.components(separatedBy: token).count == 2, "the token is printed once, at start-up")
        try await target.stop()
    }
}
