import Foundation
import GRDB

/// Where a recorded run came from (the `source` column).
public enum RunSource {
    public static let loadops = "loadops"
    public static let importedResults = "import:results.json"
    public static let importedLocustCSV = "import:locust-csv"
    public static let importedK6Summary = "import:k6-summary"
}

extension HistoryStore {
    /// Records a finished (or aborted, or interrupted) run with its histograms; returns the run id.
    /// `document` is the run's `results.json` (`ResultsDocument.make(from: result)`), already free of secrets.
    ///
    /// The `corrected` histogram is the one latencies are reported from; `uncorrected` is stored too
    /// when the open model corrected for coordinated omission (otherwise the two are the same).
    @discardableResult
    public func record(_ result: RunResult, document: ResultsDocument) throws(HistoryError) -> Int64 {
        var histograms: [StoredHistogram] = []
        for statistics in result.endpoints + [result.aggregate] {
            // The aggregate is stored as endpoint `Aggregated` with an empty method, as in results.json.
            let key = statistics.key
            histograms.append(StoredHistogram(endpoint: key.name, method: key.method, kind: "corrected",
                                              histogram: statistics.latency))
            if result.coordinatedOmissionCorrected {
                histograms.append(StoredHistogram(endpoint: key.name, method: key.method, kind: "uncorrected",
                                                  histogram: statistics.uncorrected))
            }
        }
        return try insert(document, source: RunSource.loadops, histograms: histograms, unlessPresent: false).runID
    }

    /// Records results made elsewhere (`RunSource.importedResults`, `RunSource.importedLocustCSV`) unless the
    /// history already holds the same document (see `ImportedRun`); returns the run id, the earlier one then.
    /// Imported runs have no histograms: their percentiles are the ones in the document.
    @discardableResult
    public func record(imported document: ResultsDocument, source: String) throws(HistoryError) -> Int64 {
        try recordUnlessPresent(imported: document, source: source).runID
    }

    /// Records an imported document, or finds the run that already holds it: a document counts as
    /// recorded when a run with the same start time stores exactly the same JSON (the same file
    /// imported twice, or the results.json of a run `loadops run` recorded itself). Checked and
    /// written in one transaction, so two imports of one file at once still record it once.
    public func recordUnlessPresent(imported document: ResultsDocument, source: String) throws(HistoryError) -> ImportedRun {
        let (runID, isNew) = try insert(document, source: source, histograms: [], unlessPresent: true)
        return ImportedRun(runID: runID, alreadyRecorded: !isNew)
    }

