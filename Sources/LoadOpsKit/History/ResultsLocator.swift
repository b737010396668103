import Foundation

/// A results document found by `ResultsLocator`, with a label for people ("run 12", "baselines/baseline.json").
public struct ResolvedResults: Sendable {
    public var document: ResultsDocument
    /// How the document is named in reports: `run 12` for a recorded run, the path as given for a file.
    public var label: String
    /// The run's id when the document came from the history database.
    public var runID: Int64?

    public init(document: ResultsDocument, label: String, runID: Int64?) {
        self.document = document
        self.label = label
        self.runID = runID
    }
}

/// Turns what a user typed for a "current" or "baseline" side into a results document.
public enum ResultsLocator {
    /// spec: a path to a results.json / baseline file, a run id ("12"), "latest", or "previous" (the run before latest,
    /// or, with `relativeTo`, the run before that run). Files win over ids when a file of that name exists.
    ///
    /// Reading never creates the history database: a missing database is an error naming it.
    public static func resolve(_ spec: String, databasePath: String, workingDirectory: String,
                               relativeTo: Int64? = nil) throws -> ResolvedResults {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw HistoryError.unresolvableResults(spec: spec, reason: "it is empty") }
        let filePath = UserPath.resolve(trimmed, relativeTo: workingDirectory)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: filePath, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                // A run's output folder holds its results.json; accept the folder for convenience.
                let inside = (filePath as NSString).appendingPathComponent(ResultsWriter.resultsFileName)
                guard FileManager.default.fileExists(atPath: inside) else {
                    throw HistoryError.unresolvableResults(spec: spec, reason: "it is a folder without a results.json")
                }
                return ResolvedResults(document: try ResultsDocument.load(from: inside),
                                       label: (trimmed as NSString).appendingPathComponent(ResultsWriter.resultsFileName), runID: nil)
            }
            return ResolvedResults(document: try ResultsDocument.load(from: filePath), label: trimmed, runID: nil)
        }

        // Checked before the database is opened: a mistyped file name should not be reported as a missing history.
        guard isRunSpec(trimmed) else {
            throw HistoryError.unresolvableResults(
                spec: spec, reason: "there is no such file, and it is not a run id, `latest` or `previous`")
        }
        let store = try HistoryStore.open(path: UserPath.resolve(databasePath, relativeTo: workingDirectory), createIfMissing: false)
        let id = try runID(trimmed, in: store, relativeTo: relativeTo)
        return ResolvedResults(document: try store.document(runID: id), label: "run \(id)", runID: id)
    }

    /// `latest`, `previous`, `12` or `#12`.
    static func isRunSpec(_ spec: String) -> Bool {
        ["latest", "previous"].contains(spec.lowercased()) || idNumber(spec) != nil
    }

    private static func idNumber(_ spec: String) -> Int64? {
        Int64(spec.hasPrefix("#") ? String(spec.dropFirst()) : spec).flatMap { $0 > 0 ? $0 : nil }
    }

    /// The run a spec names in `store`: `latest`, `previous` (the run before `relativeTo`, or before the
    /// latest) or an id (`12`, `#12`), the one place such specs are read.
    public static func runID(_ spec: String, in store: HistoryStore, relativeTo: Int64? = nil) throws -> Int64 {
        switch spec.lowercased() {
        case "latest":
            guard let latest = try store.latestRunID() else { throw HistoryError.noRuns(path: store.path) }
            return latest
        case "previous":
            let reference: Int64
            if let relativeTo {
                reference = relativeTo
            } else {
                guard let latest = try store.latestRunID() else { throw HistoryError.noRuns(path: store.path) }
                reference = latest
            }
            guard let previous = try store.previousRunID(before: reference) else {
                throw HistoryError.noPreviousRun(path: store.path, runID: reference)
            }
            return previous
        default:
            guard let id = idNumber(spec) else {
                throw HistoryError.unresolvableResults(spec: spec, reason: "expected a run id, `latest` or `previous`")
            }
            return id
        }
    }
}

public enum HistoryDefaults {
    public static let databasePath = ".loadops/history.sqlite"
}
