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
                    var percentiles: [String: Double] = [:]
                    for (label, column) in HistorySchema.percentileColumns {
                        if let value: Double = row[column] { percentiles[label] = value }
                    }
                    return HistoryEndpointRow(
                        isAggregate: row["is_aggregate"], method: row["method"], name: row["name"],
                        requests: Self.count(row["requests"]), failures: Self.count(row["failures"]),
                        successRate: row["success_rate"], errorRate: row["error_rate"], requestsPerSecond: row["rps"],
                        minMilliseconds: row["min_ms"], meanMilliseconds: row["mean_ms"], maxMilliseconds: row["max_ms"],
                        percentiles: percentiles)
                }
        }
    }

    /// The run's per-second time series, in order.
    public func timeSeries(runID: Int64) throws(HistoryError) -> [ResultsDocument.TimePoint] {
        try read("read the time series of run \(runID)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM time_series WHERE run_id = ? ORDER BY elapsed, rowid", arguments: [runID])
                .map { row in
                    ResultsDocument.TimePoint(
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

    /// `metric` over the last `last` runs, oldest first. `endpoint` nil means the aggregate; otherwise an
    /// endpoint name, or `METHOD name` when the name exists with several methods.
    public func trend(metric: TrendMetric, endpoint: String? = nil, last: Int = 20) throws(HistoryError) -> [TrendPoint] {
        try read("read the trend of \(metric.rawValue)") { db in
            var filter = "e.is_aggregate = 1"
            var arguments: StatementArguments = []
            if let endpoint {
                let (method, name) = try Self.endpointFilter(endpoint, db: db)
                filter = "e.is_aggregate = 0 AND e.name = ?"
                arguments += [name]
                if let method {
                    filter += " AND e.method = ?"
                    arguments += [method]
                }
            }
            arguments += [max(last, 0)]
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.id AS id, r.started_at AS started_at, r.status AS status, e.requests AS requests,
                       e.\(metric.column) AS value
                FROM runs r LEFT JOIN endpoint_stats e ON e.run_id = r.id AND \(filter)
                ORDER BY r.started_at DESC, r.id DESC LIMIT ?
                """, arguments: arguments)
            return rows.reversed().map { row in
                let requests: Int64? = row["requests"]
                var value: Double? = row["value"]
                if requests == nil || (metric.isLatency && requests == 0) { value = nil }
                return TrendPoint(runID: row["id"], startedAt: HistoryTime.date(row["started_at"]) ?? .distantPast,
                                  status: row["status"], requests: Self.count(requests ?? 0), value: value)
            }
        }
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
