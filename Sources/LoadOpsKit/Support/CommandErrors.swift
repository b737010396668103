/// Maps any error a command meets to the exit status users and scripts rely on.
public enum CommandErrors {
    /// The line a command prints for an error: `error: …`, or a configuration error's own
    /// `file:line:column: error: …` (the compilers' form, which editors jump to) without a second prefix.
    public static func line(for error: Error) -> String {
        let text = String(describing: error)
        return error is ConfigError ? text : "error: " + text
    }

    public static func exitStatus(for error: Error) -> ExitStatus {
        switch error {
        case let known as ExitStatusProviding: return known.exitStatus
        case is ConfigError, is GeneratorError, is HostNotAllowed, is CredentialsFileError, is ValueFormatError,
             is ResultsDocumentError, is ProjectInitializerError:
            return .badInput
        default: return .checkFailed
        }
    }
}
