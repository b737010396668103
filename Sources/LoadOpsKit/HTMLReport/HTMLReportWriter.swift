import Foundation

/// `load_test_report.html` in the results folder (or at `path`), one of the reports every run and
/// `loadops summary` write (`ReportWriters.list`), and what `loadops report` writes for any run.
public struct HTMLReportWriter: ReportWriter {
    /// The history database, for the p95 across the last runs of the run's configuration; nil, or a
    /// database that does not exist or does not hold the run, leaves that section saying so.
    public var databasePath: String?
    /// The run's id in that database when the caller knows it; otherwise the run that started when this one did.
    public var runID: Int64?
    /// Where to write; nil: `load_test_report.html` in the folder the writer is given.
    public var path: String?

    public init(databasePath: String?, runID: Int64? = nil, path: String? = nil) {
        self.databasePath = databasePath
        self.runID = runID
        self.path = path
    }

    public func write(_ assessment: RunAssessment, to folder: String) throws -> [String] {
        let target = path ?? (folder as NSString).appendingPathComponent(HTMLReport.fileName)
        try AtomicFileWriter.createFolder((target as NSString).deletingLastPathComponent)
        let history = databasePath.flatMap { Self.history(of: assessment.document, databasePath: $0, runID: runID) }
        try AtomicFileWriter.write(Data(HTMLReport.render(assessment, history: history).utf8), to: target)
        return [target]
    }

    /// How many recorded runs the trend shows.
    static let trendRuns = 20

    /// The run's aggregate p95 among the last runs of its configuration, up to this run. Nil when the
    /// database cannot be read or does not hold the run: the history is extra, never a lost report.
    static func history(of document: ResultsDocument, databasePath: String, runID: Int64?) -> HTMLReport.History? {
        guard FileManager.default.fileExists(atPath: databasePath),
              let store = try? HistoryStore.open(path: databasePath, createIfMissing: false) else { return nil }
        guard let id = runID ?? (try? store.runID(startedAt: document.startedAt)) ?? nil,
              let trend = try? store.trend(metric: .p95, last: trendRuns, scope: TrendScope(configuration: .ofRun(id))),
              let current = trend.points.first(where: { $0.runID == id }) else { return nil }
        // Runs recorded after this one are left out: the report shows what led up to it.
        let points = trend.points.filter { $0.startedAt < current.startedAt || $0.runID == id }
        return HTMLReport.History(runID: id, points: points, configuration: trend.configurationSummary)
    }
}
