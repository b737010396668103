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

    @OptionGroup var configFile: ConfigFileOption

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

    @OptionGroup var database: HistoryDatabaseOption

    func validate() throws {
        if let keepDays, keepDays < 0 {
            throw ValidationError("--keep-days expects a whole number of days, 0 or more, got \(keepDays)")
        }
        if let keepLast, keepLast < 0 {
            throw ValidationError("--keep-last expects a whole number of archives, 0 or more, got \(keepLast)")
        }
    }

    func run() throws {
        let request = ArchiveRequest(
            configPath: configFile.path, output: output, archiveRoot: dest, keepDays: keepDays, keepLast: keepLast,
            dryRun: dryRun, compress: compress, waitForLock: !noWait, databasePath: database.given,
            environment: ProcessInfo.processInfo.environment, workingDirectory: FileManager.default.currentDirectoryPath)
        let report = try request.archive()
        for warning in report.warnings { CommandOutput.printWarning(warning) }
        if !quiet || dryRun {
            for line in report.lines { print(line) }
            fflush(nil)
        }
        if let failure = report.failure { throw failure }
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
        let verification = try ArchiveInspection.verify(root: UserPath.expandingHome(dest), name: name)
        try verification.requireIntact()
        if !quiet { print(verification.intactLine) }
    }
}
