import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops archive` (which is `loadops archive create`) and `loadops archive verify`. The flags live
/// on the subcommands: an option on this parent would swallow the subcommand's option of the
/// same name (`--dest`, `--quiet`).
struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Copy the results into archive/YYYY-MM-DD_HH-MM-SS/ with a MANIFEST; safe to run from cron.",
        discussion: """
            `loadops archive [options]` is `loadops archive create [options]`: see \
            `loadops archive create --help` for the options (--output, --dest, --keep-days, \
            --keep-last, --dry-run, --compress, --no-wait, --quiet), and \
            `loadops archive verify --help`.
            """,
        subcommands: [ArchiveCreateCommand.self, ArchiveVerifyCommand.self],
        defaultSubcommand: ArchiveCreateCommand.self
    )
}

struct ArchiveCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Copy the results into archive/YYYY-MM-DD_HH-MM-SS/ with a MANIFEST (the default).",
        discussion: """
            Copies the regular *.html, *.csv, *.json, *.md files and load_test.log of the results \
            folder (not subfolders) into a folder named after the run's start time in UTC (from \
            results.json; the newest file's time without one), with a MANIFEST giving each file's \
            SHA-256 as sha256sum writes it (`sha256sum -c MANIFEST` checks it) and its size on a \
            comment line. Files are opened without following symbolic links, and a file swapped \
            after it was chosen is refused. The archive is written into a hidden staging folder and renamed into \
            place, so it is whole or absent; a lock makes a second archive wait (or fail with \
            --no-wait); results already archived are a no-op. Retention: an archive is kept when \
            --keep-days or --keep-last keeps it; the one just made is always kept, and only folders \
            named like an archive with a MANIFEST, or NAME.tar.gz files holding one, are ever removed.

            Exit codes: 0 archived (or already archived), 1 it could not be done (nothing half-written \
            is left), 2 bad usage.
            """
    )

    /// Test-only: milliseconds to sleep after copying and before renaming the archive into place,
    /// so the tests can SIGKILL an archive at its most delicate moment. Not for normal use.
    static let pauseVariable = "LOADOPS_ARCHIVE_PAUSE_AFTER_COPY_MS"
    static let lockTimeoutSeconds: Double = 60

    @Option(
        name: [.short, .customLong("config")],
        help: ArgumentHelp("Configuration file whose `output` is the results folder (default: loadops.yml, if there is one).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Results folder to archive (default: the configuration's output, load_test_reports).", valueName: "folder"))
    var output: String?

    @Option(help: ArgumentHelp("Archive root.", valueName: "folder"))
    var dest: String = "archive"

    @Option(help: ArgumentHelp("Keep archives of runs that started less than N days ago; remove older ones.", valueName: "n"))
    var keepDays: Int?

    @Option(help: ArgumentHelp("Keep the N newest archives; remove older ones.", valueName: "n"))
    var keepLast: Int?

    @Flag(help: "Show what would be archived and removed; change nothing.")
    var dryRun = false

    @Flag(help: "Write archive/NAME.tar.gz instead of a folder.")
    var compress = false

    @Flag(name: .customLong("no-wait"), help: "Exit 1 at once if another archive is running, instead of waiting up to 60 s.")
    var noWait = false

    @Flag(name: .shortAndLong, help: "Print nothing on success (for cron); trouble still goes to stderr.")
    var quiet = false

    @Option(help: ArgumentHelp("History database the archive is recorded in, when it exists.", valueName: "path"))
    var db = HistoryDefaults.databasePath

    func validate() throws {
        if let keepDays, keepDays < 0 {
            throw ValidationError("--keep-days expects a whole number of days, 0 or more, got \(keepDays)")
        }
        if let keepLast, keepLast < 0 {
            throw ValidationError("--keep-last expects a whole number of archives, 0 or more, got \(keepLast)")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        // `output:` and the flags may say `~/…`, as `loadops run` allows: the same resolver reads them all.
        let outputFolder: String
        if let output {
            outputFolder = UserPath.expandingHome(output)
        } else {
            do {
                outputFolder = UserPath.expandingHome(try ConfigLoader.load(
                    path: config, environment: environment, overrides: ConfigOverrides(),
                    workingDirectory: FileManager.default.currentDirectoryPath).output)
            } catch {
                archiveError("\(error)")
                throw ExitCode(ExitStatus.badInput.rawValue)
            }
        }
        let archiveRoot = UserPath.expandingHome(dest)
        let databasePath = UserPath.expandingHome(db)
        let pauseMilliseconds = environment[Self.pauseVariable].flatMap { Double($0) } ?? 0
        let options = ArchiveOptions(
            outputFolder: outputFolder, archiveRoot: archiveRoot, keepDays: keepDays, keepLast: keepLast, dryRun: dryRun,
            compress: compress, waitForLock: !noWait, lockTimeout: Self.lockTimeoutSeconds,
            pauseBeforePublishing: max(pauseMilliseconds, 0) / 1000)

        let result: ArchiveResult
        do {
            result = try ResultsArchiver.archive(options)
        } catch {
            archiveError(error.description)
            throw ExitCode(error.exitStatus.rawValue)
        }
        for warning in result.warnings { archiveError("warning: \(warning)") }
        if !quiet || dryRun { report(result, outputFolder: outputFolder) }
        do {
            if let runID = try ArchiveHistoryLink.record(result, databasePath: databasePath), !quiet {
                print("Recorded against run \(runID) in \(db)")
            }
        } catch {
            archiveError("warning: the archive was not recorded in the history database: \(error)")
        }
        for failure in result.removalFailures { archiveError(failure) }
        if !result.removalFailures.isEmpty { throw ExitCode(ExitStatus.checkFailed.rawValue) }
    }

    private func report(_ result: ArchiveResult, outputFolder: String) {
        let shownPath = result.compressed ? result.path : result.path + "/"
        let files = "\(result.files.count) file\(result.files.count == 1 ? "" : "s") (\(ByteCount.text(result.bytes)))"
        let started = ISO8601DateFormatter().string(from: result.runStartedAt)
        for path in result.cleanedUp {
            print("Cleaned up \(path), left by an archive that was interrupted")
        }
        switch result.outcome {
        case .created:
            print("Archived \(files) from \(outputFolder) to \(shownPath) (run started \(started))")
        case .alreadyArchived:
            print("Already archived: \(shownPath) holds these \(files); nothing to do")
        case .dryRun(let wouldCreate):
            print("Dry run: nothing is changed.")
            if wouldCreate {
                print("Would archive \(files) from \(outputFolder) to \(shownPath) (run started \(started)):")
                for file in result.files {
                    print("  \(file.name)  \(ByteCount.text(file.size))")
                }
            } else {
                print("Already archived: \(shownPath) holds these \(files); nothing would be written")
            }
        }
        let verb = dryRun ? "Would remove" : "Removed"
        for path in result.removed {
            print("\(verb) \(path) (retention)")
        }
        if dryRun && result.removed.isEmpty && (keepDays != nil || keepLast != nil) {
            print("Retention would remove nothing")
        }
        fflush(nil)
    }
}

struct ArchiveVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Re-hash an archive against its MANIFEST (the newest archive when NAME is omitted).",
        discussion: "Reports missing, extra and changed files. Exit codes: 0 intact, 1 any mismatch or no such archive, 2 bad usage."
    )

    @Argument(help: ArgumentHelp("Archive to check: YYYY-MM-DD_HH-MM-SS[-N], with or without .tar.gz.", valueName: "name"))
    var name: String?

    @Option(help: ArgumentHelp("Archive root.", valueName: "folder"))
    var dest: String = "archive"

    @Flag(name: .shortAndLong, help: "Print nothing when the archive is intact.")
    var quiet = false

    func run() throws {
        let verification: ArchiveVerification
        do {
            verification = try ArchiveInspection.verify(root: UserPath.expandingHome(dest), name: name)
        } catch {
            archiveError(error.description)
            throw ExitCode(error.exitStatus.rawValue)
        }
        if verification.isIntact {
            if !quiet {
                print("\(verification.path): intact, all \(verification.listed) files match the MANIFEST")
            }
            return
        }
        var lines: [String] = []
        lines += verification.missing.map { "missing: \($0)" }
        lines += verification.changed.map { "changed: \($0)" }
        lines += verification.extra.map { "extra (not in the MANIFEST): \($0)" }
        let problems = verification.missing.count + verification.changed.count + verification.extra.count
        lines.append("\(verification.path): \(problems) problem\(problems == 1 ? "" : "s") against the MANIFEST (\(verification.listed) files listed)")
        archiveError(lines.joined(separator: "\n"))
        throw ExitCode(ExitStatus.checkFailed.rawValue)
    }
}

/// Sizes for people: bytes, then KiB and MiB with one decimal.
enum ByteCount {
    static func text(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) byte\(bytes == 1 ? "" : "s")" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.1f", value) + " " + units[unit]
    }
}

private func archiveError(_ message: String) {
    FileHandle.standardError.write(Data("loadops archive: \(message)\n".utf8))
}
