import Foundation
import Testing
@testable import LoadOpsKit

/// A results.json written before availability, stop reasons and the open model's rate wording
/// existed (schema_version 1, kept in Tests/Fixtures) stays readable: new data only ever goes into
/// optional fields.
@Suite(.serialized) struct StoredResultsTests {
    static let fixture = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/results-schema-1.json").path

    @Test func aStoredVersion1DocumentIsReadSummarisedImportedAndCompared() async throws {
        let document = try ResultsDocument.load(from: Self.fixture)
        #expect(document.schemaVersion == 1)
        #expect(document.availability == nil && document.stopReason == nil)
        #expect(document.load.model == "open" && document.load.users == 10)
        // Thresholds over the whole run cannot be judged on it: said, not counted against it.
        let outcomes = try ThresholdSet.parse(["aggregate": ["outage < 3s"]]).evaluate(document)
        #expect(outcomes.first?.observed == "not measured in these results")
        #expect(outcomes.first?.passed == true)

        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: "\(directory)/load_test_reports", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: "\(directory)/load_test_reports/results.json")
        let summary = try await ChildProcess.run(TestSupport.binary, ["summary", "--no-fail"], directory: directory)
        #expect(summary.status == 0, "\(summary.stderr)")
        let imported = try await ChildProcess.run(TestSupport.binary, ["import", "load_test_reports/results.json"], directory: directory)
        #expect(imported.status == 0, "\(imported.stderr)")
        let compared = try await ChildProcess.run(TestSupport.binary, ["compare", "load_test_reports", "--baseline", "1", "--no-fail"],
                                                  directory: directory)
        #expect(compared.status == 0, "\(compared.stderr)")
        #expect(compared.stdout.contains("No regression"), "\(compared.stdout)")
    }
}
