import Foundation

/// Records a new archive against its run in the history database, when there is one.
public enum ArchiveHistoryLink {
    /// The run whose start time is the archive's (results.json's `started_at`), if recorded.
    /// Returns the run id it was recorded against, or nil when there is no database or no such run.
    public static func record(_ archive: ArchiveResult, databasePath: String) throws -> Int64? {
        guard case .created = archive.outcome, FileManager.default.fileExists(atPath: databasePath) else { return nil }
        let store = try HistoryStore.open(path: databasePath, createIfMissing: false)
        // Start times are stored with millisecond precision.
        guard let run = try store.runs().first(where: { abs($0.startedAt.timeIntervalSince(archive.runStartedAt)) < 0.002 }) else {
            return nil
        }
        _ = try store.recordArchive(runID: run.id, name: archive.name, path: archive.path)
        return run.id
    }
}
