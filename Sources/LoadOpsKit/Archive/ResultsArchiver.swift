import Foundation

/// What `loadops archive` is asked to do.
public struct ArchiveOptions: Sendable {
    /// The results folder (`LoadOpsConfig.output`, or `--output`).
    public var outputFolder: String
    /// Where archives go (`archive`, or `--dest`).
    public var archiveRoot: String
    /// Keep archives whose run started less than this many days ago.
    public var keepDays: Int?
    /// Keep this many of the newest archives.
    public var keepLast: Int?
    /// Work out and report everything, change nothing (no lock, no staging, no removal).
    public var dryRun: Bool
    /// Write `NAME.tar.gz` instead of a folder.
    public var compress: Bool
    /// Wait for another archive to finish (up to `lockTimeout` seconds) rather than failing at once.
    public var waitForLock: Bool
    public var lockTimeout: Double
    /// Test-only: seconds to sleep after the files are copied and before the archive is renamed
    /// into place, so a test can kill the process at the worst moment. Zero in normal use.
    public var pauseBeforePublishing: Double
    /// The clock for `keepDays`.
    public var now: Date
    /// Test-only: called once the results files are chosen and before any is opened, so a test
    /// can swap a file for a symbolic link at the worst moment. Nil in normal use.
    var afterChoosingFiles: (@Sendable () -> Void)?

    public init(
        outputFolder: String, archiveRoot: String, keepDays: Int? = nil, keepLast: Int? = nil, dryRun: Bool = false,
        compress: Bool = false, waitForLock: Bool = true, lockTimeout: Double = 60, pauseBeforePublishing: Double = 0,
        now: Date = Date()
    ) {
        self.outputFolder = outputFolder
        self.archiveRoot = archiveRoot
        self.keepDays = keepDays
        self.keepLast = keepLast
        self.dryRun = dryRun
        self.compress = compress
        self.waitForLock = waitForLock
        self.lockTimeout = lockTimeout
        self.pauseBeforePublishing = pauseBeforePublishing
        self.now = now
    }
}

/// What an archive did, and what the history database needs to record it against its run.
public struct ArchiveResult: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// A new archive was written.
        case created
        /// An archive with the same name already held exactly these files; nothing was written.
        case alreadyArchived
        /// `--dry-run`: `name` and `path` are what would be written (or what already holds the files,
        /// when `wouldCreate` is false).
        case dryRun(wouldCreate: Bool)
    }

    public var outcome: Outcome
    /// `YYYY-MM-DD_HH-MM-SS`, maybe with `-N`.
    public var name: String
    /// The archive folder, or the `.tar.gz` file.
    public var path: String
    public var compressed: Bool
    public var files: [ArchiveManifest.Entry]
    public var bytes: Int64
    public var runStartedAt: Date
    /// Archives removed by retention (or that would be, with `--dry-run`), oldest first.
    public var removed: [String]
    /// Staging folders of killed archives that were cleaned up.
    public var cleanedUp: [String]
    /// Things worth a look that did not stop the archive (printed on stderr).
    public var warnings: [String]
    /// Archives retention meant to remove but could not; the command exits 1 for these.
    public var removalFailures: [String]
}

/// `loadops archive`: copies the results into `ARCHIVE_ROOT/NAME/` with a manifest, atomically,
/// under a lock, then applies retention.
public enum ResultsArchiver {
    static let stagingPrefix = ".staging-"
    /// A staging folder older than this is a leftover even if its PID has been reused by a live process.
    static let stagingMaximumAge: Double = 3600
    static let resultsFileName = ResultsWriter.resultsFileName

