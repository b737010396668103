import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// A `remove` step never deletes results no archive holds: it archives them first, or refuses.
@Suite(.serialized) struct CleanupArchiveGuardTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000.25)
    static let name = "2023-11-14_22-13-20"

    /// A project with loadops.yml, a results folder from a run, and `checklists/cleanup.yml` holding `step`.
    private func project(step: String) throws -> String {
        let folder = try TestSupport.temporaryDirectory("loadops-cleanup-archive")
        try FileManager.default.createDirectory(atPath: "\(folder)/checklists", withIntermediateDirectories: true)
        try "output: load_test_reports\n".write(toFile: "\(folder)/loadops.yml", atomically: true, encoding: .utf8)
        try "steps:\n\(step)".write(toFile: "\(folder)/checklists/cleanup.yml", atomically: true, encoding: .utf8)
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start)
        return folder
    }

    private func loadops(_ arguments: [String], in folder: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await ArchiveFixture.loadops(arguments, in: folder)
    }

    @Test func theDefaultStepArchivesResultsBeforeRemovingThem() async throws {
        let folder = try project(step: "  - { name: Clear old reports, kind: remove, paths: [\"*\"] }\n")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let results = try ArchiveFixture.snapshot("\(folder)/load_test_reports").filter { ArchiveFixture.archivedNames.contains($0.key) }

        let plan = try await loadops(["cleanup", "--dry-run"], in: folder)
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("would remove 10 entries from load_test_reports, after archiving the results of the run started "
                                     + "2023-11-14T22:13:20Z (8 files) to archive/\(Self.name)/"), "\(plan.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/archive"))

        let cleaned = try await loadops(["cleanup", "--yes"], in: folder)
        #expect(cleaned.status == 0, "\(cleaned)")
        #expect(cleaned.stdout.contains("archived 8 results files to archive/\(Self.name)/ first"), "\(cleaned.stdout)")
        #expect(cleaned.stdout.contains("removed 10 entries from load_test_reports"), "\(cleaned.stdout)")
        #expect(ArchiveFixture.entries("\(folder)/load_test_reports") == [".hidden.json"])
        // The archive holds exactly what was removed, and verifies.
        let archived = try ArchiveFixture.snapshot("\(folder)/archive/\(Self.name)").filter { $0.key != "MANIFEST" }
        #expect(archived == results)
        #expect(try await loadops(["archive", "verify"], in: folder).status == 0)
    }

    @Test func refuseKeepsResultsUntilTheyAreArchived() async throws {
        let folder = try project(step: "  - { name: Clear old reports, kind: remove, paths: [\"*.csv\", \"*.json\"], unarchived: refuse }\n")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let before = try ArchiveFixture.snapshot("\(folder)/load_test_reports")

        let refused = try await loadops(["cleanup", "--yes"], in: folder)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stdout.contains("✗ Clear old reports: refused: load_test_reports holds the results of the run started "
                                        + "2023-11-14T22:13:20Z (8 files) and no archive in archive/ holds them yet"), "\(refused.stdout)")
        #expect(try ArchiveFixture.snapshot("\(folder)/load_test_reports") == before)
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/archive"))

        // Archived (by hand, or by cron), the same step removes them.
        #expect(try await loadops(["archive"], in: folder).status == 0)
        let cleaned = try await loadops(["cleanup", "--yes"], in: folder)
        #expect(cleaned.status == 0, "\(cleaned)")
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/load_test_reports/results.json"))

        // Results changed since their archive are not archived: refused again.
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start)
        try "one more line\n".write(toFile: "\(folder)/load_test_reports/load_test_stats.csv", atomically: true, encoding: .utf8)
        let changed = try await loadops(["cleanup", "--yes"], in: folder)
        #expect(changed.status == 1, "\(changed)")
        #expect(FileManager.default.fileExists(atPath: "\(folder)/load_test_reports/load_test_stats.csv"))
    }

    @Test func removingWhatHoldsNoResultsNeedsNoArchive() async throws {
        let folder = try project(step: "  - { name: Clear scratch, kind: remove, paths: [nested, \"*.yml\"], unarchived: refuse }\n")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cleaned = try await loadops(["cleanup", "--yes"], in: folder)
        #expect(cleaned.status == 0, "\(cleaned)")
        #expect(cleaned.stdout.contains("removed 2 entries"), "\(cleaned.stdout)")
        #expect(FileManager.default.fileExists(atPath: "\(folder)/load_test_reports/results.json"))
    }

    @Test func aBadOptionIsExitTwoWithTheLine() async throws {
        let folder = try project(step: "  - kind: remove\n    paths: [\"*\"]\n    unarchived: delete\n")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let bad = try await loadops(["cleanup", "--yes"], in: folder)
        #expect(bad.status == 2, "\(bad)")
        #expect(bad.stderr.contains("cleanup.yml:4:17"), "\(bad.stderr)")
        #expect(bad.stderr.contains("expected archive (archive the results first) or refuse (fail the step), got \"delete\""), "\(bad.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(folder)/load_test_reports/results.json"))
    }

    /// `loadops run --cleanup` with the template's step: each run's results are archived before the next run clears them.
    @Test func runWithCleanupArchivesThePreviousRunsResults() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let folder = try TestSupport.temporaryDirectory("loadops-cleanup-run")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            try FileManager.default.createDirectory(atPath: "\(folder)/checklists", withIntermediateDirectories: true)
            try """
                host: http://127.0.0.1:\(server.port)
                load: { users: 2, spawn_rate: 100, duration: 1s }
                endpoints: ["get /sessions/{uuid}"]
                """.write(toFile: "\(folder)/loadops.yml", atomically: true, encoding: .utf8)
            let template = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("checklists/cleanup.yml"), encoding: .utf8)
            let removeStep = try #require(template.range(of: "  - name: Clear old reports"))
            try ("steps:\n" + template[removeStep.lowerBound...]).write(toFile: "\(folder)/checklists/cleanup.yml", atomically: true, encoding: .utf8)

            let first = try await loadops(["run", "--no-history"], in: folder)
            #expect(first.status == 0, "\(first)")
            let firstResults = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/load_test_reports/results.json"))
            let firstStart = try ResultsDocument.load(from: "\(folder)/load_test_reports/results.json").startedAt

            let second = try await loadops(["run", "--cleanup", "--yes", "--no-history"], in: folder)
            #expect(second.status == 0, "\(second)")
            let archived = "\(folder)/archive/\(ArchiveName(startedAt: firstStart))/results.json"
            #expect(try Data(contentsOf: URL(fileURLWithPath: archived)) == firstResults, "\(second.stdout)")
            #expect(try ResultsDocument.load(from: "\(folder)/load_test_reports/results.json").startedAt > firstStart)
        } catch {
            try? await server.stop()
            throw error
        }
        try await server.stop()
    }
}
