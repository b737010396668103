import Foundation

/// Why `loadops archive` (or `archive verify`) could not do its work. Exit status 1 (the command
/// was used correctly, but the files or the machine did not allow it), except for a name that
/// cannot be an archive's, which is bad input (2).
public enum ArchiveError: Error, CustomStringConvertible, Equatable, ExitStatusProviding {
    case outputFolderMissing(String)
    case noResults(folder: String)
    /// Another `loadops archive` holds `lockPath`; `waitedSeconds` is nil with `--no-wait`.
    case lockBusy(lockPath: String, waitedSeconds: Double?)
    /// A system call failed: `operation` says what was being done to `path`.
    case fileSystem(path: String, operation: String, reason: String)
    /// A results file was rewritten while it was being archived (a run still writing?).
    case sourceChanged(path: String)
    /// A results file's name was taken over (by a symbolic link, another file) between the moment
    /// it was chosen and the moment it was opened; `by` says by what.
    case sourceReplaced(path: String, by: String)
    case noArchives(root: String)
    case archiveNotFound(name: String, root: String)
    case notAnArchiveName(String)
    case manifestUnreadable(path: String, line: Int?, reason: String)
    case tarFailed(arguments: [String], status: Int32, output: String)
    /// Archives retention meant to remove but could not (the new archive itself was made).
    case removalFailed([String])
    /// `archive verify` found missing, extra or changed files.
    case verificationFailed(ArchiveVerification)

    public var exitStatus: ExitStatus {
        if case .notAnArchiveName = self { return .badInput }
        return .checkFailed
    }

    public var description: String {
        switch self {
        case .outputFolderMissing(let folder):
            return "results folder \(folder) does not exist (run `loadops run` first, or pass --output)"
        case .noResults(let folder):
            return "nothing to archive: \(folder) has no results files (*.html, *.csv, *.json, *.md, load_test.log)"
        case .lockBusy(let lockPath, nil):
            return "another loadops archive is running (it holds \(lockPath)); try again later, or leave out --no-wait to wait for it"
        case .lockBusy(let lockPath, let waited?):
            return "another loadops archive is still running after \(Int(waited)) s of waiting (it holds \(lockPath)); nothing was archived"
        case .fileSystem(let path, let operation, let reason):
            return "cannot \(operation) \(path): \(reason)"
        case .sourceChanged(let path):
            return "\(path) changed while it was being archived (is a run still writing?); nothing was archived, try again when it is finished"
        case .sourceReplaced(let path, let replacement):
            return "\(path) was replaced by \(replacement) while it was being archived, so it was not read; "
                + "nothing was archived (is something else writing into the results folder?)"
        case .noArchives(let root):
            return "no archives in \(root)"
        case .archiveNotFound(let name, let root):
            return "no archive named \(name) in \(root) (expected a folder \(name)/ with a MANIFEST, or \(name).tar.gz)"
        case .notAnArchiveName(let name):
            return "\(name) is not an archive name: expected YYYY-MM-DD_HH-MM-SS, optionally with -N, as `loadops archive` names them"
        case .manifestUnreadable(let path, let line?, let reason):
            return "\(path), line \(line): \(reason)"
        case .manifestUnreadable(let path, nil, let reason):
            return "\(path): \(reason)"
        case .tarFailed(let arguments, let status, let output):
            let detail = output.trimmingCharacters(in: .whitespacesAndNewlines)
            return "tar \(arguments.joined(separator: " ")) failed with status \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        case .removalFailed(let failures):
            return failures.joined(separator: "\n")
        case .verificationFailed(let verification):
            let problems = verification.missing.count + verification.changed.count + verification.extra.count
            var lines = ["\(verification.path): \(problems) problem\(problems == 1 ? "" : "s") against the MANIFEST "
                         + "(\(verification.listed) files listed)"]
            lines += verification.missing.map { "  missing: \($0)" }
            lines += verification.changed.map { "  changed: \($0)" }
            lines += verification.extra.map { "  extra (not in the MANIFEST): \($0)" }
            return lines.joined(separator: "\n")
        }
    }
}
