import ArgumentParser
import Foundation
import LoadOpsKit

/// The one style every command's trouble is printed in, on standard error:
/// `loadops COMMAND: error: …` and `loadops COMMAND: warning: …`. Errors word themselves (a
/// configuration error keeps its `file:line:column:`); `LoadOps.main` prints whatever a command throws.
enum CommandOutput {
    /// The command as typed, `loadops history trend` (a default subcommand left out stays out).
    static let commandPath = path(typed: CommandLine.arguments)

    static func errorLine(_ error: any Error) -> String {
        "\(commandPath): error: \(error)"
    }

    static func printError(_ error: any Error) {
        writeToStandardError(errorLine(error))
    }

    static func printWarning(_ text: String) {
        writeToStandardError("\(commandPath): warning: \(text)")
    }

    /// A usage error found by the argument parser (`Error: …`, then its help and usage lines), with
    /// its first line in the shared style.
    static func printUsageError(_ fullMessage: String) {
        let parserPrefix = "Error: "
        let text = fullMessage.hasPrefix(parserPrefix)
            ? "\(commandPath): error: " + fullMessage.dropFirst(parserPrefix.count) : fullMessage
        writeToStandardError(text)
    }

    /// `loadops` and the leading arguments that name subcommands.
    static func path(typed arguments: [String]) -> String {
        var words = ["loadops"]
        var command: ParsableCommand.Type = LoadOps.self
        for argument in arguments.dropFirst() {
            guard let subcommand = command.configuration.subcommands.first(where: {
                $0.configuration.commandName == argument
            }) else { break }
            words.append(argument)
            command = subcommand
        }
        return words.joined(separator: " ")
    }

    private static func writeToStandardError(_ line: String) {
        FileHandle.standardError.write(Data((line.hasSuffix("\n") ? line : line + "\n").utf8))
    }
}
