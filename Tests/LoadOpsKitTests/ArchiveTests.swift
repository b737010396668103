import Foundation
import Testing
@testable import LoadOpsKit

@Suite struct SHA256HasherTests {
    private func hex(_ text: String) -> String {
        SHA256Hasher.hash(Data(text.utf8))
    }

    /// The examples of FIPS 180-4 (NIST's "SHA256.pdf" and "SHA2_Additional.pdf").
    @Test func matchesTheStandardsExamples() {
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu")
            == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func oneMillionAsFedInUnevenPieces() {
        var hasher = SHA256Hasher()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 997)
        var fed = 0
        while fed < 1_000_000 {
            let count = min(piece.count, 1_000_000 - fed)
            hasher.update(Array(piece[0..<count]))
            fed += count
        }
        #expect(hasher.finalizeHex() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func finalizingLeavesTheHasherAsItWas() {
        var hasher = SHA256Hasher()
        hasher.update(Data("ab".utf8))
        _ = hasher.finalize()
        hasher.update(Data("c".utf8))
        #expect(hasher.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Lengths around the padding boundaries (55/56/64 bytes), checked against coreutils' sha256sum.
    @Test func agreesWithSha256sumAroundPaddingBoundaries() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-sha")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lengths = [1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 70_001]
        var generator = SystemRandomNumberGenerator()
        var expected: [String: String] = [:]
        for length in lengths {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let path = "\(folder)/\(length).bin"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            expected[path] = SHA256Hasher.hash(Data(bytes))
            #expect(try ArchiveFileSystem.hashFile(path).sha256 == expected[path])
            #expect(try ArchiveFileSystem.hashFile(path).size == Int64(length))
        }
        let result = try await ChildProcess.run("/usr/bin/env", ["sha256sum"] + lengths.map { "\(folder)/\($0).bin" })
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == lengths.count)
        for line in lines {
            let parts = line.split(separator: " ", maxSplits: 1)
            let path = String(parts[1].drop { $0 == " " || $0 == "*" })
            #expect(expected[path] == String(parts[0]), "\(path)")
        }
    }
}

@Suite struct ArchiveNameTests {
    @Test func namesTheRunAfterItsStartInUTC() {
        // 1_700_000_000.25 is 2023-11-14T22:13:20.250Z.
        let name = ArchiveName(startedAt: Date(timeIntervalSince1970: 1_700_000_000.25))
        #expect(name.description == "2023-11-14_22-13-20")
        #expect(name.withSequence(3).description == "2023-11-14_22-13-20-3")
        #expect(name.date == Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test func readsOnlyWhatItWrites() {
        #expect(ArchiveName("2023-11-14_22-13-20")?.sequence == 1)
        #expect(ArchiveName("2023-11-14_22-13-20-2")?.sequence == 2)
        #expect(ArchiveName("2023-11-14_22-13-20-12")?.date == Date(timeIntervalSince1970: 1_700_000_000))
        for bad in ["2023-02-30_00-00-00", "2023-11-14_22-13-20-1", "2023-11-14_22-13-20-02", "2023-11-14_22-13-20-",
                    "2023-11-14 22-13-20", "2023-11-14_22-13", ".staging-2023-11-14_22-13-20-99", "2023-11-14_22-13-20.tar.gz",
                    "2023-11-14_24-00-00", "notes", ".gitkeep", ".lock"] {
            #expect(ArchiveName(bad) == nil, "\(bad)")
        }
        #expect(ArchiveName("2023-11-14_22-13-20")! < ArchiveName("2023-11-14_22-13-20-2")!)
        #expect(ArchiveName("2023-11-14_22-13-20-9")! < ArchiveName("2023-11-14_22-13-21")!)
    }
}

