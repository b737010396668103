import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import LoadOpsKit

/// What the archive opens, how its dry run plans retention, what its MANIFEST says to `sha256sum`,
/// and how it finds its run in a long history.
@Suite struct ArchiveHardeningTests {
    static let older = Date(timeIntervalSince1970: 1_700_000_000.25)
    static let olderName = "2023-11-14_22-13-20"
    static let newer = Date(timeIntervalSince1970: 1_700_086_400.5)
    static let newerName = "2023-11-15_22-13-20"

    private func archive(_ arguments: [String], in folder: String, environment: [String: String] = [:]) async throws
        -> (status: Int32, stdout: String, stderr: String) {
        try await ArchiveFixture.loadops(["archive"] + arguments, in: folder, environment: environment)
    }

    /// Every file under `folder`, read whole, to show a secret reached none of them.
    private func anyFile(under folder: String, contains secret: String) throws -> Bool {
        try ArchiveFixture.snapshot(folder).values.contains { $0.range(of: Data(secret.utf8)) != nil }
    }

    // MARK: - A file swapped after it was chosen

    @Test func aResultsFileSwappedForALinkAfterItWasChosenIsNeitherReadNorCopied() throws {
        let folder = try TestSupport.temporaryDirectory("loadops-archive-swap")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.older)
        let secret = "\(folder)/secret.txt"
        try "TOP-SECRET-0451\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let root = "\(folder)/archive"