    public static func archive(_ options: ArchiveOptions) throws(ArchiveError) -> ArchiveResult {
        let chosen = try ResultsSelection.chosenFiles(in: options.outputFolder)
        options.afterChoosingFiles?()
        var warnings: [String] = []
        let startedAt = runStartTime(folder: options.outputFolder, files: chosen, warnings: &warnings)
        var entries: [ArchiveManifest.Entry] = []
        for file in chosen {
            let hashed = try ArchiveFileSystem.hashFile(path(options.outputFolder, file.name), expected: file.identity)
            entries.append(.init(name: file.name, size: hashed.size, sha256: hashed.sha256))
        }
        let manifest = ArchiveManifest(runStartedAt: startedAt, source: options.outputFolder, entries: entries)
        let identities = Dictionary(chosen.map { ($0.name, $0.identity) }, uniquingKeysWith: { first, _ in first })

        if options.dryRun {
            let placement = try place(manifest, root: options.archiveRoot, warnings: &warnings)
            let doomed = try retentionPlan(options, protecting: placement.name)
            let path = placement.existing?.path ?? archivePath(options, placement.name)
            return ArchiveResult(
                outcome: .dryRun(wouldCreate: placement.existing == nil), name: placement.name.description, path: path,
                compressed: placement.existing?.isCompressed ?? options.compress, files: manifest.entries,
                bytes: manifest.totalBytes, runStartedAt: startedAt, removed: doomed.map(\.path), cleanedUp: [],
                warnings: warnings, removalFailures: [])
        }

        try ArchiveFileSystem.createFolder(options.archiveRoot, intermediate: true)
        let lock = try ArchiveLock.acquire(root: options.archiveRoot, wait: options.waitForLock, timeout: options.lockTimeout)
        defer { lock.release() }

        let cleanedUp = removeLeftoverStaging(root: options.archiveRoot, now: options.now, warnings: &warnings)
        let placement = try place(manifest, root: options.archiveRoot, warnings: &warnings)
        let outcome: ArchiveResult.Outcome
        let finalPath: String
        let compressed: Bool
        if let existing = placement.existing {
            outcome = .alreadyArchived
            finalPath = existing.path
            compressed = existing.isCompressed
        } else {
            finalPath = try publish(manifest, identities: identities, from: options.outputFolder, as: placement.name, options: options)
            outcome = .created
            compressed = options.compress
        }

        var removed: [String] = []
        var removalFailures: [String] = []
        for archive in try retentionPlan(options, protecting: placement.name) {
            do throws(ArchiveError) {
                try ArchiveFileSystem.remove(archive.path)
                removed.append(archive.path)
            } catch {
                removalFailures.append(error.description)
            }
        }
        return ArchiveResult(
            outcome: outcome, name: placement.name.description, path: finalPath, compressed: compressed,
            files: manifest.entries, bytes: manifest.totalBytes, runStartedAt: startedAt, removed: removed,
            cleanedUp: cleanedUp, warnings: warnings, removalFailures: removalFailures)
    }

    static func path(_ folder: String, _ name: String) -> String {
        (folder as NSString).appendingPathComponent(name)
    }

    private static func archivePath(_ options: ArchiveOptions, _ name: ArchiveName) -> String {
        path(options.archiveRoot, name.description) + (options.compress ? StoredArchive.compressedSuffix : "")
    }

    // MARK: - Start time

    /// `started_at` of results.json; without a readable one, the newest results file's modification time.
    static func runStartTime(folder: String, files: [ResultsSelection.ChosenFile], warnings: inout [String]) -> Date {
        if let results = files.first(where: { $0.name == resultsFileName }) {
            let resultsPath = path(folder, resultsFileName)
            do {
                return try ResultsDocument.decode(try ArchiveFileSystem.readFile(resultsPath, expected: results.identity),
                                                  path: resultsPath).startedAt
            } catch {
                warnings.append("cannot read the run's start time from \(resultsPath) (\(error)); naming the archive after the newest file's modification time")
            }
        }
        let dates = files.compactMap { ArchiveFileSystem.modificationDate(path(folder, $0.name)) }
        return dates.max() ?? Date()
    }

    // MARK: - Naming

    private struct Placement {
        var name: ArchiveName
        /// Set when an archive of that name already holds exactly these files.
        var existing: StoredArchive?
    }

    /// The first of NAME, NAME-2, NAME-3... that is free, or the one already holding these files.
    private static func place(_ manifest: ArchiveManifest, root: String, warnings: inout [String]) throws(ArchiveError) -> Placement {
        let base = ArchiveName(startedAt: manifest.runStartedAt ?? Date())
        for sequence in 1...10_000 {
            let name = base.withSequence(sequence)
            guard StoredArchive.isTaken(name, in: root) else { return Placement(name: name, existing: nil) }
            guard let stored = StoredArchive.find(name, in: root) else { continue }
            do throws(ArchiveError) {
                if try ArchiveInspection.manifest(of: stored).hasSameFiles(as: manifest) {
                    return Placement(name: name, existing: stored)
                }
            } catch {
                // A damaged archive is not these results; leave it for `archive verify` and pick the next name.
                warnings.append("\(stored.path) has an unreadable manifest (\(error)); `loadops archive verify \(name)` shows more")
            }
        }
        throw .fileSystem(path: path(root, base.description), operation: "pick a free name for", reason: "10000 archives already start in that second")
    }

    // MARK: - Writing

