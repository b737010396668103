import Foundation

/// `loadops import`: results made elsewhere recorded in the history, a loadops `results.json` (or
/// baseline), a Locust `--csv` prefix or a k6 end-of-test summary JSON. Every source is read before anything is recorded, so a bad
/// file records nothing; a document already in the history is not recorded twice.
public struct ResultsImport: Sendable {
    /// results.json files, baselines, Locust prefixes (or their `_stats.csv` files), as typed.
    public var sources: [String]
    /// Host and environment to record for Locust results, whose CSV files do not name them.
    public var host: String
    public var environment: String?
    public var databasePath: String

    public init(sources: [String], host: String = "", environment: String? = nil,
                databasePath: String = HistoryDefaults.databasePath) {
        self.sources = sources
        self.host = host
        self.environment = environment
        self.databasePath = databasePath
    }

    /// Records each source; returns the lines to print (`imported FILE as run N`, or `already recorded`).
    public func record() throws -> [String] {
        let documents = try sources.map(read)
        let store = try HistoryStore.open(path: databasePath)
        var lines: [String] = []
        var notedRounding = false
        for entry in documents {
            let recorded = try store.recordUnlessPresent(imported: entry.document, source: entry.source)
            if recorded.alreadyRecorded {
                lines.append("\(entry.label): already recorded as run \(recorded.runID); nothing to do")
                continue
            }
            lines.append("imported \(entry.label) as run \(recorded.runID)")
            if entry.source == RunSource.importedLocustCSV && !notedRounding {
                lines.append("note: " + LocustCSVImporter.roundingNote)
                notedRounding = true
            }
            if entry.source == RunSource.importedK6Summary { lines.append("note: " + K6SummaryImporter.limitsNote) }
        }
        return lines
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
        guard manager.fileExists(atPath: source) else { throw ImportSourceMissing(path: source) }
        // A k6 summary (`--summary-export`, or handleSummary's data) has `metrics.http_reqs` and no schema_version.
        if let data = manager.contents(atPath: source), K6SummaryImporter.looksLikeSummary(data) {
            return (source, try K6SummaryImporter.document(path: source, host: host, environment: environment), RunSource.importedK6Summary)
        }
        return (source, try ResultsDocument.load(from: source), RunSource.importedResults)
    }
}

/// An import source that is neither a file nor a Locust prefix: bad input.
public struct ImportSourceMissing: Error, CustomStringConvertible, Equatable, ExitStatusProviding {
    public var path: String

    public var description: String {
        "\(path): no such file, and no Locust stats file \(LocustCSVImporter.statsPath(prefix: path))"
    }

    public var exitStatus: ExitStatus { .badInput }
}
