/// The exit codes every command shares: 0 success; 1 a check, threshold or comparison failed, or the run
/// was aborted; 2 bad usage or input (nothing was done); 130 interrupted.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    /// A check, threshold or regression failed.
    case checkFailed = 1
    /// Bad usage or input: nothing was run, nothing stored was changed.
    case badInput = 2
    /// Interrupted by SIGINT/SIGTERM; partial results were saved.
    case interrupted = 130
}

/// Errors that know which exit status they deserve.
public protocol ExitStatusProviding: Error {
    var exitStatus: ExitStatus { get }
}
