import Foundation

/// `loadops history list|show|trend`: each reads the history database and returns the text to print.
/// A database that is missing (except for the list), damaged or another program's is a `HistoryError`.
extension HistoryReport {
    /// The newest `last` runs. No database yet is not an error: nothing has been recorded.
    public static func runList(databasePath: String, last: Int) throws -> String {
        guard FileManager.default.fileExists(atPath: databasePath) else {
            return "no runs recorded yet (no history database at \(databasePath))\n"
        }
        let store = try HistoryStore.open(path: databasePath, createIfMissing: false)
        return runList(try store.runs(limit: last))
    }

    /// One run (an id, `latest` or `previous`) with its endpoints, flows, thresholds, archives and warnings.
    public static func runDetail(_ runSpec: String, databasePath: String) throws -> String {
        let store = try HistoryStore.open(path: databasePath, createIfMissing: false)
        let id = try ResultsLocator.runID(runSpec, in: store)
        guard let summary = try store.run(id: id) else { throw HistoryError.runNotFound(path: store.path, runID: id) }
        let document = try? store.document(runID: id)
        return runDetail(summary, endpoints: try store.endpoints(runID: id), thresholds: try store.thresholds(runID: id),
                         archives: try store.archives(runID: id), warnings: document?.warnings ?? [],
                         warningSigns: document?.warningSigns ?? [], monitor: document?.monitor,
                         stopReason: document?.status == .completed ? nil : document?.stopReason, engine: document?.engine,
                         flows: try store.flows(runID: id))
    }

    /// A metric across the runs `request` chooses.
    public static func trend(_ request: TrendRequest, databasePath: String) throws -> String {
        let store = try HistoryStore.open(path: databasePath, createIfMissing: false)
        var scope = TrendScope(host: request.host, environment: request.environment,
                               configuration: request.allConfigurations ? .all : .latest)
        if let configOf = request.configOf { scope.configuration = .ofRun(try ResultsLocator.runID(configOf, in: store)) }
        let trend = try store.trend(metric: request.metric, endpoint: request.endpoint, last: request.last, scope: scope)
        return self.trend(trend, metric: request.metric, endpoint: request.endpoint)
    }
}

/// `loadops history trend`'s choice of metric and runs.
public struct TrendRequest: Sendable {
    public var metric: TrendMetric
    /// An endpoint name (or `METHOD name`); nil: all endpoints together.
    public var endpoint: String?
    /// How many runs, newest first.
    public var last: Int
    /// Only runs against this host (a base URL, or `host[:port]` for any scheme).
    public var host: String?
    public var environment: String?
    /// Only runs with the configuration of this run (an id, `latest` or `previous`).
    public var configOf: String?
    /// Runs of every configuration, not only the latest run's.
    public var allConfigurations: Bool

    public init(metric: TrendMetric = .p95, endpoint: String? = nil, last: Int = 20, host: String? = nil,
                environment: String? = nil, configOf: String? = nil, allConfigurations: Bool = false) {
        self.metric = metric
        self.endpoint = endpoint
        self.last = last
        self.host = host
        self.environment = environment
        self.configOf = configOf
        self.allConfigurations = allConfigurations
    }
}
