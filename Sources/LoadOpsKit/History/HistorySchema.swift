import Foundation
import GRDB

/// The history database's tables, as versioned migrations.
///
/// Each migration also sets `PRAGMA user_version` to its number, so a database written by a newer
/// loadops (a higher number, or migrations this binary does not know) is recognised and refused
/// before anything is written to it. A migration only adds (tables, nullable columns): a database an
/// older loadops wrote keeps every run, and its runs simply have nothing in what was added.
enum HistorySchema {
    /// The highest `user_version` this binary can read and write.
    static let version = 2
    /// `PRAGMA application_id` of a loadops history ("LOAD"), to tell it apart from other SQLite files.
    static let applicationID: Int32 = 0x4C4F_4144

    /// The percentile columns of `endpoint_stats`, in the order of `Percentile.allCases`: `p50_ms` ... `p99_9_ms`.
    static let percentileColumns: [(percentile: Percentile, column: String)] = Percentile.allCases.map { percentile in
        (percentile, "p" + percentile.rawValue.replacingOccurrences(of: ".", with: "_") + "_ms")
    }
    /// Uncorrected percentiles kept as columns (the rest are in the stored document and histograms).
    static let uncorrectedPercentileColumns: [(percentile: Percentile, column: String)] = [
        (.p50, "uncorrected_p50_ms"), (.p95, "uncorrected_p95_ms"), (.p99, "uncorrected_p99_ms"),
    ]
    /// The request phases kept per endpoint (version 2): the time to first byte and the connect time,
    /// p50 and p95; NULL when not measured (older runs, imports, an endpoint that opened no connection).
    /// The other phases and figures are in the stored document.
    static let phaseColumns = ["ttfb_p50_ms", "ttfb_p95_ms", "connect_p50_ms", "connect_p95_ms"]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-runs") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    started_at TEXT NOT NULL,
                    ended_at TEXT NOT NULL,
                    recorded_at TEXT NOT NULL,
                    status TEXT NOT NULL,
                    host TEXT NOT NULL,
                    environment TEXT,
                    model TEXT NOT NULL,
                    users INTEGER NOT NULL,
                    spawn_rate REAL NOT NULL,
                    rate REAL,
                    duration_seconds REAL NOT NULL,
                    config_hash TEXT NOT NULL,
                    source TEXT NOT NULL,
                    tool_version TEXT NOT NULL,
                    success_rate REAL NOT NULL,
                    p95_ms REAL NOT NULL,
                    requests INTEGER NOT NULL,
                    failures INTEGER NOT NULL,
                    rps REAL NOT NULL,
                    peak_users INTEGER NOT NULL,
                    document_json TEXT NOT NULL
                );
                CREATE INDEX runs_by_start ON runs(started_at, id);
                """)
            let percentiles = (percentileColumns + uncorrectedPercentileColumns)
                .map { "\($0.column) REAL" }.joined(separator: ",\n    ")
            try db.execute(sql: """
                CREATE TABLE endpoint_stats (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    is_aggregate INTEGER NOT NULL,
                    method TEXT NOT NULL,
                    name TEXT NOT NULL,
                    requests INTEGER NOT NULL,
                    failures INTEGER NOT NULL,
                    success_rate REAL NOT NULL,
                    error_rate REAL NOT NULL,
                    rps REAL NOT NULL,
                    failures_per_second REAL NOT NULL,
                    min_ms REAL NOT NULL,
                    mean_ms REAL NOT NULL,
                    max_ms REAL NOT NULL,
                    avg_content_size REAL NOT NULL,
                    \(percentiles),
                    PRIMARY KEY (run_id, position)
                );
                CREATE INDEX endpoint_stats_by_name ON endpoint_stats(name, method);
                CREATE TABLE time_series (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    elapsed REAL NOT NULL,
                    timestamp REAL NOT NULL,
                    users INTEGER NOT NULL,
                    requests INTEGER NOT NULL,
                    failures INTEGER NOT NULL,
                    rps REAL NOT NULL,
                    fps REAL NOT NULL,
                    p50_ms REAL NOT NULL,
                    p95_ms REAL NOT NULL,
                    p99_ms REAL NOT NULL,
                    total_requests INTEGER NOT NULL,
                    total_failures INTEGER NOT NULL
                );
                CREATE INDEX time_series_by_run ON time_series(run_id, elapsed);
                CREATE TABLE histograms (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    endpoint TEXT NOT NULL,
                    method TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('corrected', 'uncorrected')),
                    encoding TEXT NOT NULL,
                    total_count INTEGER NOT NULL,
                    data BLOB NOT NULL,
                    PRIMARY KEY (run_id, endpoint, method, kind)
                );
                CREATE TABLE thresholds (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    scope TEXT NOT NULL,
                    expression TEXT NOT NULL,
                    observed REAL,
                    passed INTEGER NOT NULL,
                    PRIMARY KEY (run_id, position)
                );
                CREATE TABLE archives (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    path TEXT NOT NULL,
                    recorded_at TEXT NOT NULL
                );
                CREATE INDEX archives_by_run ON archives(run_id);
                PRAGMA application_id = \(applicationID);
                PRAGMA user_version = 1;
                """)
        }
        // User flows, one row per flow of a run (`failed_at_step`: a JSON object, step name to the
        // iterations that failed there), and the request phases of each endpoint.
        migrator.registerMigration("v2-flows-and-phases") { db in
            let percentiles = percentileColumns.map { "\($0.column) REAL" }.joined(separator: ",\n    ")
            try db.execute(sql: """
                CREATE TABLE run_flows (
                    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    iterations_started INTEGER NOT NULL,
                    iterations_completed INTEGER NOT NULL,
                    iterations_failed INTEGER NOT NULL,
                    failure_rate REAL NOT NULL,
                    iterations_per_second REAL NOT NULL,
                    min_ms REAL NOT NULL,
                    mean_ms REAL NOT NULL,
                    max_ms REAL NOT NULL,
                    \(percentiles),
                    failed_at_step TEXT NOT NULL,
                    PRIMARY KEY (run_id, position)
                );
                CREATE INDEX run_flows_by_name ON run_flows(name);
                """)
            for column in phaseColumns {
                try db.execute(sql: "ALTER TABLE endpoint_stats ADD COLUMN \(column) REAL")
            }
            try db.execute(sql: "PRAGMA user_version = 2")
        }
        return migrator
    }
}