@Suite struct ArchiveManifestTests {
    @Test func roundTripsAndRejectsWhatIsNotAManifest() throws {
        let started = Date(timeIntervalSince1970: 1_700_000_000.25)
        let manifest = ArchiveManifest(runStartedAt: started, source: "load_test_reports", entries: [
            .init(name: "results.json", size: 3, sha256: String(repeating: "a", count: 64)),
            .init(name: "a file with spaces.csv", size: 0, sha256: String(repeating: "0", count: 64)),
        ])
        let text = manifest.rendered()
        #expect(text.hasPrefix("# loadops archive manifest 2\n# run-started-at: 2023-11-14T22:13:20.250Z\n"))
        // sha256sum's own line, with the size on a comment line it skips.
        #expect(text.contains("\n\(String(repeating: "a", count: 64))  results.json\n"))
        #expect(text.contains("\n# size: 3  results.json\n"))
        #expect(try ArchiveManifest.parse(text, path: "M") == manifest)

        let line = "\(String(repeating: "a", count: 64))  3  results.json"
        #expect(throws: ArchiveError.self) { try ArchiveManifest.parse("not a manifest\n", path: "M") }
        #expect(throws: ArchiveError.self) { try ArchiveManifest.parse("# loadops archive manifest 1\nabc  3  x.csv\n", path: "M") }
        #expect(throws: ArchiveError.self) { try ArchiveManifest.parse("# loadops archive manifest 1\n\(line)\n\(line)\n", path: "M") }
        #expect(throws: ArchiveError.self) {
            try ArchiveManifest.parse("# loadops archive manifest 1\n\(String(repeating: "a", count: 64))  3  ../etc/passwd\n", path: "M")
        }
        do {
            _ = try ArchiveManifest.parse("# loadops archive manifest 1\n\(String(repeating: "a", count: 64))  x  a.csv\n", path: "M")
            Issue.record("a size that is not a number was accepted")
        } catch {
            #expect(error.description.contains("M, line 2"))
        }
    }
}

