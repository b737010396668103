import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// `loadops run` checks everything before it touches anything, stops cleanly when interrupted
/// before the load, and never loses a run it measured.
@Suite(.serialized) struct PipelineSafetyTests {
    private func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func project(host: String, duration: String = "1s") throws -> String {
        let directory = try TestSupport.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: "\(directory)/checklists", withIntermediateDirectories: true)
        try write("""
            host: \(host)
            load: { users: 2, spawn_rate: 100, duration: \(duration) }
            endpoints: [get /health]
            """, to: "\(directory)/loadops.yml")
        return directory
    }

    /// Ctrl-C while the preflight runs: the cleanup's steps do not run, no load is sent, the previous
    /// results stay as they were, nothing is recorded, the post-test checklist does not run; exit 130.
    @Test func anInterruptBeforeTheLoadStopsEverything() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try project(host: "http://127.0.0.1:\(server.port)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            checks:
              - { name: Slow check, kind: command, command: "touch preflight-started; sleep 3", timeout: 20s }
            """, to: "\(directory)/checklists/preflight.yml")
        try write("""
            steps:
              - { name: Wipe, kind: command, command: "touch cleanup-ran", destructive: true }
            """, to: "\(directory)/checklists/cleanup.yml")
        try write("""
            steps:
              - { name: Wipe data, kind: command, command: "touch post-test-ran", destructive: true }
            """, to: "\(directory)/checklists/post-test.yml")
        try FileManager.default.createDirectory(atPath: "\(directory)/load_test_reports", withIntermediateDirectories: true)
        try write("{\"previous\": true}\n", to: "\(directory)/load_test_reports/results.json")

        let run = ChildProcess(TestSupport.binary, ["run", "--preflight", "--cleanup", "--post-test", "--yes"], directory: directory)
        try run.start()
        try await ServiceTestSupport.waitUntil("the preflight to start", timeout: 30) {
            FileManager.default.fileExists(atPath: "\(directory)/preflight-started")
        }
        run.signal(SIGINT)
        let finished = await run.wait(timeout: 60)
        let served = server.counts().total
        try await server.stop()
        #expect(finished.status == 130, "\(finished.stdout) \(finished.stderr)")
        #expect(finished.stderr.contains("interrupted before the load started"))
        #expect(served == 0, "no load after an interrupt")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/cleanup-ran"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/post-test-ran"))
        #expect(try String(contentsOfFile: "\(directory)/load_test_reports/results.json", encoding: .utf8) == "{\"previous\": true}\n")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/load_test_reports/load_test.log"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/.loadops/history.sqlite"))
    }

    /// The post-test checklist is parsed and confirmed before the load: off a terminal without
    /// --yes it is refused at once, with nothing sent.
    @Test func thePostTestChecklistIsCheckedBeforeTheLoad() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try project(host: "http://127.0.0.1:\(server.port)", duration: "5m")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            steps:
              - { name: Wipe data, kind: command, command: "true", destructive: true }
            """, to: "\(directory)/checklists/post-test.yml")
        let started = Date()
        let refused = try await ChildProcess.run(TestSupport.binary, ["run", "--post-test"], directory: directory, timeout: 60)
        #expect(refused.status == 2, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stderr.contains("--yes"), "\(refused.stderr)")
        #expect(Date().timeIntervalSince(started) < 30, "refused before five minutes of load")

        try write("""
            steps:
              - { name: Broken, kind: nonsense }
            """, to: "\(directory)/checklists/post-test.yml")
        let malformed = try await ChildProcess.run(TestSupport.binary, ["run", "--post-test", "--yes"], directory: directory, timeout: 60)
        #expect(malformed.status == 2, "\(malformed.stdout) \(malformed.stderr)")
        #expect(malformed.stderr.contains("post-test.yml"), "\(malformed.stderr)")
        let served = server.counts().total
        try await server.stop()
        #expect(served == 0)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/load_test_reports/load_test.log"))
    }

    /// A configuration error is one line, in every command's `loadops COMMAND: error: …` form, keeping
    /// the `file:line:column:` of the value, with no second `error:`.
    @Test func aConfigErrorIsPrintedOnce() async throws {
        let directory = try project(host: "http://127.0.0.1:9")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("host: http://127.0.0.1:9\nload: { users: -3 }\n", to: "\(directory)/loadops.yml")
        for arguments in [["run"], ["config", "show"]] {
            let run = try await ChildProcess.run(TestSupport.binary, arguments, directory: directory)
            #expect(run.status == 2)
            #expect(run.stderr.hasPrefix("loadops \(arguments.joined(separator: " ")): error: loadops.yml:2:"), "\(arguments): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
            #expect(run.stderr.components(separatedBy: "error:").count == 2, "\(arguments): \(run.stderr)")
        }
    }

    /// An output folder that cannot be written is bad input found before the load.
    @Test func anUnwritableOutputFolderIsFoundFirst() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try project(host: "http://127.0.0.1:\(server.port)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("a file, not a folder\n", to: "\(directory)/occupied")
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--output", "occupied/results"], directory: directory, timeout: 60)
        let served = server.counts().total
        try await server.stop()
        #expect(run.status == 2, "\(run.stdout) \(run.stderr)")
        #expect(run.stderr.contains("cannot write results to"), "\(run.stderr)")
        #expect(served == 0)
    }

    /// Results that cannot be written at the end: the run is still in the history, the error says
    /// where, and load_test.log keeps the preflight's output and that final error.
    @Test func aRunWhoseFilesCannotBeWrittenIsStillRecorded() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try project(host: "http://127.0.0.1:\(server.port)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            checks:
              - { name: API answers, kind: http, path: /health, expect: 200 }
            """, to: "\(directory)/checklists/preflight.yml")
        // A non-empty folder where the results file goes: nothing can be renamed onto it.
        try FileManager.default.createDirectory(atPath: "\(directory)/load_test_reports/results.json/occupied",
                                                withIntermediateDirectories: true)
        let run = try await ChildProcess.run(TestSupport.binary, ["run", "--preflight"], directory: directory, timeout: 60)
        try await server.stop()
        #expect(run.status == 1, "\(run.stdout) \(run.stderr)")
        #expect(run.stderr.contains("the results could not be written"), "\(run.stderr)")
        #expect(run.stderr.contains("recorded in the history as run 1"), "\(run.stderr)")
        let history = try await ChildProcess.run(TestSupport.binary, ["history", "show", "1"], directory: directory)
        #expect(history.status == 0, "\(history.stderr)")
        let log = try String(contentsOfFile: "\(directory)/load_test_reports/load_test.log", encoding: .utf8)
        #expect(log.contains("API answers"), "the preflight's output is in the log")
        #expect(log.contains("error: the results could not be written"), "the final error is in the log")
    }
}