    /// Stores the threshold outcomes of a run, replacing any stored before for it (so re-evaluating is harmless).
    public func record(thresholds: [(scope: String, expression: String, observed: Double?, passed: Bool)],
                       runID: Int64) throws(HistoryError) {
        try write("record the thresholds of run \(runID)") { db in
            try Self.requireRun(runID, db: db, path: path)
            try db.execute(sql: "DELETE FROM thresholds WHERE run_id = ?", arguments: [runID])
            for (position, threshold) in thresholds.enumerated() {
                try db.execute(sql: """
                    INSERT INTO thresholds (run_id, position, scope, expression, observed, passed) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [runID, position, threshold.scope, threshold.expression,
                                     threshold.observed.flatMap { $0.isFinite ? $0 : nil }, threshold.passed])
            }
        }
    }

    /// Notes that `path` holds an archive of the run (`loadops archive`); returns the archive row's id.
    @discardableResult
    public func recordArchive(runID: Int64, name: String, path archivePath: String) throws(HistoryError) -> Int64 {
        try write("record the archive of run \(runID)") { db in
            try Self.requireRun(runID, db: db, path: path)
            try db.execute(sql: "INSERT INTO archives (run_id, name, path, recorded_at) VALUES (?, ?, ?, ?)",
                           arguments: [runID, name, archivePath, HistoryTime.string(Date())])
            return db.lastInsertedRowID
        }
    }

    struct StoredHistogram {
        var endpoint: String
        var method: String
        var kind: String
        var histogram: LatencyHistogram
    }

    /// One transaction per run: a run is stored whole or not at all. With `unlessPresent`, a run with
    /// the same start time and stored JSON is returned instead (`isNew` false).
    private func insert(
        _ document: ResultsDocument, source: String, histograms: [StoredHistogram], unlessPresent: Bool
    ) throws(HistoryError) -> (runID: Int64, isNew: Bool) {
        // Imported documents were written by anyone: no URL password or secret header reaches the database.
        let document = document.redacted()
        let json: String
        do {
            json = String(decoding: try document.encoded(), as: UTF8.self)
        } catch {
            throw .sqlite(path: path, operation: "record the run", message: "the results cannot be encoded: \(error)")
        }
        let configHash = ConfigFingerprint.hash(document.config)
        let encodedHistograms = histograms.map { ($0, HistogramCoding.encode($0.histogram)) }
        let startedAt = HistoryTime.string(document.startedAt)
        return try write("record the run") { db in
            if unlessPresent, let existing = try Int64.fetchOne(db, sql: """
                SELECT id FROM runs WHERE started_at = ? AND document_json = ? ORDER BY id LIMIT 1
                """, arguments: [startedAt, json]) {
                return (existing, false)
            }
            try db.execute(sql: """
                INSERT INTO runs (started_at, ended_at, recorded_at, status, host, environment, model, users, spawn_rate,
                    rate, duration_seconds, config_hash, source, tool_version, success_rate, p95_ms, requests, failures,
                    rps, peak_users, document_json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [
                    startedAt, HistoryTime.string(document.endedAt), HistoryTime.string(Date()),
                    document.status.rawValue, document.host, document.environment, document.model,
                    document.load.users, document.load.spawnRate, document.load.rate, document.durationSeconds,
                    configHash, source, document.toolVersion, document.successRate, document.p95Latency,
                    Self.integer(document.aggregate.requests), Self.integer(document.aggregate.failures),
                    document.aggregate.rps, document.peakUsers, json,
                ])
            let runID = db.lastInsertedRowID
            for (position, endpoint) in ([document.aggregate] + document.endpoints).enumerated() {
                try Self.insert(endpoint, isAggregate: position == 0, position: position, runID: runID, db: db)
            }
            for (position, flow) in (document.flows ?? []).enumerated() {
                try Self.insert(flow, position: position, runID: runID, db: db)
            }
            for point in document.timeSeries {
                try db.execute(sql: """
                    INSERT INTO time_series (run_id, elapsed, timestamp, users, requests, failures, rps, fps, p50_ms, p95_ms,
                        p99_ms, total_requests, total_failures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        runID, point.elapsed, point.timestamp, point.users, Self.integer(point.requests),
                        Self.integer(point.failures), point.requestsPerSecond, point.failuresPerSecond,
                        point.p50, point.p95, point.p99, Self.integer(point.totalRequests), Self.integer(point.totalFailures),
                    ])
            }
            for (stored, data) in encodedHistograms {
                try db.execute(sql: """
                    INSERT INTO histograms (run_id, endpoint, method, kind, encoding, total_count, data) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [runID, stored.endpoint, stored.method, stored.kind, HistogramCoding.encodingName,
                                     Self.integer(stored.histogram.totalCount), data])
            }
            return (runID, true)
        }
    }

    private static func insert(_ endpoint: ResultsDocument.Endpoint, isAggregate: Bool, position: Int, runID: Int64,
                               db: Database) throws {
        let percentileColumns = HistorySchema.percentileColumns + HistorySchema.uncorrectedPercentileColumns
        var columns = ["run_id", "position", "is_aggregate", "method", "name", "requests", "failures", "success_rate",
                       "error_rate", "rps", "failures_per_second", "min_ms", "mean_ms", "max_ms", "avg_content_size"]
            + percentileColumns.map(\.column)
        var values: [(any DatabaseValueConvertible)?] = [
            runID, position, isAggregate, endpoint.method, endpoint.name, integer(endpoint.requests), integer(endpoint.failures),
            endpoint.successRate, endpoint.errorRate, endpoint.rps, endpoint.failuresPerSecond, endpoint.minMs,
            endpoint.meanMs, endpoint.maxMs, endpoint.avgContentSize,
        ]
        values += HistorySchema.percentileColumns.map { endpoint.percentiles[$0.percentile] }
        values += HistorySchema.uncorrectedPercentileColumns.map { endpoint.uncorrectedPercentiles[$0.percentile] }
        columns += HistorySchema.phaseColumns
        let ttfb = endpoint.phases?.timeToFirstByte, connect = endpoint.phases?.connect
        values += [ttfb?.p50, ttfb?.p95, connect?.p50, connect?.p95]
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        try db.execute(sql: "INSERT INTO endpoint_stats (\(columns.joined(separator: ", "))) VALUES (\(placeholders))",
                       arguments: StatementArguments(values))
    }

    private static func insert(_ flow: ResultsDocument.Flow, position: Int, runID: Int64, db: Database) throws {
        let duration = flow.duration
        let columns = ["run_id", "position", "name", "iterations_started", "iterations_completed", "iterations_failed",
                       "failure_rate", "iterations_per_second", "min_ms", "mean_ms", "max_ms"]
            + HistorySchema.percentileColumns.map(\.column) + ["failed_at_step"]
        var values: [(any DatabaseValueConvertible)?] = [
            runID, position, flow.name, integer(flow.iterationsStarted), integer(flow.iterationsCompleted),
            integer(flow.iterationsFailed), flow.failureRate, flow.iterationsPerSecond, duration.minMs, duration.meanMs,
            duration.maxMs,
        ]
        values += HistorySchema.percentileColumns.map { duration.percentiles[$0.percentile] }
        values.append(try HistoryFlowRow.encodeSteps(flow.failedAtStep))
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        try db.execute(sql: "INSERT INTO run_flows (\(columns.joined(separator: ", "))) VALUES (\(placeholders))",
                       arguments: StatementArguments(values))
    }

    static func requireRun(_ runID: Int64, db: Database, path: String) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [runID]) == true else {
            throw HistoryError.runNotFound(path: path, runID: runID)
        }
    }

