import Foundation
import GRDB

extension HistoryStore {
    /// The most recent runs, newest first (by start time, then id).
    public func runs(limit: Int? = nil) throws(HistoryError) -> [RunSummaryRow] {
        try read("list the runs") { db in
            let limitClause = limit.map { " LIMIT \(max($0, 0))" } ?? ""
            return try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY started_at DESC, id DESC" + limitClause)
                .map(Self.summary)
        }
    }

    public func run(id: Int64) throws(HistoryError) -> RunSummaryRow? {
        try read("read run \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]).map(Self.summary)
        }
    }

    /// The run's `results.json` as recorded.
    public func document(runID: Int64) throws(HistoryError) -> ResultsDocument {
        let json = try read("read run \(runID)") { db in
            try String.fetchOne(db, sql: "SELECT document_json FROM runs WHERE id = ?", arguments: [runID])
        }
        guard let json else { throw .runNotFound(path: path, runID: runID) }
        do {
            return try ResultsDocument.decode(Data(json.utf8), path: "\(path) run \(runID)")
        } catch {
            throw .storedDocumentUnreadable(path: path, runID: runID, reason: error.description)
        }
    }

    /// The aggregate first, then the endpoints in the run's order.
    public func endpoints(runID: Int64) throws(HistoryError) -> [HistoryEndpointRow] {
        try read("read run \(runID)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM endpoint_stats WHERE run_id = ? ORDER BY position", arguments: [runID])
                .map { row in
                    var percentiles: [Percentile: Double] = [:]
                    for (percentile, column) in HistorySchema.percentileColumns {
                        if let value: Double = row[column] { percentiles[percentile] = value }
                    }
                    return HistoryEndpointRow(
                        isAggregate: row["is_aggregate"], method: row["method"], name: row["name"],
                        requests: Self.count(row["requests"]), failures: Self.count(row["failures"]),
                        successRate: row["success_rate"], errorRate: row["error_rate"], requestsPerSecond: row["rps"],
                        minMilliseconds: row["min_ms"], meanMilliseconds: row["mean_ms"], maxMilliseconds: row["max_ms"],
                        percentiles: percentiles,
                        timeToFirstByteP50Milliseconds: row["ttfb_p50_ms"], timeToFirstByteP95Milliseconds: row["ttfb_p95_ms"],
                        connectP50Milliseconds: row["connect_p50_ms"], connectP95Milliseconds: row["connect_p95_ms"])
                }
        }
    }

    /// The run's user flows in the run's order; empty for a run without flows (and every run recorded
    /// before flows were).
    public func flows(runID: Int64) throws(HistoryError) -> [HistoryFlowRow] {
        try read("read the flows of run \(runID)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run_flows WHERE run_id = ? ORDER BY position", arguments: [runID])
                .map { row in
                    var percentiles: [Percentile: Double] = [:]
                    for (percentile, column) in HistorySchema.percentileColumns {
                        if let value: Double = row[column] { percentiles[percentile] = value }
                    }
                    return HistoryFlowRow(
                        name: row["name"], iterationsStarted: Self.count(row["iterations_started"]),
                        iterationsCompleted: Self.count(row["iterations_completed"]),
                        iterationsFailed: Self.count(row["iterations_failed"]), failureRate: row["failure_rate"],
                        iterationsPerSecond: row["iterations_per_second"], minMilliseconds: row["min_ms"],
                        meanMilliseconds: row["mean_ms"], maxMilliseconds: row["max_ms"], percentiles: percentiles,
                        failedAtStep: HistoryFlowRow.decodeSteps(row["failed_at_step"]))
                }
        }
    }

    /// The run's per-second time series, in order.
    public func timeSeries(runID: Int64) throws(HistoryError) -> [SecondSnapshot] {
        try read("read the time series of run \(runID)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM time_series WHERE run_id = ? ORDER BY elapsed, rowid", arguments: [runID])
                .map { row in
                    SecondSnapshot(
                        timestamp: row["timestamp"], elapsed: row["elapsed"], users: row["users"],
                        requests: Self.count(row["requests"]), failures: Self.count(row["failures"]),
                        requestsPerSecond: row["rps"], failuresPerSecond: row["fps"],
                        p50: row["p50_ms"], p95: row["p95_ms"], p99: row["p99_ms"],
                        totalRequests: Self.count(row["total_requests"]), totalFailures: Self.count(row["total_failures"]))
                }
        }
    }

    /// The database's tables (for checks of the schema).
    func tableNames() throws(HistoryError) -> [String] {
        try read("list the tables") { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
    }

    /// `PRAGMA user_version`: the schema version the file is at.
    func schemaVersion() throws(HistoryError) -> Int {
        try read("read the schema version") { db in try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0 }
    }

    public func thresholds(runID: Int64) throws(HistoryError) -> [ThresholdRow] {
        try read("read the thresholds of run \(runID)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM thresholds WHERE run_id = ? ORDER BY position", arguments: [runID])
                .map { ThresholdRow(scope: $0["scope"], expression: $0["expression"], observed: $0["observed"], passed: $0["passed"]) }
        }
    }

    public func archives(runID: Int64) throws(HistoryError) -> [ArchiveRow] {
        try read("read the archives of run \(runID)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM archives WHERE run_id = ? ORDER BY id", arguments: [runID])
                .map { ArchiveRow(name: $0["name"], path: $0["path"], recordedAt: HistoryTime.date($0["recorded_at"]) ?? .distantPast) }
        }
    }

    /// A stored histogram, rebuilt: `endpoint` is the endpoint's name, or `Aggregated` with an empty method.
    /// `kind` is `corrected` (what latencies are reported from) or `uncorrected`; nil when not stored
    /// (imported runs, or `uncorrected` of a run without coordinated-omission correction).
    public func histogram(runID: Int64, endpoint: String, method: String, kind: String = "corrected") throws(HistoryError) -> LatencyHistogram? {
        let data = try read("read a histogram of run \(runID)") { db in
            try Data.fetchOne(db, sql: """
                SELECT data FROM histograms WHERE run_id = ? AND endpoint = ? AND method = ? AND kind = ?
                """, arguments: [runID, endpoint, method, kind])
        }
        guard let data else { return nil }
        return try HistogramCoding.decode(data)
    }

    /// The run that started at `startedAt`, to the millisecond the history keeps (the newest when
    /// several did); nil when none. Reads the `runs_by_start` index only, never the documents.
    public func runID(startedAt: Date) throws(HistoryError) -> Int64? {
        // Stored times are rounded to the millisecond; text order is time order.
        let earliest = HistoryTime.string(startedAt.addingTimeInterval(-0.002))
        let latest = HistoryTime.string(startedAt.addingTimeInterval(0.002))
        return try read("find the run that started at \(HistoryTime.string(startedAt))") { db in
            try Int64.fetchOne(db, sql: """
                SELECT id FROM runs WHERE started_at BETWEEN ? AND ? ORDER BY started_at DESC, id DESC LIMIT 1
                """, arguments: [earliest, latest])
        }
    }

    /// The most recent run by start time (the highest id among equal start times).
    public func latestRunID() throws(HistoryError) -> Int64? {
        try read("find the latest run") { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1")
        }
    }

    /// The run that started just before run `id`; nil when `id` is the first. Throws when `id` is unknown.
    public func previousRunID(before id: Int64) throws(HistoryError) -> Int64? {
        try read("find the run before run \(id)") { db in
            guard let startedAt = try String.fetchOne(db, sql: "SELECT started_at FROM runs WHERE id = ?", arguments: [id]) else {
                throw HistoryError.runNotFound(path: path, runID: id)
            }
            return try Int64.fetchOne(db, sql: """
                SELECT id FROM runs WHERE started_at < ?1 OR (started_at = ?1 AND id < ?2)
                ORDER BY started_at DESC, id DESC LIMIT 1
                """, arguments: [startedAt, id])
        }
    }

    /// `metric` over the last `last` runs, oldest first, whatever their host or configuration. `endpoint`
    /// nil means the aggregate; otherwise an endpoint name, or `METHOD name` when the name exists with several methods.
    public func trend(metric: TrendMetric, endpoint: String? = nil, last: Int = 20) throws(HistoryError) -> [TrendPoint] {
        try trend(metric: metric, endpoint: endpoint, last: last, scope: TrendScope()).points
    }

    /// `metric` over the last `last` runs on `scope`'s host, in its environment and with its configuration,
    /// oldest first, with the runs the configuration filter left out counted. An empty history gives no
    /// points; a host, environment or run the history does not have is an error.
    public func trend(metric: TrendMetric, endpoint: String? = nil, last: Int = 20,
                      scope: TrendScope) throws(HistoryError) -> HistoryTrend {
        var otherConfigurationRuns: [Int64] = []
        let selected = try read("read the trend of \(metric.rawValue)") { db -> HistoryTrend in
            var trend = HistoryTrend(points: [], scope: scope, configurationRunID: nil, configurationSummary: nil,
                                     leftOut: 0, leftOutConfigurations: 0, leftOutDifferences: [])
            if case .ofRun(let id) = scope.configuration {
                try Self.requireRun(id, db: db, path: path)
            } else if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM runs)") != true {
                return trend
            }
            let (scopeFilter, scopeArguments) = try Self.scopeFilter(scope, db: db)
            let configHash: String?
            switch scope.configuration {
            case .all:
                configHash = nil
            case .latest:
                let latest = try Row.fetchOne(db, sql: """
                    SELECT id, config_hash FROM runs r WHERE \(scopeFilter) ORDER BY started_at DESC, id DESC LIMIT 1
                    """, arguments: scopeArguments)
                guard let latest else { return trend }
                trend.configurationRunID = latest["id"]
                configHash = latest["config_hash"]
            case .ofRun(let id):
                let inScope = try Bool.fetchOne(db, sql: "SELECT 1 FROM runs r WHERE id = ? AND \(scopeFilter)",
                                                arguments: [id] + scopeArguments) ?? false
                if !inScope, let row = try Row.fetchOne(db, sql: "SELECT host, environment FROM runs WHERE id = ?", arguments: [id]) {
                    let options = [scope.host.map { "--host \($0)" }, scope.environment.map { "--environment \($0)" }]
                    throw HistoryError.configurationRunOutOfScope(runID: id, host: row["host"], environment: row["environment"],
                                                                  scope: options.compactMap { $0 }.joined(separator: " with "))
                }
                trend.configurationRunID = id
                configHash = try String.fetchOne(db, sql: "SELECT config_hash FROM runs WHERE id = ?", arguments: [id])
            }

            var runFilter = scopeFilter
            var arguments = scopeArguments
            if let configHash {
                runFilter += " AND r.config_hash = ?"
                arguments += [configHash]
            }
            var endpointFilter = "e.is_aggregate = 1"
            var endpointArguments: StatementArguments = []
            if let endpoint {
                let (method, name) = try Self.endpointFilter(endpoint, db: db)
                endpointFilter = "e.is_aggregate = 0 AND e.name = ?"
                endpointArguments += [name]
                if let method {
                    endpointFilter += " AND e.method = ?"
                    endpointArguments += [method]
                }
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.id AS id, r.started_at AS started_at, r.status AS status, r.config_hash AS config_hash,
                       e.requests AS requests, e.\(metric.column) AS value
                FROM runs r LEFT JOIN endpoint_stats e ON e.run_id = r.id AND \(endpointFilter)
                WHERE \(runFilter)
                ORDER BY r.started_at DESC, r.id DESC LIMIT ?
                """, arguments: endpointArguments + arguments + [max(last, 0)])
            trend.points = rows.reversed().map { row in
                let requests: Int64? = row["requests"]
                var value: Double? = row["value"]
                if requests == nil || (metric.isLatency && requests == 0) { value = nil }
                return TrendPoint(runID: row["id"], startedAt: HistoryTime.date(row["started_at"]) ?? .distantPast,
                                  status: row["status"], requests: Self.count(requests ?? 0), value: value,
                                  configHash: row["config_hash"])
            }
            if let configHash {
                // What `--all-configurations` would add: the other configurations among the newest `last` runs
                // in scope, with one run of each (equal fingerprints, equal settings) to say how it differs.
                let leftOut = try Row.fetchAll(db, sql: """
                    SELECT config_hash, COUNT(*) AS runs, MAX(id) AS id FROM (
                        SELECT r.id, r.config_hash FROM runs r WHERE \(scopeFilter) ORDER BY r.started_at DESC, r.id DESC LIMIT ?
                    ) WHERE config_hash != ? GROUP BY config_hash
                    """, arguments: scopeArguments + [max(last, 0), configHash])
                trend.leftOut = leftOut.reduce(0) { $0 + ($1["runs"] as Int) }
                trend.leftOutConfigurations = leftOut.count
                otherConfigurationRuns = leftOut.map { $0["id"] }
            }
            return trend
        }
        // The words come from the stored documents; one that no longer decodes costs the words, not the trend.
        guard let runID = selected.configurationRunID, let reference = try? document(runID: runID) else { return selected }
        var trend = selected
        trend.configurationSummary = Self.configurationSummary(reference)
        var differences = Set<String>()
        for other in otherConfigurationRuns {
            guard let config = try? document(runID: other).config else { continue }
            differences.formUnion(ConfigFingerprint.differences(reference.config, config))
        }
        trend.leftOutDifferences = differences.sorted()
        return trend
    }

    /// The host, environment, load and endpoints of a run, as `history trend` names a configuration:
    /// `host http://127.0.0.1:8000, environment staging, open model 50 req/s, up to 1000 connections, 2 endpoints`.
    /// The load in the words a comparison uses when it says two runs differ.
    static func configurationSummary(_ document: ResultsDocument) -> String {
        var parts = ["host \(document.host.isEmpty ? "-" : document.host)"]
        if let environment = document.environment { parts.append("environment \(environment)") }
        parts.append("\(document.load.model) model \(ConfigurationDifference.describe(document.load))")
        parts.append("\(document.endpoints.count) endpoint\(document.endpoints.count == 1 ? "" : "s")")
        return parts.joined(separator: ", ")
    }

    /// The SQL condition on `runs r` for `--host` and `--environment`, resolved against the hosts and
    /// environments the history holds; throws when one matches no run, or the two match no run together.
    private static func scopeFilter(_ scope: TrendScope, db: Database) throws -> (sql: String, arguments: StatementArguments) {
        var conditions = ["1 = 1"]
        var arguments: StatementArguments = []
        if let given = scope.host {
            let known = try String.fetchAll(db, sql: "SELECT DISTINCT host FROM runs ORDER BY host")
            let hosts = known.filter { TrendHost.stored($0, matches: given) }
            guard !hosts.isEmpty else { throw HistoryError.unknownHost(given: given, known: known) }
            conditions.append("r.host IN (\(Array(repeating: "?", count: hosts.count).joined(separator: ", ")))")
            arguments += StatementArguments(hosts)
        }
        if let given = scope.environment {
            let known = try String.fetchAll(db, sql: """
                SELECT DISTINCT environment FROM runs WHERE environment IS NOT NULL ORDER BY environment
                """)
            // The exact name, or failing that the only one differing in case.
            let matching = known.contains(given) ? [given] : known.filter { $0.caseInsensitiveCompare(given) == .orderedSame }
            guard let environment = matching.first, matching.count == 1 else {
                throw HistoryError.unknownEnvironment(given: given, known: known)
            }
            conditions.append("r.environment = ?")
            arguments += [environment]
        }
        let sql = conditions.joined(separator: " AND ")
        if let host = scope.host, let environment = scope.environment,
           try Bool.fetchOne(db, sql: "SELECT 1 FROM runs r WHERE \(sql) LIMIT 1", arguments: arguments) != true {
            throw HistoryError.noRunsInScope(host: host, environment: environment)
        }
        return (sql, arguments)
    }

    /// Resolves `--endpoint`: a name, or `METHOD name`. Several methods for one name must be told apart.
    private static func endpointFilter(_ text: String, db: Database) throws -> (method: String?, name: String) {
        let methods = try String.fetchAll(db, sql: """
            SELECT DISTINCT method FROM endpoint_stats WHERE is_aggregate = 0 AND name = ? ORDER BY method
            """, arguments: [text])
        if methods.count > 1 { throw HistoryError.ambiguousEndpoint(name: text, methods: methods) }
        if !methods.isEmpty { return (nil, text) }
        if let space = text.firstIndex(of: " ") {
            let method = String(text[..<space]).uppercased()
            let name = String(text[text.index(after: space)...]).trimmingCharacters(in: .whitespaces)
            let known = try Bool.fetchOne(db, sql: """
                SELECT 1 FROM endpoint_stats WHERE is_aggregate = 0 AND method = ? AND name = ? LIMIT 1
                """, arguments: [method, name]) ?? false
            if known { return (method, name) }
        }
        let names = try String.fetchAll(db, sql: """
            SELECT DISTINCT name FROM endpoint_stats WHERE is_aggregate = 0 ORDER BY name LIMIT 12
            """)
        throw HistoryError.unknownEndpoint(name: text, known: names)
    }

    private static func summary(_ row: Row) -> RunSummaryRow {
        RunSummaryRow(
            id: row["id"],
            startedAt: HistoryTime.date(row["started_at"]) ?? .distantPast,
            endedAt: HistoryTime.date(row["ended_at"]) ?? .distantPast,
            status: row["status"], host: row["host"], environment: row["environment"], model: row["model"],
            users: row["users"], spawnRate: row["spawn_rate"], rate: row["rate"], durationSeconds: row["duration_seconds"],
            configHash: row["config_hash"], source: row["source"],
            requests: count(row["requests"]), failures: count(row["failures"]),
            successRate: row["success_rate"], p95Milliseconds: row["p95_ms"], requestsPerSecond: row["rps"])
    }

    private static func count(_ value: Int64) -> UInt64 { UInt64(max(value, 0)) }
}
