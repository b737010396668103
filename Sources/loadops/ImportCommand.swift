import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops import`: results made elsewhere into the history, a loadops `results.json` or a Locust `--csv` prefix.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Record results made elsewhere in the history: a results.json, a Locust --csv prefix, or a k6 summary JSON.",
        discussion: """
            A Locust prefix is what was given to `locust --csv`: `loadops import results/run1` reads \
            results/run1_stats.csv, and results/run1_stats_history.csv when it exists. Locust's \
            percentiles are its rounded response-time buckets (2 significant figures above 100 ms), \
            so comparisons against them are approximate. Every file is checked before anything is \
            recorded: a bad file records nothing and exits with 2. A document already in the \
            history (the same file imported before, or the results.json of a run `loadops run` \
            recorded) is not recorded again: `already recorded as run N`, exit 0.

            A k6 summary is the file of `k6 run --summary-export FILE`, or the JSON of the data \
            handleSummary receives: its requests, failed requests and http_req_duration percentiles \
            as k6 exported them, for all requests together (k6's summary has no per-endpoint \
            figures and no per-second series).
            """)

    @Argument(help: ArgumentHelp("results.json files, baselines, Locust --csv prefixes or k6 summary JSON files.", valueName: "file-or-prefix"))
    var sources: [String]

    @OptionGroup var database: HistoryDatabaseOption

    @Option(help: ArgumentHelp("Host to record for Locust or k6 results (their files do not name it).", valueName: "url"))
    var host: String = ""

    @Option(help: ArgumentHelp("Environment to record for Locust results.", valueName: "name"))
    var environment: String?

    func validate() throws {
        guard !sources.isEmpty else { throw ValidationError("name at least one results.json file, Locust --csv prefix or k6 summary") }
    }

    func run() throws {
        let lines = try ResultsImport(sources: sources, host: host, environment: environment, databasePath: database.path).record()
        for line in lines { print(line) }
    }
}
