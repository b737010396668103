import Foundation

/// Records a new archive against its run in the history database, when there is one.
public enum ArchiveHistoryLink {
    /// The run whose start time is the archive's (results.json's `started_at`), if recorded.
    /// Returns the run id it was recorded against, or nil when there is no database or no such run.
    public static func record(_ archive: ArchiveResult, databasePath: String) throws -> Int64? {
        guard case .created = archive.outcome, FileManager.default.fileExists(atPath: databasePath) else { return nil }
        return try record(archive, in: try HistoryStore.open(path: databasePath, createIfMissing: false))
    }

    /// The same, in an open history. Looks the run up by its start time alone (an indexed
    /// column), so the cost does not grow with the number or size of the runs recorded.
    static func record(_ archive: ArchiveResult, in store: HistoryStore) throws(HistoryError) -> Int64? {
        guard case .created = archive.outcome, let runID = try store.runID(startedAt: archive.runStartedAt) else { return nil }
        _ = try store.recordArchive(runID: runID, name: archive.name, path: archive.path)
        return runID
    }
}
