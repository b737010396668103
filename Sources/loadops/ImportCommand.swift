import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops import`: results made elsewhere into the history, a loadops `results.json` or a Locust `--csv` prefix.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Record results made elsewhere in the history: a results.json, or a Locust --csv prefix.",
        discussion: """
            A Locust prefix is what was given to `locust --csv`: `loadops import results/run1` reads \
            results/run1_stats.csv, and results/run1_stats_history.csv when it exists. Locust's \
            percentiles are its rounded response-time buckets (2 significant figures above 100 ms), \
            so comparisons against them are approximate. Every file is checked before anything is \
            recorded: a bad file records nothing and exits with 2. A document already in the \
            history (the same file imported before, or the results.json of a run `loadops run` \
            recorded) is not recorded again: `already recorded as run N`, exit 0.
            """)

    @Argument(help: ArgumentHelp("results.json files, baselines, or Locust --csv prefixes.", valueName: "file-or-prefix"))
    var sources: [String]

    @OptionGroup var database: HistoryDatabaseOption

    @Option(help: ArgumentHelp("Host to record for Locust results (its CSV files do not name it).", valueName: "url"))
    var host: String = ""

    @Option(help: ArgumentHelp("Environment to record for Locust results.", valueName: "name"))
    var environment: String?

    func validate() throws {
        guard !sources.isEmpty else { throw ValidationError("name at least one results.json file or Locust --csv prefix") }
    }

    func run() throws {
        try reportingErrors {
            var documents: [(label: String, document: ResultsDocument, source: String)] = []
            for source in sources {
                documents.append(try read(source))
            }
            let store = try HistoryStore.open(path: database.path)
            var notedRounding = false
            for entry in documents {
                let recorded = try store.recordUnlessPresent(imported: entry.document, source: entry.source)
                if recorded.alreadyRecorded {
                    print("\(entry.label): already recorded as run \(recorded.runID); nothing to do")
                    continue
                }
                print("imported \(entry.label) as run \(recorded.runID)")
                if entry.source == RunSource.importedLocustCSV && !notedRounding {
                    print("note: " + LocustCSVImporter.roundingNote)
                    notedRounding = true
                }
            }
        }
    }

    /// A `.json` file is a results document; otherwise a Locust prefix (or its `_stats.csv` file).
    private func read(_ given: String) throws -> (label: String, document: ResultsDocument, source: String) {
        let manager = FileManager.default
        let source = UserPath.expandingHome(given)
        var prefix: String?
        if source.hasSuffix("_stats.csv") {
            prefix = String(source.dropLast("_stats.csv".count))
        } else if !manager.fileExists(atPath: source) && manager.fileExists(atPath: LocustCSVImporter.statsPath(prefix: source)) {
            prefix = source
        }
        if let prefix {
            let document = try LocustCSVImporter.document(prefix: prefix, host: host, environment: environment)
            return (LocustCSVImporter.statsPath(prefix: prefix), document, RunSource.importedLocustCSV)
        }
        guard manager.fileExists(atPath: source) else {
            throw ValidationError("\(source): no such file, and no Locust stats file \(LocustCSVImporter.statsPath(prefix: source))")
        }
        return (source, try ResultsDocument.load(from: source), RunSource.importedResults)
    }
}