@Suite struct ResultsArchiverTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000.25)

    private func workspace() throws -> (folder: String, output: String, root: String) {
        let folder = try TestSupport.temporaryDirectory("loadops-archive")
        return (folder, "\(folder)/load_test_reports", "\(folder)/archive")
    }

    @Test func copiesTheResultsFilesWithAManifestUnderTheRunsStartTime() throws {
        let (folder, output, root) = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start)

        let result = try ResultsArchiver.archive(ArchiveOptions(outputFolder: output, archiveRoot: root))
        #expect(result.outcome == .created)
        #expect(result.name == "2023-11-14_22-13-20")
        #expect(result.path == "\(root)/2023-11-14_22-13-20")
        #expect(result.runStartedAt == Self.start)
        #expect(result.files.map(\.name) == ArchiveFixture.archivedNames)
        #expect(ArchiveFixture.entries(result.path) == (ArchiveFixture.archivedNames + ["MANIFEST"]).sorted())
        #expect(ArchiveFixture.entries(root) == [".lock", "2023-11-14_22-13-20"])

        let manifest = try ArchiveManifest.parse(String(contentsOfFile: "\(result.path)/MANIFEST", encoding: .utf8), path: "MANIFEST")
        #expect(manifest.runStartedAt == Self.start)
        var total: Int64 = 0
        for entry in manifest.entries {
            let original = try Data(contentsOf: URL(fileURLWithPath: "\(output)/\(entry.name)"))
            let copy = try Data(contentsOf: URL(fileURLWithPath: "\(result.path)/\(entry.name)"))
            #expect(copy == original, "\(entry.name)")
            #expect(entry.size == Int64(original.count))
            #expect(entry.sha256 == SHA256Hasher.hash(original))
            total += entry.size
        }
        #expect(result.bytes == total)
        #expect(try ArchiveInspection.verify(root: root, name: nil).isIntact)
    }

    @Test func archivingTheSameResultsAgainIsANoOpAndDifferentResultsGetASuffix() throws {
        let (folder, output, root) = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start)
        let options = ArchiveOptions(outputFolder: output, archiveRoot: root)

        let first = try ResultsArchiver.archive(options)
        let again = try ResultsArchiver.archive(options)
        #expect(again.outcome == .alreadyArchived)
        #expect(again.path == first.path)
        #expect(ArchiveFixture.archiveEntries(root) == ["2023-11-14_22-13-20"])

        // Same start second, different log: a second archive beside the first, never over it.
        try "another log\n".write(toFile: "\(output)/load_test.log", atomically: true, encoding: .utf8)
        let second = try ResultsArchiver.archive(options)
        #expect(second.outcome == .created)
        #expect(second.name == "2023-11-14_22-13-20-2")
        #expect(try ArchiveInspection.verify(root: root, name: "2023-11-14_22-13-20").isIntact)
        #expect(try ArchiveInspection.verify(root: root, name: "2023-11-14_22-13-20-2").isIntact)
        #expect(try ResultsArchiver.archive(options).outcome == .alreadyArchived)
        #expect(ArchiveFixture.archiveEntries(root) == ["2023-11-14_22-13-20", "2023-11-14_22-13-20-2"])
    }

    @Test func withoutResultsJSONTheNewestFileNamesTheArchive() throws {
        let (folder, output, root) = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start)
        try FileManager.default.removeItem(atPath: "\(output)/results.json")
        let older = Date(timeIntervalSince1970: 1_600_000_000)
        let newest = Date(timeIntervalSince1970: 1_650_000_000.5)
        for name in try FileManager.default.contentsOfDirectory(atPath: output) {
            try FileManager.default.setAttributes([.modificationDate: older], ofItemAtPath: "\(output)/\(name)")
        }
        try FileManager.default.setAttributes([.modificationDate: newest], ofItemAtPath: "\(output)/summary.md")

        let result = try ResultsArchiver.archive(ArchiveOptions(outputFolder: output, archiveRoot: root))
        #expect(result.name == ArchiveName(startedAt: newest).description)
        #expect(result.name == "2022-04-15_05-20-00")
        #expect(result.warnings.isEmpty)
        // Copies keep the source's modification time.
        let copied = try FileManager.default.attributesOfItem(atPath: "\(result.path)/summary.md")[.modificationDate] as? Date
        #expect(copied.map { abs($0.timeIntervalSince(newest)) < 0.001 } == true)
    }

    @Test func anArchiveRootThatIsASymbolicLinkWorksLikeAFolder() throws {
        let (folder, output, root) = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: "\(folder)/big-disk", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root, withDestinationPath: "\(folder)/big-disk")
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start.addingTimeInterval(-10 * 86_400))
        let old = try ResultsArchiver.archive(ArchiveOptions(outputFolder: output, archiveRoot: root))
        #expect(old.outcome == .created)
        try FileManager.default.removeItem(atPath: output)
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start)
        let options = ArchiveOptions(outputFolder: output, archiveRoot: root, keepLast: 1)
        #expect(try ResultsArchiver.archive(options).removed == [old.path])
        #expect(try ResultsArchiver.archive(options).outcome == .alreadyArchived)
        #expect(ArchiveFixture.archiveEntries("\(folder)/big-disk") == ["2023-11-14_22-13-20"])
        #expect(try ArchiveInspection.verify(root: root, name: nil).isIntact)
    }

    @Test func aMissingOrEmptyResultsFolderIsAnError() throws {
        let (folder, output, root) = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: ArchiveError.outputFolderMissing(output)) {
            try ResultsArchiver.archive(ArchiveOptions(outputFolder: output, archiveRoot: root))
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        try "x".write(toFile: "\(output)/demo-loadops.yml", atomically: true, encoding: .utf8)
        #expect(throws: ArchiveError.noResults(folder: output)) {
            try ResultsArchiver.archive(ArchiveOptions(outputFolder: output, archiveRoot: root))
        }
        #expect(!FileManager.default.fileExists(atPath: root))
    }

    @Test func compressWritesATarballThatVerifyReadsAndThatCountsAsArchived() async throws {
        let (folder, output, root) = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start)
        let options = ArchiveOptions(outputFolder: output, archiveRoot: root, compress: true)

        let result = try ResultsArchiver.archive(options)
        #expect(result.outcome == .created)
        #expect(result.compressed)
        #expect(result.path == "\(root)/2023-11-14_22-13-20.tar.gz")
        #expect(ArchiveFixture.entries(root) == [".lock", "2023-11-14_22-13-20.tar.gz"])
        let listing = try await ChildProcess.run("/usr/bin/env", ["tar", "-tzf", result.path])
        let members = Set(listing.stdout.split(separator: "\n").map(String.init))
        #expect(members == Set((ArchiveFixture.archivedNames + ["MANIFEST"]).map { "2023-11-14_22-13-20/\($0)" } + ["2023-11-14_22-13-20/"]))

        let verification = try ArchiveInspection.verify(root: root, name: nil)
        #expect(verification.isIntact)
        #expect(verification.compressed)
        #expect(verification.listed == ArchiveFixture.archivedNames.count)
        #expect(try ResultsArchiver.archive(options).outcome == .alreadyArchived)
        #expect(try ResultsArchiver.archive(ArchiveOptions(outputFolder: output, archiveRoot: root)).outcome == .alreadyArchived)

        // Repack with one byte of the CSV changed: verify must see it inside the tarball.
        let scratch = "\(folder)/repack"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        #expect(try await ChildProcess.run("/usr/bin/env", ["tar", "-xzf", result.path, "-C", scratch]).status == 0)
        try flipFirstByte(of: "\(scratch)/2023-11-14_22-13-20/load_test_stats.csv")
        try FileManager.default.removeItem(atPath: result.path)
        #expect(try await ChildProcess.run("/usr/bin/env", ["tar", "-czf", result.path, "-C", scratch, "2023-11-14_22-13-20"]).status == 0)
        let changed = try ArchiveInspection.verify(root: root, name: "2023-11-14_22-13-20.tar.gz")
        #expect(!changed.isIntact)
        #expect(changed.changed.map(\.name) == ["load_test_stats.csv"])
    }

    private func flipFirstByte(of path: String) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[data.startIndex] ^= 0x01
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test func verifyCatchesAChangedByteAMissingFileAndAnExtraFile() throws {
        let (folder, output, root) = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start)
        let result = try ResultsArchiver.archive(ArchiveOptions(outputFolder: output, archiveRoot: root))
        #expect(try ArchiveInspection.verify(root: root, name: result.name).isIntact)

        // One bit of one byte, same size: only the hash can tell.
        try flipFirstByte(of: "\(result.path)/results.json")
        var verification = try ArchiveInspection.verify(root: root, name: nil)
        #expect(!verification.isIntact)
        #expect(verification.changed.map(\.name) == ["results.json"])
        #expect(verification.changed.first?.actualSize == verification.changed.first?.expected.size)
        #expect(verification.missing.isEmpty && verification.extra.isEmpty)

        try FileManager.default.removeItem(atPath: "\(result.path)/summary.md")
        try "new".write(toFile: "\(result.path)/added.csv", atomically: true, encoding: .utf8)
        verification = try ArchiveInspection.verify(root: root, name: result.name)
        #expect(verification.missing == ["summary.md"])
        #expect(verification.extra == ["added.csv"])

        try FileManager.default.removeItem(atPath: "\(result.path)/MANIFEST")
        #expect(throws: ArchiveError.self) { try ArchiveInspection.verify(root: root, name: result.name) }
        #expect(throws: ArchiveError.noArchives(root: root)) { try ArchiveInspection.verify(root: root, name: nil) }
        #expect(throws: ArchiveError.notAnArchiveName("notes")) { try ArchiveInspection.verify(root: root, name: "notes") }
        #expect(throws: ArchiveError.archiveNotFound(name: "2020-01-01_00-00-00", root: root)) {
            try ArchiveInspection.verify(root: root, name: "2020-01-01_00-00-00")
        }
    }

    @Test func leftoverStagingIsRemovedOnlyWhenItsProcessIsGoneOrItIsOverAnHourOld() throws {
        let folder = try TestSupport.temporaryDirectory("loadops-staging")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let deadPID: Int32 = 4_194_305  // above Linux's largest pid_max, so no process has it
        let livePID: Int32 = 1
        let names = [
            ".staging-2023-11-14_22-13-20-\(deadPID)",
            ".staging-2023-11-14_22-13-20-\(deadPID).tar.gz",
            ".staging-2023-11-14_22-13-21-\(livePID)",
            ".staging-2023-11-14_22-13-22-\(livePID)",
            ".staging-notes",
            ".lock",
        ]
        for name in names where !name.hasSuffix(".tar.gz") && name != ".lock" {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(name)/inner", withIntermediateDirectories: true)
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: "\(folder)/\(names[1])"))
        try Data().write(to: URL(fileURLWithPath: "\(folder)/.lock"))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: "\(folder)/\(names[3])")

        var warnings: [String] = []
        let removed = ResultsArchiver.removeLeftoverStaging(root: folder, now: Date(), warnings: &warnings)
        #expect(Set(removed) == Set([names[0], names[1], names[3]].map { "\(folder)/\($0)" }))
        #expect(ArchiveFixture.entries(folder) == [".lock", ".staging-2023-11-14_22-13-21-1", ".staging-notes"])
        #expect(warnings.isEmpty)
    }
}

