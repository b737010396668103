/// Maps any error a command meets to the exit status users and scripts rely on.
public enum CommandErrors {
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