        // Between choosing the files (lstat: a regular results.json) and opening them, the name
        // becomes a link to a file the archive must never read.
        var options = ArchiveOptions(outputFolder: output, archiveRoot: root)
        options.afterChoosingFiles = {
            _ = unlink("\(output)/results.json")
            _ = symlink(secret, "\(output)/results.json")
        }
        #expect(throws: ArchiveError.sourceReplaced(path: "\(output)/results.json", by: "a symbolic link")) {
            try ResultsArchiver.archive(options)
        }
        #expect(ArchiveFixture.archiveEntries(root).isEmpty)
        #expect(ArchiveFixture.stagingEntries(root).isEmpty)
        #expect(try !anyFile(under: root, contains: "TOP-SECRET-0451"))

        // Another regular file renamed over the chosen one is refused the same way.
        try FileManager.default.removeItem(atPath: "\(output)/results.json")
        try "{}\n".write(toFile: "\(output)/results.json", atomically: false, encoding: .utf8)
        options.afterChoosingFiles = {
            _ = rename(secret, "\(output)/summary.md")
        }
        #expect(throws: ArchiveError.sourceReplaced(path: "\(output)/summary.md", by: "another file")) {
            try ResultsArchiver.archive(options)
        }
        #expect(try !anyFile(under: root, contains: "TOP-SECRET-0451"))
    }

    @Test func copyingRefusesALinkAndAFileOtherThanTheOneChosen() throws {
        let folder = try TestSupport.temporaryDirectory("loadops-archive-open")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "chosen\n".write(toFile: "\(folder)/chosen.csv", atomically: false, encoding: .utf8)
        try "other\n".write(toFile: "\(folder)/other.csv", atomically: false, encoding: .utf8)
        let chosen = try #require(ArchiveFileSystem.regularFileIdentity("\(folder)/chosen.csv"))
        // A file only its owner may read is copied so, whatever the umask.
        #expect(chmod("\(folder)/chosen.csv", 0o600) == 0)
        #expect(try ArchiveFileSystem.copyFile(from: "\(folder)/chosen.csv", expected: chosen, to: "\(folder)/copy1").size == 7)
        let copied = try FileManager.default.attributesOfItem(atPath: "\(folder)/copy1")
        #expect((copied[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        try FileManager.default.createSymbolicLink(atPath: "\(folder)/link.csv", withDestinationPath: "\(folder)/chosen.csv")
        #expect(ArchiveFileSystem.regularFileIdentity("\(folder)/link.csv") == nil)
        #expect(throws: ArchiveError.sourceReplaced(path: "\(folder)/link.csv", by: "a symbolic link")) {
            try ArchiveFileSystem.copyFile(from: "\(folder)/link.csv", to: "\(folder)/copy2")
        }
        #expect(throws: ArchiveError.sourceReplaced(path: "\(folder)/other.csv", by: "another file")) {
            try ArchiveFileSystem.hashFile("\(folder)/other.csv", expected: chosen)
        }
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/copy2"))
    }

    // MARK: - Retention in a dry run

    @Test func aDryRunPlansTheRetentionTheRealRunCarriesOut() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-archive-dry-retention")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // An archive of an older run, then newer results in the results folder.
        try ArchiveFixture.resultsFolder(in: folder, name: "older_reports", startedAt: Self.older)
        let first = try await archive(["--output", "older_reports"], in: folder)
        #expect(first.status == 0, "\(first)")
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.newer)

        let dryRun = try await archive(["--dry-run", "--keep-last", "1"], in: folder)
        #expect(dryRun.status == 0, "\(dryRun)")
        #expect(dryRun.stdout.contains("Would archive 8 files ("), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains(" from load_test_reports to archive/\(Self.newerName)/"), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains("Would remove archive/\(Self.olderName) (retention)"), "\(dryRun.stdout)")
        #expect(!dryRun.stdout.contains("Retention would remove nothing"), "\(dryRun.stdout)")
        #expect(ArchiveFixture.archiveEntries("\(folder)/archive") == [Self.olderName])

        let real = try await archive(["--keep-last", "1"], in: folder)
        #expect(real.status == 0, "\(real)")
        #expect(real.stdout.contains("Removed archive/\(Self.olderName) (retention)"), "\(real.stdout)")
        #expect(ArchiveFixture.archiveEntries("\(folder)/archive") == [Self.newerName])

        // Once archived, the plan keeps the archive holding these results and removes nothing more.
        let again = try await archive(["--dry-run", "--keep-last", "1"], in: folder)
        #expect(again.stdout.contains("Retention would remove nothing"), "\(again.stdout)")
    }

    // MARK: - MANIFEST

    @Test func sha256sumChecksTheManifestAndVerifyStillReadsTheOldFormat() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-archive-sha256sum")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.older)
        // A backslash in a name is the one case sha256sum escapes.
        try "a,b\n1,2\n".write(toFile: "\(output)/odd\\name.csv", atomically: false, encoding: .utf8)
        let made = try await archive([], in: folder)
        #expect(made.status == 0, "\(made)")
        let archived = "\(folder)/archive/\(Self.olderName)"
        let manifest = try String(contentsOfFile: "\(archived)/MANIFEST", encoding: .utf8)
        #expect(manifest.hasPrefix("# loadops archive manifest 2\n"), "\(manifest)")

        let checked = try await ChildProcess.run("/usr/bin/env", ["sha256sum", "--check", "--strict", "MANIFEST"], directory: archived)
        #expect(checked.status == 0, "\(checked)")
        #expect(checked.stderr.isEmpty, "\(checked.stderr)")
        let okLines = checked.stdout.split(separator: "\n").filter { $0.hasSuffix(": OK") }
        #expect(okLines.count == 9, "\(checked.stdout)")
        #expect(checked.stdout.contains("odd\\name.csv: OK"), "\(checked.stdout)")

        // The sizes are still there for `archive verify`, and a wrong size is caught.
        let parsed = try ArchiveManifest.parse(manifest, path: "MANIFEST")
        #expect(parsed.entries.count == 9)
        #expect(parsed.entries.first { $0.name == "odd\\name.csv" }?.size == 8)
        #expect(try await archive(["verify"], in: folder).status == 0)
        try manifest.replacingOccurrences(of: "# size: 8  odd\\name.csv", with: "# size: 9  odd\\name.csv")
            .write(toFile: "\(archived)/MANIFEST", atomically: false, encoding: .utf8)
        let wrongSize = try await archive(["verify"], in: folder)
        #expect(wrongSize.status == 1)
        #expect(wrongSize.stderr.contains("odd\\name.csv: 8 bytes, the manifest says 9"), "\(wrongSize.stderr)")

        // An archive written before: `HASH  SIZE  NAME` lines under the version 1 header.
        let oldLines = ["# loadops archive manifest 1", "# run-started-at: 2023-11-14T22:13:20.250Z", "# source: load_test_reports",
                        "# SHA-256, size in bytes, file name"]
            + parsed.entries.map { "\($0.sha256)  \($0.size)  \($0.name)" }
        try (oldLines.joined(separator: "\n") + "\n").write(toFile: "\(archived)/MANIFEST", atomically: false, encoding: .utf8)
        let old = try await archive(["verify", Self.olderName], in: folder)
        #expect(old.status == 0, "\(old)")
        #expect(old.stdout.contains("intact, all 9 files match the MANIFEST"), "\(old.stdout)")
        // ...and it still counts as holding these results.
        let again = try await archive([], in: folder)
        #expect(again.stdout.hasPrefix("Already archived: archive/\(Self.olderName)/"), "\(again)")
        try Data("changed".utf8).write(to: URL(fileURLWithPath: "\(archived)/summary.md"))
        let changed = try await archive(["verify", Self.olderName], in: folder)
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("changed: summary.md"), "\(changed.stderr)")
    }

    @Test func malformedVersion2ManifestsAreRefusedWithTheLine() {
        let hash = String(repeating: "a", count: 64)
        let header = "# loadops archive manifest 2\n"
        #expect(throws: ArchiveError.manifestUnreadable(
            path: "M", line: 2, reason: "there is no \"# size: BYTES  x.csv\" line for x.csv")) {
            try ArchiveManifest.parse(header + "\(hash)  x.csv\n", path: "M")
        }
        #expect(throws: ArchiveError.self) { try ArchiveManifest.parse(header + "# size: 3  x.csv\n", path: "M") }
        #expect(throws: ArchiveError.self) { try ArchiveManifest.parse(header + "# size: 3  x.csv\n\(hash)  x.csv\n\(hash)  x.csv\n", path: "M") }
        #expect(throws: ArchiveError.self) { try ArchiveManifest.parse(header + "# size: 3  ../x\n\(hash)  ../x\n", path: "M") }
        #expect(throws: ArchiveError.self) { try ArchiveManifest.parse(header + "# size: 3  x.csv\n\\\(hash)  x\\q.csv\n", path: "M") }
        #expect(throws: ArchiveError.self) { try ArchiveManifest.parse(header + "# size: three  x.csv\n\(hash)  x.csv\n", path: "M") }
        let parsed = try? ArchiveManifest.parse(header + "# size: 3  x y.csv\n\(hash)  x y.csv\n", path: "M")
        #expect(parsed?.entries == [.init(name: "x y.csv", size: 3, sha256: hash)])
    }

    // MARK: - `~` in output:

    @Test func tildeInOutputIsTheHomeFolderForArchiveAndCleanup() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-archive-tilde")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let home = "\(folder)/home"
        let project = "\(folder)/project"
        try FileManager.default.createDirectory(atPath: "\(project)/checklists", withIntermediateDirectories: true)
        try ArchiveFixture.resultsFolder(in: home, name: "reports", startedAt: Self.older)
        try "output: ~/reports\n".write(toFile: "\(project)/loadops.yml", atomically: true, encoding: .utf8)
        try "steps:\n  - { name: Clear old reports, kind: remove, paths: [\"*\"], unarchived: refuse }\n"
            .write(toFile: "\(project)/checklists/cleanup.yml", atomically: true, encoding: .utf8)
        let environment = ["HOME": home]

        let archived = try await archive([], in: project, environment: environment)
        #expect(archived.status == 0, "\(archived)")
        #expect(archived.stdout.contains(" from \(home)/reports to archive/\(Self.olderName)/"), "\(archived.stdout)")
        #expect(FileManager.default.fileExists(atPath: "\(project)/archive/\(Self.olderName)/results.json"))
        #expect(!FileManager.default.fileExists(atPath: "\(project)/~"))

        // The cleanup reads the same folder: the results are archived, so `refuse` lets them go.
        let cleaned = try await ArchiveFixture.loadops(["cleanup", "--yes"], in: project, environment: environment)
        #expect(cleaned.status == 0, "\(cleaned)")
        #expect(cleaned.stdout.contains("removed 10 entries from ~/reports"), "\(cleaned.stdout)")
        #expect(ArchiveFixture.entries("\(home)/reports") == [".hidden.json"])
    }

    // MARK: - The history link in a long history

    /// Records statements run through a store.
    final class StatementLog: @unchecked Sendable {
        private let lock = NSLock()
        private var statements: [String] = []
        func append(_ sql: String) { lock.withLock { statements.append(sql) } }
        func take() -> [String] { lock.withLock { defer { statements = [] }; return statements } }
    }

    @Test func theArchiveFindsItsRunAmongThousandsWithoutReadingTheirDocuments() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = StatementLog()
        let store = try HistoryStore.open(path: "\(folder)/history.sqlite", createIfMissing: true,
                                          statementObserver: { log.append($0) })
        let first = try store.record(HistoryFixture.run(), document: ResultsDocument.make(from: HistoryFixture.run()))
        // 2,000 more runs, one a minute, copied from the first in one transaction.
        let count = 2_000
        try store.write("copy runs") { db in
            for index in 1...count {
                let startedAt = HistoryTime.string(HistoryFixture.baseTime.addingTimeInterval(Double(index) * 60))
                try db.execute(sql: """
                    INSERT INTO runs (started_at, ended_at, recorded_at, status, host, environment, model, users, spawn_rate, rate,
                        duration_seconds, config_hash, source, tool_version, success_rate, p95_ms, requests, failures, rps,
                        peak_users, document_json)
                    SELECT ?, ended_at, recorded_at, status, host, environment, model, users, spawn_rate, rate, duration_seconds,
                        config_hash, source, tool_version, success_rate, p95_ms, requests, failures, rps, peak_users, document_json
                    FROM runs WHERE id = ?
                    """, arguments: [startedAt, first])
            }
        }
        #expect(try store.runs(limit: 3).count == 3)
        let target = HistoryFixture.baseTime.addingTimeInterval(1_234 * 60)
        let expected = try #require(try store.read("find the run") { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM runs WHERE started_at = ?", arguments: [HistoryTime.string(target)])
        })
        _ = log.take()

        let archive = ArchiveResult(
            outcome: .created, name: "2025-06-16_08-00-00", path: "\(folder)/archive/2025-06-16_08-00-00", compressed: false,
            files: [], bytes: 0, runStartedAt: target.addingTimeInterval(0.0004), removed: [], cleanedUp: [], warnings: [],
            removalFailures: [])
        #expect(try ArchiveHistoryLink.record(archive, in: store) == expected)
        let statements = log.take()
        #expect(try store.archives(runID: expected).map(\.name) == ["2025-06-16_08-00-00"])

        // What the archive asked of the runs table: their ids by start time, never whole rows.
        let onRuns = statements.filter { $0.range(of: #"\bruns\b"#, options: .regularExpression) != nil }
        #expect(onRuns.contains { $0.contains("started_at BETWEEN") }, "\(statements)")
        for statement in onRuns {
            #expect(!statement.contains("document_json") && !statement.contains("*"), "reads whole runs: \(statement)")
        }
        // An archive of a run that is not recorded is linked to nothing.
        var unknown = archive
        unknown.runStartedAt = HistoryFixture.baseTime.addingTimeInterval(30)
        #expect(try ArchiveHistoryLink.record(unknown, in: store) == nil)
    }
}