    /// SQLite integers are signed 64-bit; counts never come near the limit, but clamp rather than trap.
    static func integer(_ value: UInt64) -> Int64 {
        value > UInt64(Int64.max) ? Int64.max : Int64(value)
    }
}

/// Timestamps in the database: ISO 8601 in UTC with milliseconds, so text order is time order.
enum HistoryTime {
    static func string(_ date: Date) -> String {
        ISO8601Timestamp.format(date, fractional: true)
    }

    /// Reads timestamps with or without milliseconds (older databases may hold either).
    static func date(_ text: String) -> Date? {
        ISO8601Timestamp.parse(text)
    }
}

/// A fingerprint of the effective configuration, to tell at a glance whether two runs used the same settings.
///
/// 64-bit FNV-1a of the configuration's JSON (sorted keys), not a cryptographic hash: it only has to
/// tell settings apart, and no crypto library is a dependency. The config file's path and the output
/// folder are left out; they do not change the load.
enum ConfigFingerprint {
    static func hash(_ config: ResultsDocument.EffectiveConfig) -> String {
        String(format: "%016llx", fnv1a64(fingerprinted(config)))
    }

    /// The settings two fingerprints differ by, in words (`host`, `duration`, `endpoints`, ...): the fields
    /// of the configuration, and of its `load`, whose JSON differs. Empty when the fingerprints are equal.
    static func differences(_ one: ResultsDocument.EffectiveConfig, _ other: ResultsDocument.EffectiveConfig) -> [String] {
        func fields(_ config: ResultsDocument.EffectiveConfig) -> [String: Any] {
            (try? JSONSerialization.jsonObject(with: fingerprinted(config))) as? [String: Any] ?? [:]
        }
        func json(_ value: Any?) -> Data? {
            value.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
        }
        func differing(_ left: [String: Any], _ right: [String: Any]) -> [String] {
            Set(left.keys).union(right.keys).sorted().filter { json(left[$0]) != json(right[$0]) }
        }
        let left = fields(one)
        let right = fields(other)
        var names: [String] = []
        for key in differing(left, right) {
            if key == "load", let leftLoad = left[key] as? [String: Any], let rightLoad = right[key] as? [String: Any] {
                names += differing(leftLoad, rightLoad)
            } else {
                names.append(key == "thresholds_default" ? "thresholds" : key)
            }
        }
        var seen = Set<String>()
        return names.map { $0.replacingOccurrences(of: "_", with: " ") }.filter { seen.insert($0).inserted }
    }

    /// The configuration's JSON (sorted keys) without the config file's path and the output folder.
    private static func fingerprinted(_ config: ResultsDocument.EffectiveConfig) -> Data {
        var normalized = config
        normalized.source = ""
        normalized.output = ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(normalized)) ?? Data()
    }

    static func fnv1a64(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
