import Foundation

/// Everything that can go wrong with the history database or with finding a recorded run.
/// Each message names the file so the reader knows which one to look at.
public enum HistoryError: Error, CustomStringConvertible, Equatable, ExitStatusProviding {
    /// The file exists but is not an SQLite database (wrong header).
    case notADatabase(path: String)
    /// An SQLite database that fails its integrity check.
    case corrupted(path: String, detail: String)
    /// An SQLite database made by something else than loadops.
    case foreignDatabase(path: String)
    /// Written by a newer loadops: reading or migrating it could lose data.
    case newerSchema(path: String, found: Int, supported: Int)
    /// `--db` names a file that does not exist, where reading needs one.
    case databaseMissing(path: String)
    case cannotCreateFolder(path: String, reason: String)
    /// SQLite refused an operation (locked too long, disk full, read-only file, ...).
    case sqlite(path: String, operation: String, message: String)
    case noRuns(path: String)
    case noPreviousRun(path: String, runID: Int64)
    case runNotFound(path: String, runID: Int64)
    /// A stored histogram blob that cannot be decoded.
    case histogramUndecodable(reason: String)
    /// A stored results document that no longer decodes.
    case storedDocumentUnreadable(path: String, runID: Int64, reason: String)
    case unresolvableResults(spec: String, reason: String)
    /// `history trend --endpoint` named an endpoint that matches more than one method.
    case ambiguousEndpoint(name: String, methods: [String])
    /// `history trend --endpoint` named an endpoint no recorded run has.
    case unknownEndpoint(name: String, known: [String])
    /// `history trend --host` named a host no recorded run has.
    case unknownHost(given: String, known: [String])
    /// `history trend --environment` named an environment no recorded run has.
    case unknownEnvironment(given: String, known: [String])
    /// `history trend --host` and `--environment` each match runs, but no run matches both.
    case noRunsInScope(host: String, environment: String)
    /// `history trend --config-of` named a run that `--host` or `--environment` leave out.
    case configurationRunOutOfScope(runID: Int64, host: String, environment: String?, scope: String)

    public var description: String {
        switch self {
        case .notADatabase(let path):
            return "\(path) is not an SQLite database (its header is not \"SQLite format 3\"); it was left untouched. "
                + "Point --db at another file, or move this one away."
        case .corrupted(let path, let detail):
            return "\(path) is a damaged SQLite database (\(detail)); it was left untouched. "
                + "Restore it from a backup or move it away to start a new history."
        case .foreignDatabase(let path):
            return "\(path) is an SQLite database but not a loadops history (it has other tables); it was left untouched"
        case .newerSchema(let path, let found, let supported):
            return "\(path) has history schema version \(found), newer than this loadops knows (\(supported)); "
                + "it was left untouched. Use a newer loadops to read it."
        case .databaseMissing(let path):
            return "no history database at \(path): record a run first (`loadops run`) or import results (`loadops import`)"
        case .cannotCreateFolder(let path, let reason):
            return "cannot create the folder \(path) for the history database: \(reason)"
        case .sqlite(let path, let operation, let message):
            return "\(path): cannot \(operation): \(message)"
        case .noRuns(let path):
            return "the history \(path) has no runs yet"
        case .noPreviousRun(let path, let runID):
            return "the history \(path) has no run before run \(runID)"
        case .runNotFound(let path, let runID):
            return "the history \(path) has no run \(runID) (`loadops history` lists the runs)"
        case .histogramUndecodable(let reason):
            return "a stored histogram cannot be decoded: \(reason)"
        case .storedDocumentUnreadable(let path, let runID, let reason):
            return "\(path): the results stored for run \(runID) cannot be read: \(reason)"
        case .unresolvableResults(let spec, let reason):
            return "cannot find results \"\(spec)\": \(reason)"
        case .ambiguousEndpoint(let name, let methods):
            return "endpoint \"\(name)\" exists with several methods (\(methods.joined(separator: ", "))); "
                + "name one, e.g. --endpoint \"\(methods.first ?? "GET") \(name)\""
        case .unknownEndpoint(let name, let known):
            let list = known.isEmpty ? "no run has per-endpoint statistics" : "known endpoints: " + known.joined(separator: ", ")
            return "no recorded run has an endpoint \"\(name)\" (\(list))"
        case .unknownHost(let given, let known):
            return "no recorded run has host \"\(given)\" (hosts in the history: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case .unknownEnvironment(let given, let known):
            let list = known.isEmpty ? "no run names an environment" : "environments in the history: " + known.joined(separator: ", ")
            return "no recorded run has environment \"\(given)\" (\(list))"
        case .noRunsInScope(let host, let environment):
            return "no recorded run has both host \"\(host)\" and environment \"\(environment)\" (`loadops history` lists the runs)"
        case .configurationRunOutOfScope(let runID, let host, let environment, let scope):
            let made = "host \(host.isEmpty ? "-" : host)" + (environment.map { ", environment \($0)" } ?? "")
            return "--config-of names run \(runID) (\(made)), which \(scope) leaves out: "
                + "name a run on that host and in that environment, or drop one of the options"
        }
    }

    /// A file that is not a usable history, or a run or endpoint that is not in it, is bad input (2);
    /// SQLite failing at its work (locked too long, disk full, read-only) is a failure of the
    /// operation (1), as in `archive`.
    public var exitStatus: ExitStatus {
        switch self {
        case .sqlite, .cannotCreateFolder: return .checkFailed
        default: return .badInput
        }
    }
}
