import Foundation
import Testing
@testable import LoadOpsKit

/// `loadops import` records a document once, however often (and however many at once) it is imported.
@Suite(.serialized) struct ImportDuplicateTests {
    private func runCount(_ database: String) throws -> Int {
        try HistoryStore.open(path: database, createIfMissing: false).runs().count
    }

    @Test func importingTheSameResultsTwiceRecordsThemOnce() async throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ImportCommandTests.writeResults(HistoryFixture.run(), to: folder + "/results.json")
        try ImportCommandTests.writeResults(HistoryFixture.run(start: HistoryFixture.baseTime.addingTimeInterval(60)),
                                            to: folder + "/other.json")
        _ = try LocustCSVFixture.write(in: folder)
        let binary = TestSupport.binary

        let first = try await ChildProcess.run(binary, ["import", "results.json", "locust"], directory: folder, timeout: 60)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("imported results.json as run 1"), "\(first.stdout)")
        #expect(first.stdout.contains("imported locust_stats.csv as run 2"), "\(first.stdout)")

        // Again, and once more within one command: nothing new, exit 0, and the run that holds it is named.
        let again = try await ChildProcess.run(binary, ["import", "results.json", "other.json", "results.json", "locust"],
                                               directory: folder, timeout: 60)
        #expect(again.status == 0, "\(again.stderr)")
        let lines = again.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("results.json: already recorded as run 1; nothing to do"), "\(again.stdout)")
        #expect(lines.contains("imported other.json as run 3"), "\(again.stdout)")
        #expect(lines.filter { $0.hasPrefix("results.json: already recorded as run 1") }.count == 2, "\(again.stdout)")
        #expect(lines.contains("locust_stats.csv: already recorded as run 2; nothing to do"), "\(again.stdout)")
        #expect(try runCount(folder + "/.loadops/history.sqlite") == 3)

        let list = try await ChildProcess.run(binary, ["history"], directory: folder, timeout: 30)
        #expect(list.stdout.split(separator: "\n").count == 2 + 3, "\(list.stdout)")
    }

    @Test func twoImportsOfOneFileAtOnceRecordItOnce() async throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ImportCommandTests.writeResults(HistoryFixture.run(), to: folder + "/results.json")
        for round in 1...3 {
            let children = (0..<2).map { _ in
                ChildProcess(TestSupport.binary, ["import", "results.json", "--db", "shared.sqlite"], directory: folder)
            }
            for child in children { try child.start() }
            var outputs: [String] = []
            for child in children {
                let outcome = await child.wait(timeout: 60)
                #expect(outcome.status == 0, "round \(round): \(outcome.stderr)")
                outputs.append(outcome.stdout)
            }
            #expect(try runCount(folder + "/shared.sqlite") == 1, "round \(round): \(outputs)")
            let imported = outputs.filter { $0.contains("imported results.json as run 1") }.count
            #expect(imported == (round == 1 ? 1 : 0), "round \(round): \(outputs)")
        }
    }

    @Test func theResultsOfARecordedRunAreAlreadyRecordedAndADifferentDocumentIsNot() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try HistoryStore.open(path: folder + "/history.sqlite")
        // As `loadops run` does: write the results folder, record the run.
        let result = HistoryFixture.run()
        let document = ResultsDocument.make(from: result)
        try ResultsWriter.write(result, document: document, to: folder + "/load_test_reports")
        let runID = try store.record(result, document: document)

        let written = try ResultsDocument.load(from: folder + "/load_test_reports/results.json")
        #expect(try store.recordUnlessPresent(imported: written, source: RunSource.importedResults)
                == ImportedRun(runID: runID, alreadyRecorded: true))

        // Same start time, different figures: another run.
        var edited = written
        edited.warnings.append("edited by hand")
        let other = try store.recordUnlessPresent(imported: edited, source: RunSource.importedResults)
        #expect(!other.alreadyRecorded && other.runID != runID)
        #expect(try store.runs().count == 2)
    }
}