    /// Copies the files into `ROOT/.staging-NAME-PID/NAME/`, checks each copy against the hash taken
    /// before, writes the manifest, flushes everything, and only then renames the folder (or the
    /// tarball made from it) to its final name. Any failure removes the staging folder, so the
    /// final name either does not exist or holds a complete archive.
    private static func publish(
        _ manifest: ArchiveManifest, identities: [String: ArchiveFileSystem.FileIdentity], from folder: String,
        as name: ArchiveName, options: ArchiveOptions
    ) throws(ArchiveError) -> String {
        let root = options.archiveRoot
        let stagingName = "\(stagingPrefix)\(name)-\(ArchiveFileSystem.processIdentifier)"
        let staging = path(root, stagingName)
        let temporaryTarball = staging + StoredArchive.compressedSuffix
        let inner = path(staging, name.description)
        do throws(ArchiveError) {
            try ArchiveFileSystem.createFolder(staging)
            try ArchiveFileSystem.createFolder(inner)
            for entry in manifest.entries {
                let source = path(folder, entry.name)
                let copied = try ArchiveFileSystem.copyFile(from: source, expected: identities[entry.name], to: path(inner, entry.name))
                guard copied.size == entry.size, copied.sha256 == entry.sha256 else { throw .sourceChanged(path: source) }
            }
            try ArchiveFileSystem.writeNewFile(Data(manifest.rendered().utf8), to: path(inner, ArchiveManifest.fileName))
            try ArchiveFileSystem.syncFolder(inner)
            ArchiveFileSystem.pause(seconds: options.pauseBeforePublishing)

            let finalPath: String
            if options.compress {
                finalPath = path(root, name.description) + StoredArchive.compressedSuffix
                try TarCommand.run(["-czf", temporaryTarball, "-C", staging, "--", name.description])
                try ArchiveFileSystem.syncFile(temporaryTarball)
                try ArchiveFileSystem.moveWithoutReplacing(temporaryTarball, to: finalPath)
            } else {
                finalPath = path(root, name.description)
                try ArchiveFileSystem.rename(inner, to: finalPath)
            }
            try ArchiveFileSystem.syncFolder(root)
            try? ArchiveFileSystem.remove(staging)
            return finalPath
        } catch {
            try? ArchiveFileSystem.remove(staging)
            if ArchiveFileSystem.exists(temporaryTarball) { try? ArchiveFileSystem.remove(temporaryTarball) }
            throw error
        }
    }

    /// Removes `.staging-NAME-PID` folders (and their `.tar.gz` temporaries) left by an archive
    /// that was killed: its PID is gone, or the folder is over an hour old (the PID was reused).
    /// Called under the lock, so no live archive is writing into them.
    static func removeLeftoverStaging(root: String, now: Date, warnings: inout [String]) -> [String] {
        guard let entries = try? ArchiveFileSystem.contents(of: root) else { return [] }
        var removed: [String] = []
        for entry in entries where entry.hasPrefix(stagingPrefix) {
            var stem = Substring(entry)
            if stem.hasSuffix(StoredArchive.compressedSuffix) { stem = stem.dropLast(StoredArchive.compressedSuffix.count) }
            guard let dash = stem.lastIndex(of: "-"), let pid = Int32(stem[stem.index(after: dash)...]) else { continue }
            let stagingPath = path(root, entry)
            let age = ArchiveFileSystem.modificationDate(stagingPath).map { now.timeIntervalSince($0) } ?? 0
            let isOurs = pid == ArchiveFileSystem.processIdentifier
            guard isOurs || !ArchiveFileSystem.isProcessAlive(pid) || age > stagingMaximumAge else { continue }
            do throws(ArchiveError) {
                try ArchiveFileSystem.remove(stagingPath)
                removed.append(stagingPath)
            } catch {
                warnings.append("cannot clean up the leftover \(error.description)")
            }
        }
        return removed
    }

    // MARK: - Retention

    /// The archives `--keep-days` and `--keep-last` do not keep. An archive is kept when any given
    /// rule keeps it (`--keep-days 30 --keep-last 5`: a month of archives, and never fewer than five),
    /// and `protected` (the archive just made, or the one that already holds these results) always is.
    /// Age is read from the name, the run's start time, not from the folder's modification time.
    /// `protected` counts among the archives even before it is written, so `--dry-run` plans
    /// exactly what the real run then removes.
    static func retentionPlan(_ options: ArchiveOptions, protecting protected: ArchiveName) throws(ArchiveError) -> [StoredArchive] {
        guard options.keepDays != nil || options.keepLast != nil else { return [] }
        let archives = try StoredArchive.list(in: options.archiveRoot)
        var names = Set(archives.map(\.name))
        names.insert(protected)
        let newestFirst = names.sorted(by: >)
        var kept = Set<ArchiveName>([protected])
        if let keepLast = options.keepLast {
            kept.formUnion(newestFirst.prefix(max(keepLast, 0)))
        }
        if let keepDays = options.keepDays {
            let cutoff = options.now.addingTimeInterval(-Double(keepDays) * 86_400)
            kept.formUnion(archives.filter { $0.name.date >= cutoff }.map(\.name))
        }
        return archives.filter { archive in
            guard !kept.contains(archive.name) else { return false }
            // A tarball only counts as ours when it holds NAME/MANIFEST.
            return !archive.isCompressed || ArchiveInspection.tarballHoldsManifest(archive)
        }
    }
}
