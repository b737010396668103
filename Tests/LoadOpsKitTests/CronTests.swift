import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// The README's crontab lines, run as cron runs them: the binary put in place by the Makefile's
/// install step, an empty environment with cron's PATH, the command exactly as written (with the
/// install prefix and the project folder of this test).
@Suite(.serialized) struct CronTests {
    /// `(schedule fields removed) command` of every README cron line that calls loadops.
    private func readmeCronCommands() throws -> [String] {
        let readme = try String(contentsOfFile: TestSupport.packageRoot.appendingPathComponent("README.md").path, encoding: .utf8)
        return readme.split(separator: "\n").compactMap { line in
            guard line.first?.isNumber == true, line.contains("/usr/local/bin/loadops") else { return nil }
            return line.split(separator: " ", maxSplits: 5).last.map(String.init)
        }
    }

    private func cron(_ command: String, prefix: String, project: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        let concrete = command.replacingOccurrences(of: "/usr/local", with: prefix).replacingOccurrences(of: "/srv/loadtest", with: project)
        return try await ChildProcess.run("/usr/bin/env", ["-i", "PATH=/usr/bin:/bin", "/bin/sh", "-c", concrete], timeout: 120)
    }

    @Test func theReadmeCronLinesWorkUnderCron() async throws {
        let commands = try readmeCronCommands()
        let archiveLine = try #require(commands.first { $0.contains("loadops archive") })
        let runLine = try #require(commands.first { $0.contains("loadops run") })

        let prefix = try TestSupport.temporaryDirectory("loadops-prefix")
        let project = try TestSupport.temporaryDirectory("loadops-cron")
        defer {
            try? FileManager.default.removeItem(atPath: prefix)
            try? FileManager.default.removeItem(atPath: project)
        }
        let binDir = (TestSupport.binary as NSString).deletingLastPathComponent
        let install = try await ChildProcess.run("/usr/bin/make", ["-C", TestSupport.packageRoot.path, "--no-print-directory",
                                                                   "install-binary", "PREFIX=\(prefix)", "BIN_DIR=\(binDir)"])
        #expect(install.status == 0, "\(install.stdout) \(install.stderr)")
        #expect(FileManager.default.isExecutableFile(atPath: "\(prefix)/bin/loadops"))

        // A passing nightly run prints nothing; the archive after it prints nothing and archives.
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        try """
            host: http://127.0.0.1:\(server.port)
            load: { users: 2, spawn_rate: 100, duration: 1s }
            endpoints: [get /health]
            """.write(toFile: "\(project)/loadops.yml", atomically: true, encoding: .utf8)
        let passing = try await cron(runLine, prefix: prefix, project: project)
        try await server.stop()
        #expect(passing.status == 0, "\(passing.stderr)")
        #expect(passing.stdout.isEmpty && passing.stderr.isEmpty, "stdout: \(passing.stdout) stderr: \(passing.stderr)")

        let archived = try await cron(archiveLine, prefix: prefix, project: project)
        #expect(archived.status == 0, "\(archived.stderr)")
        #expect(archived.stdout.isEmpty && archived.stderr.isEmpty, "stdout: \(archived.stdout) stderr: \(archived.stderr)")
        let archives = try FileManager.default.contentsOfDirectory(atPath: "\(project)/archive").filter { !$0.hasPrefix(".") }
        #expect(archives.count == 1, "\(archives)")

        // The target is gone: the same run line fails with one line on stderr, which cron mails.
        let failing = try await cron(runLine, prefix: prefix, project: project)
        #expect(failing.status == 1)
        #expect(failing.stdout.isEmpty, "\(failing.stdout)")
        let lines = failing.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("FAIL: "), "stderr: \(failing.stderr)")
    }
}
