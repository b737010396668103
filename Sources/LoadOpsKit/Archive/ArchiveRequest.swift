import Foundation

/// `loadops archive` as typed: which results folder (`--output`, else the configuration's `output`),
/// where to, retention, and the history database the archive is recorded in when it exists.
public struct ArchiveRequest: Sendable {
    /// Test-only: milliseconds to sleep after copying and before renaming the archive into place,
    /// so the tests can SIGKILL an archive at its most delicate moment. Not for normal use.
    public static let pauseVariable = "LOADOPS_ARCHIVE_PAUSE_AFTER_COPY_MS"
    public static let lockTimeoutSeconds: Double = 60

    /// The configuration whose `output` is the results folder when `output` is nil.
    public var configPath: String?
    public var output: String?
    public var archiveRoot: String
    public var keepDays: Int?
    public var keepLast: Int?
    public var dryRun: Bool
    public var compress: Bool
    public var waitForLock: Bool
    /// `--db` as typed (the report names it so); `~` is expanded to open it.
    public var databasePath: String
    public var environment: [String: String]
    public var workingDirectory: String

    public init(configPath: String? = nil, output: String? = nil, archiveRoot: String = "archive", keepDays: Int? = nil,
                keepLast: Int? = nil, dryRun: Bool = false, compress: Bool = false, waitForLock: Bool = true,
                databasePath: String = HistoryDefaults.databasePath, environment: [String: String], workingDirectory: String) {
        self.configPath = configPath
        self.output = output
        self.archiveRoot = archiveRoot
        self.keepDays = keepDays
        self.keepLast = keepLast
        self.dryRun = dryRun
        self.compress = compress
        self.waitForLock = waitForLock
        self.databasePath = databasePath
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// Archives (or, with `dryRun`, plans) and records the archive against its run. Errors that stop
    /// the archive are thrown (a bad configuration is bad input); what went wrong afterwards is in the report.
    public func archive() throws -> ArchiveReport {
        // `output:` and the flags may say `~/…`, as `loadops run` allows: the same resolver reads them all.
        let outputFolder = UserPath.expandingHome(try output ?? ConfigLoader.load(
            path: configPath, environment: environment, workingDirectory: workingDirectory).output)
        let pauseMilliseconds = environment[Self.pauseVariable].flatMap { Double($0) } ?? 0
        let options = ArchiveOptions(
            outputFolder: outputFolder, archiveRoot: UserPath.expandingHome(archiveRoot), keepDays: keepDays,
            keepLast: keepLast, dryRun: dryRun, compress: compress, waitForLock: waitForLock,
            lockTimeout: Self.lockTimeoutSeconds, pauseBeforePublishing: max(pauseMilliseconds, 0) / 1000)
        let result = try ResultsArchiver.archive(options)
        var report = ArchiveReport(lines: lines(for: result, outputFolder: outputFolder), warnings: result.warnings)
        do {
            if let runID = try ArchiveHistoryLink.record(result, databasePath: UserPath.expandingHome(databasePath)) {
                report.lines.append("Recorded against run \(runID) in \(databasePath)")
            }
        } catch {
            report.warnings.append("the archive was not recorded in the history database: \(error)")
        }
        if !result.removalFailures.isEmpty { report.failure = .removalFailed(result.removalFailures) }
        return report
    }

    private func lines(for result: ArchiveResult, outputFolder: String) -> [String] {
        let shownPath = result.compressed ? result.path : result.path + "/"
        let files = "\(result.files.count) file\(result.files.count == 1 ? "" : "s") (\(ByteCount.text(result.bytes)))"
        let started = ISO8601Timestamp.format(result.runStartedAt, fractional: false)
        var lines = result.cleanedUp.map { "Cleaned up \($0), left by an archive that was interrupted" }
        switch result.outcome {
        case .created:
            lines.append("Archived \(files) from \(outputFolder) to \(shownPath) (run started \(started))")
        case .alreadyArchived:
            lines.append("Already archived: \(shownPath) holds these \(files); nothing to do")
        case .dryRun(let wouldCreate):
            lines.append("Dry run: nothing is changed.")
            if wouldCreate {
                lines.append("Would archive \(files) from \(outputFolder) to \(shownPath) (run started \(started)):")
                lines += result.files.map { "  \($0.name)  \(ByteCount.text($0.size))" }
            } else {
                lines.append("Already archived: \(shownPath) holds these \(files); nothing would be written")
            }
        }
        let verb = dryRun ? "Would remove" : "Removed"
        lines += result.removed.map { "\(verb) \($0) (retention)" }
        if dryRun && result.removed.isEmpty && (keepDays != nil || keepLast != nil) {
            lines.append("Retention would remove nothing")
        }
        return lines
    }
}

/// What `loadops archive` did, for the command to print: `lines` on standard output (unless quiet),
/// `warnings` on standard error, and `failure` (archives retention could not remove) to exit 1 with.
public struct ArchiveReport: Sendable {
    public var lines: [String]
    public var warnings: [String]
    public var failure: ArchiveError?

    public init(lines: [String] = [], warnings: [String] = [], failure: ArchiveError? = nil) {
        self.lines = lines
        self.warnings = warnings
        self.failure = failure
    }
}

/// Sizes for people: bytes, then KiB and MiB with one decimal.
public enum ByteCount {
    public static func text(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) byte\(bytes == 1 ? "" : "s")" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return ReportNumber.fixed(value, places: 1) + " " + units[unit]
    }
}
