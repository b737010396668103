import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import LoadOpsKit

/// `loadops archive` as cron runs it: the built binary, in its own working folder.
@Suite struct ArchiveCommandTests {
    static let start = Date(timeIntervalSince1970: 1_700_000_000.25)
    static let name = "2023-11-14_22-13-20"

    private func workspace() throws -> String {
        let folder = try TestSupport.temporaryDirectory("loadops-archive-cli")
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start)
        return folder
    }

    private func archive(_ arguments: [String], in folder: String, environment: [String: String] = [:]) async throws
        -> (status: Int32, stdout: String, stderr: String) {
        try await ArchiveFixture.loadops(["archive"] + arguments, in: folder, environment: environment)
    }

    @Test func twoArchivesStartedAtOnceMakeExactlyOne() async throws {
        let folder = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The pause keeps the first one inside its lock long enough for the second to run into it.
        let children = (0..<2).map { _ in
            ChildProcess(TestSupport.binary, ["archive"], directory: folder,
                         environment: ArchiveFixture.environment([ArchivePause.variable: "1500"]))
        }
        for child in children { try child.start() }
        var outputs: [(status: Int32, stdout: String, stderr: String)] = []
        for child in children { outputs.append(await child.wait(timeout: 60)) }

        #expect(outputs.map(\.status) == [0, 0], "\(outputs)")
        #expect(outputs.filter { $0.stdout.hasPrefix("Archived 8 files") }.count == 1, "\(outputs)")
        #expect(outputs.filter { $0.stdout.hasPrefix("Already archived: archive/\(Self.name)/") }.count == 1, "\(outputs)")
        #expect(ArchiveFixture.entries("\(folder)/archive") == [".lock", Self.name])
        #expect(try await archive(["verify"], in: folder).status == 0)
    }

    @Test func noWaitFailsAtOnceWhileAnotherArchiveHoldsTheLock() async throws {
        let folder = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = ChildProcess(TestSupport.binary, ["archive"], directory: folder,
                                 environment: ArchiveFixture.environment([ArchivePause.variable: "8000"]))
        try first.start()
        let staging = await ArchiveFixture.waitUntil(timeout: 20) { !ArchiveFixture.stagingEntries("\(folder)/archive").isEmpty }
        #expect(staging, "the first archive never started staging")

        let startedWaiting = Date()
        let second = try await archive(["--no-wait"], in: folder)
        #expect(second.status == 1)
        #expect(second.stderr.contains("another loadops archive is running"), "\(second.stderr)")
        #expect(second.stdout.isEmpty)
        #expect(Date().timeIntervalSince(startedWaiting) < 5)

        let firstResult = await first.wait(timeout: 60)
        #expect(firstResult.status == 0, "\(firstResult)")
        #expect(ArchiveFixture.archiveEntries("\(folder)/archive") == [Self.name])
    }

    @Test func anArchiveKilledMidwayLeavesNothingVerifyAcceptsAndTheNextRunCleansUp() async throws {
        let folder = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let root = "\(folder)/archive"
        let victim = ChildProcess(TestSupport.binary, ["archive"], directory: folder,
                                  environment: ArchiveFixture.environment([ArchivePause.variable: "30000"]))
        try victim.start()
        // Wait until everything is copied and the manifest written: the moment just before the rename.
        let copied = await ArchiveFixture.waitUntil(timeout: 20) {
            ArchiveFixture.stagingEntries(root).contains { staging in
                FileManager.default.fileExists(atPath: "\(root)/\(staging)/\(Self.name)/MANIFEST")
            }
        }
        #expect(copied, "the archive never finished copying into its staging folder")
        victim.signal(SIGKILL)
        let killed = await victim.wait(timeout: 10)
        #expect(killed.status == 128 + SIGKILL)

        let leftovers = ArchiveFixture.stagingEntries(root)
        #expect(leftovers == [".staging-\(Self.name)-\(victim.pid)"])
        #expect(ArchiveFixture.archiveEntries(root).isEmpty)
        let verifyNewest = try await archive(["verify"], in: folder)
        #expect(verifyNewest.status == 1)
        #expect(verifyNewest.stderr.contains("no archives in archive"), "\(verifyNewest.stderr)")
        let verifyNamed = try await archive(["verify", Self.name], in: folder)
        #expect(verifyNamed.status == 1)
        for leftover in leftovers {
            #expect(try await archive(["verify", leftover], in: folder).status != 0)
        }

        let next = try await archive([], in: folder)
        #expect(next.status == 0, "\(next)")
        #expect(next.stdout.contains("Cleaned up archive/.staging-\(Self.name)-\(victim.pid)"), "\(next.stdout)")
        #expect(next.stdout.contains("Archived 8 files"), "\(next.stdout)")
        #expect(ArchiveFixture.entries(root) == [".lock", Self.name])
        #expect(try await archive(["verify"], in: folder).status == 0)
    }

    @Test(.enabled(if: SmallTmpfs.isAvailable, "cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN), so a full disk cannot be made"))
    func aFullDiskFailsWithExitOneAndLeavesTheResultsAlone() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-archive-full")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = try SmallTmpfs()
        defer { disk.unmount() }

        // 1.5 MiB of results cannot fit on a 1 MiB disk.
        try ArchiveFixture.resultsFolder(in: folder, startedAt: Self.start, logBytes: 1_536 * 1024)
        let before = try ArchiveFixture.snapshot("\(folder)/load_test_reports")
        let full = try await archive(["--dest", disk.path], in: folder)
        #expect(full.status == 1, "\(full)")
        #expect(full.stderr.contains("No space left on device"), "\(full.stderr)")
        #expect(full.stdout.isEmpty)
        #expect(try ArchiveFixture.snapshot("\(folder)/load_test_reports") == before)
        #expect(ArchiveFixture.entries(disk.path) == [".lock"])

        // 600 KiB fit once, but not twice: the copy succeeds and the tarball runs out of room.
        let second = "\(folder)/second"
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        try ArchiveFixture.resultsFolder(in: second, startedAt: Self.start, logBytes: 600 * 1024)
        let secondBefore = try ArchiveFixture.snapshot("\(second)/load_test_reports")
        let compressed = try await archive(["--dest", disk.path, "--compress"], in: second)
        #expect(compressed.status == 1, "\(compressed)")
        #expect(compressed.stderr.contains("tar"), "\(compressed.stderr)")
        #expect(try ArchiveFixture.snapshot("\(second)/load_test_reports") == secondBefore)
        #expect(ArchiveFixture.entries(disk.path) == [".lock"])
        #expect(try await archive(["verify", "--dest", disk.path], in: folder).status == 1)
    }

    @Test func quietPrintsNothingOnSuccessAndTheConfigNamesTheResultsFolder() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-archive-quiet")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ArchiveFixture.resultsFolder(in: folder, name: "nightly", startedAt: Self.start)
        let environment = ["LOAD_TEST_OUTPUT": "nightly"]

        let dry = try await archive(["--dry-run", "--keep-days", "30"], in: folder, environment: environment)
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("Would archive 8 files ("), "\(dry.stdout)")
        #expect(dry.stdout.contains("from nightly to archive/\(Self.name)/"), "\(dry.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "\(folder)/archive"))

        let quiet = try await archive(["--quiet", "--keep-days", "30"], in: folder, environment: environment)
        #expect(quiet.status == 0)
        #expect(quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet)")
        #expect(ArchiveFixture.archiveEntries("\(folder)/archive") == [Self.name])
        let again = try await archive(["-q"], in: folder, environment: environment)
        #expect(again.status == 0)
        #expect(again.stdout.isEmpty && again.stderr.isEmpty, "\(again)")
        let verify = try await archive(["verify", "--quiet"], in: folder)
        #expect(verify.status == 0 && verify.stdout.isEmpty && verify.stderr.isEmpty, "\(verify)")
        // The subcommand's own --dest, not the default root.
        let elsewhere = try await archive(["verify", "--dest", "elsewhere"], in: folder)
        #expect(elsewhere.status == 1)
        #expect(elsewhere.stderr.contains("no archives in elsewhere"), "\(elsewhere.stderr)")
    }

    @Test func errorsGoToStandardErrorWithExitOneAndBadUsageExitsTwo() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-archive-errors")
        defer { try? FileManager.default.removeItem(atPath: folder) }

        let missing = try await archive(["--quiet"], in: folder)
        #expect(missing.status == 1)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr.contains("results folder load_test_reports does not exist"), "\(missing.stderr)")

        for arguments in [["--keep-days", "soon"], ["--keep-last", "-3"], ["--keep-last=-3"], ["--bogus"], ["verify", "not-a-name"]] {
            let result = try await archive(arguments, in: folder)
            #expect(result.status == 2, "\(arguments): \(result)")
            #expect(!result.stderr.isEmpty)
        }
        let unknown = try await archive(["verify", "2020-01-01_00-00-00"], in: folder)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no archive named 2020-01-01_00-00-00"), "\(unknown.stderr)")
    }

    @Test func verifyExitsOneOnAChangedByte() async throws {
        let folder = try workspace()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try await archive(["--compress"], in: folder).status == 0)
        #expect(try await archive([], in: folder).stdout.hasPrefix("Already archived: archive/\(Self.name).tar.gz"))
        try FileManager.default.removeItem(atPath: "\(folder)/archive/\(Self.name).tar.gz")
        #expect(try await archive([], in: folder).status == 0)
        let intact = try await archive(["verify", Self.name], in: folder)
        #expect(intact.status == 0)
        #expect(intact.stdout.contains("intact, all 8 files match the MANIFEST"), "\(intact.stdout)")

        let path = "\(folder)/archive/\(Self.name)/load_test_stats.csv"
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[data.startIndex + data.count / 2] ^= 0x20
        try data.write(to: URL(fileURLWithPath: path))
        let changed = try await archive(["verify"], in: folder)
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("changed: load_test_stats.csv: SHA-256"), "\(changed.stderr)")
        #expect(changed.stderr.contains("1 problem against the MANIFEST"), "\(changed.stderr)")
    }
}
