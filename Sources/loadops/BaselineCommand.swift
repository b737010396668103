import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops baseline`: promote a run to be the reference, list the references.
struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Promote a run to a baseline, or list the baselines.",
        discussion: """
            Baselines are files in \(BaselineStore.defaultFolder)/ in the results.json schema; \
            `loadops compare` and the end of `loadops run` compare against \(BaselineStore.defaultPath).
            """,
        subcommands: [Promote.self, List.self])

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote",
            abstract: "Write a run's results as \(BaselineStore.defaultFolder)/NAME.json (atomically).")

        @Argument(help: ArgumentHelp("A results.json (or its folder), a run id, `latest` or `previous`.", valueName: "run|file"))
        var source: String

        @Option(help: ArgumentHelp("The baseline's name.", valueName: "name"))
        var name: String = BaselineStore.defaultName

        @Flag(help: "Replace an existing baseline of that name; promote an interrupted or aborted run.")
        var force = false

        @Option(help: ArgumentHelp("The baselines folder.", valueName: "path"))
        var folder: String = BaselineStore.defaultFolder

        @OptionGroup var database: HistoryDatabaseOption

        func run() throws {
            let resolved = try ResultsLocator.resolve(source, databasePath: database.path,
                                                      workingDirectory: FileManager.default.currentDirectoryPath)
            let path = try BaselineStore.promote(resolved.document, name: name, folder: folder, force: force)
            print(BaselineStore.promotedLine(resolved, path: path))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the baselines with their date, host, success rate and p95.")

        @Option(help: ArgumentHelp("The baselines folder.", valueName: "path"))
        var folder: String = BaselineStore.defaultFolder

        func run() throws {
            print(BaselineStore.renderList(BaselineStore.list(folder: folder), folder: folder), terminator: "")
        }
    }
}