@Suite struct ArchiveRetentionTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let day: Double = 86_400

    /// Archives of runs 1, 5, 10, 40 and 100 days before `now` (the 40-day one compressed), and
    /// things that only look like archives: a stamped folder without a MANIFEST, a stamped
    /// `.tar.gz` that is not ours, an ordinary folder and `.gitkeep`.
    private func populatedRoot() throws -> (folder: String, root: String, archives: [Double: String]) {
        let folder = try TestSupport.temporaryDirectory("loadops-retention")
        let root = "\(folder)/archive"
        var archives: [Double: String] = [:]
        for days in [1.0, 5, 10, 40, 100] {
            let output = try ArchiveFixture.resultsFolder(in: folder, name: "run-\(Int(days))", startedAt: Self.now.addingTimeInterval(-days * Self.day))
            let result = try ResultsArchiver.archive(ArchiveOptions(outputFolder: output, archiveRoot: root, compress: days == 40))
            archives[days] = (result.path as NSString).lastPathComponent
        }
        try FileManager.default.createDirectory(atPath: "\(root)/2000-01-01_00-00-00", withIntermediateDirectories: true)
        try "no manifest here".write(toFile: "\(root)/2000-01-01_00-00-00/notes.txt", atomically: true, encoding: .utf8)
        try Data("not a tarball".utf8).write(to: URL(fileURLWithPath: "\(root)/2000-01-02_00-00-00.tar.gz"))
        try FileManager.default.createDirectory(atPath: "\(root)/notes", withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: "\(root)/.gitkeep"))
        return (folder, root, archives)
    }

    private static let bystanders = [".gitkeep", ".lock", "2000-01-01_00-00-00", "2000-01-02_00-00-00.tar.gz", "notes"]

    /// Archives a new run that started `startedDaysAgo` days before `now` with the given retention
    /// and returns which of the 1/5/10/40/100-day archives are left (and the new one's name).
    private func retain(
        keepDays: Int? = nil, keepLast: Int? = nil, startedDaysAgo: Double = 0.01, dryRun: Bool = false
    ) throws -> (left: [Double], new: String, removed: Int, bystandersLeft: Bool) {
        let (folder, root, archives) = try populatedRoot()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let output = try ArchiveFixture.resultsFolder(in: folder, name: "new-run", startedAt: Self.now.addingTimeInterval(-startedDaysAgo * Self.day))
        let result = try ResultsArchiver.archive(ArchiveOptions(
            outputFolder: output, archiveRoot: root, keepDays: keepDays, keepLast: keepLast, dryRun: dryRun, now: Self.now))
        let entries = ArchiveFixture.entries(root)
        let left = archives.filter { entries.contains($0.value) }.map(\.key).sorted()
        let newLeft = entries.contains((result.path as NSString).lastPathComponent)
        #expect(newLeft != dryRun)
        return (left, result.name, result.removed.count, Self.bystanders.allSatisfy(entries.contains))
    }

    @Test func keepLastKeepsTheNewestIncludingTheOneJustMade() throws {
        let kept = try retain(keepLast: 2)
        #expect(kept.left == [1])
        #expect(kept.removed == 4)
        #expect(kept.bystandersLeft)
    }

    @Test func keepDaysKeepsRunsThatStartedWithinThatManyDays() throws {
        let kept = try retain(keepDays: 7)
        #expect(kept.left == [1, 5])
        #expect(kept.removed == 3)
        #expect(kept.bystandersLeft)
    }

    @Test func bothFlagsKeepWhatEitherKeeps() throws {
        let kept = try retain(keepDays: 7, keepLast: 4)
        #expect(kept.left == [1, 5, 10])
        #expect(kept.bystandersLeft)
        // keep-days alone would keep three; keep-last alone two: together still the union.
        let moreDays = try retain(keepDays: 50, keepLast: 2)
        #expect(moreDays.left == [1, 5, 10, 40])
    }

    @Test func theArchiveJustMadeIsKeptEvenWhenTheRulesWouldNot() throws {
        let zero = try retain(keepLast: 0)
        #expect(zero.left.isEmpty)
        #expect(zero.removed == 5)
        #expect(zero.bystandersLeft)
        // A run older than everything else, with keep-days 7: it stays, the rest older than 7 days go.
        let old = try retain(keepDays: 7, startedDaysAgo: 200)
        #expect(old.left == [1, 5])
        #expect(old.bystandersLeft)
    }

    @Test func dryRunReportsTheSameAndChangesNothing() throws {
        let (folder, root, _) = try populatedRoot()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let before = try ArchiveFixture.snapshot(root)
        let output = try ArchiveFixture.resultsFolder(in: folder, name: "new-run", startedAt: Self.now.addingTimeInterval(-60))
        let result = try ResultsArchiver.archive(ArchiveOptions(
            outputFolder: output, archiveRoot: root, keepDays: 7, dryRun: true, now: Self.now))
        #expect(result.outcome == .dryRun(wouldCreate: true))
        #expect(result.path == "\(root)/\(ArchiveName(startedAt: Self.now.addingTimeInterval(-60)))")
        #expect(result.removed.map { ($0 as NSString).lastPathComponent }.sorted()
            == [ArchiveName(startedAt: Self.now.addingTimeInterval(-100 * Self.day)).description + "",
                ArchiveName(startedAt: Self.now.addingTimeInterval(-10 * Self.day)).description,
                ArchiveName(startedAt: Self.now.addingTimeInterval(-40 * Self.day)).description + ".tar.gz"].sorted())
        #expect(try ArchiveFixture.snapshot(root) == before)
        #expect(ArchiveFixture.stagingEntries(root).isEmpty)
    }
}
