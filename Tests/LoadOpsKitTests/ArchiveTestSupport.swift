import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import LoadOpsKit

/// Results folders, archive roots and file checks for the archive tests.
enum ArchiveFixture {
    /// The files `loadops archive` must copy from a folder made by `resultsFolder`.
    static let archivedNames = [
        "load_test.log", "load_test_exceptions.csv", "load_test_failures.csv", "load_test_stats.csv",
        "load_test_stats_history.csv", "report.html", "results.json", "summary.md",
    ]

    /// A small run that started at `startedAt`.
    static func run(startedAt: Date) -> RunResult {
        var items = EndpointStatistics(key: EndpointKey(method: "GET", name: "/items"))
        for milliseconds in 1...20 {
            items.requests += 1
            items.contentBytes += 100
            _ = items.latency.record(UInt64(milliseconds) * 1000)
            _ = items.uncorrected.record(UInt64(milliseconds) * 1000)
        }
        return RunResult(
            status: .completed, startTime: startedAt, endTime: startedAt.addingTimeInterval(10), config: LoadOpsConfig(),
            endpoints: [items], coordinatedOmissionCorrected: false, timeSeries: [], peakUsers: 1, droppedArrivals: 0,
            warnings: [])
    }

    /// Writes `parent/name/` as `loadops run` would, plus a report, a summary, a log of
    /// `logBytes` bytes, and things that are not results (a YAML file, a subfolder, a hidden file).
    @discardableResult
    static func resultsFolder(
        in parent: String, name: String = "load_test_reports", startedAt: Date, logText: String = "run log\n", logBytes: Int = 0
    ) throws -> String {
        let folder = (parent as NSString).appendingPathComponent(name)
        try ResultsWriter.write(run(startedAt: startedAt), to: folder)
        var log = Data(logText.utf8)
        if logBytes > 0 {
            // Random bytes, so that gzip cannot make them small.
            var generator = SystemRandomNumberGenerator()
            log.append(contentsOf: (0..<logBytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        try log.write(to: URL(fileURLWithPath: "\(folder)/load_test.log"))
        try "<html><body>report</body></html>\n".write(toFile: "\(folder)/report.html", atomically: true, encoding: .utf8)
        try "# Summary\n".write(toFile: "\(folder)/summary.md", atomically: true, encoding: .utf8)
        try "host: http://127.0.0.1:8000\n".write(toFile: "\(folder)/demo-loadops.yml", atomically: true, encoding: .utf8)
        try "{}\n".write(toFile: "\(folder)/.hidden.json", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(folder)/nested", withIntermediateDirectories: true)
        try "a,b\n".write(toFile: "\(folder)/nested/inner.csv", atomically: true, encoding: .utf8)
        return folder
    }

    /// Name to contents of every file under `folder` (recursively), to show a folder was left untouched.
    static func snapshot(_ folder: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return files }
        while let relative = enumerator.nextObject() as? String {
            let path = (folder as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = try Data(contentsOf: URL(fileURLWithPath: path))
            }
        }
        return files
    }

    /// Entries of `root`, hidden ones included, sorted; empty when it does not exist.
    static func entries(_ root: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
    }

    /// Entries of `root` that are named like archives (folders or tarballs).
    static func archiveEntries(_ root: String) -> [String] {
        entries(root).filter { entry in
            let bare = entry.hasSuffix(".tar.gz") ? String(entry.dropLast(7)) : entry
            return ArchiveName(bare) != nil
        }
    }

    static func stagingEntries(_ root: String) -> [String] {
        entries(root).filter { $0.hasPrefix(".staging-") }
    }

    /// The environment of this process plus `extra`, for child processes.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ConfigLoader.environmentVariables { environment[name] = nil }
        environment[ArchivePause.variable] = nil
        for (name, value) in extra { environment[name] = value }
        return environment
    }

    /// Runs the built `loadops` with `arguments` in `folder`, in `environment(extra)`.
    static func loadops(_ arguments: [String], in folder: String, environment extra: [String: String] = [:]) async throws
        -> (status: Int32, stdout: String, stderr: String) {
        try await ChildProcess.run(TestSupport.binary, arguments, directory: folder, environment: environment(extra), timeout: 60)
    }

    /// Polls `condition` every 20 ms for up to `timeout` seconds.
    static func waitUntil(timeout: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

/// The test-only variable that makes `loadops archive` sleep between copying and renaming.
enum ArchivePause {
    static let variable = "LOADOPS_ARCHIVE_PAUSE_AFTER_COPY_MS"
}

/// A 1 MiB tmpfs, to fill up on purpose. Needs root (CAP_SYS_ADMIN); `isAvailable` tries once.
final class SmallTmpfs {
    let path: String
    private var mounted = true

    init(sizeOption: String = "size=1m") throws {
        path = try TestSupport.temporaryDirectory("loadops-tmpfs")
        guard mount("tmpfs", path, "tmpfs", 0, sizeOption) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: path)
            throw TestFailure("cannot mount a tmpfs on \(path): \(reason)")
        }
    }

    func unmount() {
        guard mounted else { return }
        mounted = false
        _ = umount2(path, Int32(MNT_DETACH))
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit { unmount() }

    static let isAvailable: Bool = {
        guard let probe = try? SmallTmpfs() else { return false }
        probe.unmount()
        return true
    }()
}
