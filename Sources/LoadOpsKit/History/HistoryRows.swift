import Foundation

/// One line of `loadops history`: a recorded run's identity, load settings and headline figures.
public struct RunSummaryRow: Sendable, Equatable {
    public var id: Int64
    public var startedAt: Date
    public var endedAt: Date
    /// `RunStatus` raw value (`completed`, `interrupted`, `aborted`, `failed`).
    public var status: String
    /// Redacted: no URL password or secret query parameter.
    public var host: String
    public var environment: String?
    /// `closed` or `open`.
    public var model: String
    public var users: Int
    public var spawnRate: Double
    /// Open model: planned arrivals per second.
    public var rate: Double?
    public var durationSeconds: Double
    /// 64-bit FNV-1a (hex) of the effective configuration; equal hashes mean the same load settings.
    public var configHash: String
    /// `loadops`, `import:results.json` or `import:locust-csv`.
    public var source: String
    public var requests: UInt64
    public var failures: UInt64
    /// Percent, 0-100.
    public var successRate: Double
    public var p95Milliseconds: Double
    public var requestsPerSecond: Double
}

/// One endpoint (or the aggregate) of a recorded run, as stored in `endpoint_stats`.
public struct HistoryEndpointRow: Sendable, Equatable {
    public var isAggregate: Bool
    public var method: String
    public var name: String
    public var requests: UInt64
    public var failures: UInt64
    public var successRate: Double
    public var errorRate: Double
    public var requestsPerSecond: Double
    public var minMilliseconds: Double
    public var meanMilliseconds: Double
    public var maxMilliseconds: Double
    /// Every reported percentile; empty when the endpoint had no requests.
    public var percentiles: [Percentile: Double]
    /// Time to first byte and connect time, p50 and p95 (milliseconds); nil when not measured
    /// (runs recorded before phases were, imports, no connection opened).
    public var timeToFirstByteP50Milliseconds: Double? = nil
    public var timeToFirstByteP95Milliseconds: Double? = nil
    public var connectP50Milliseconds: Double? = nil
    public var connectP95Milliseconds: Double? = nil
}

/// One user flow of a recorded run, as stored in `run_flows`.
public struct HistoryFlowRow: Sendable, Equatable {
    public var name: String
    public var iterationsStarted: UInt64
    public var iterationsCompleted: UInt64
    public var iterationsFailed: UInt64
    /// Percent of the finished iterations that failed, 0-100.
    public var failureRate: Double
    public var iterationsPerSecond: Double
    /// The completed iterations' durations.
    public var minMilliseconds: Double
    public var meanMilliseconds: Double
    public var maxMilliseconds: Double
    /// Every reported percentile of the durations; empty when no iteration completed.
    public var percentiles: [Percentile: Double]
    /// Step name to the iterations that failed there.
    public var failedAtStep: [String: UInt64]

    /// `failed_at_step` as stored: a JSON object with sorted keys.
    static func encodeSteps(_ steps: [String: UInt64]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(steps), as: UTF8.self)
    }

    /// The stored object read back; text that is not one reads as no failing step (the counts are
    /// also in the stored document).
    static func decodeSteps(_ text: String) -> [String: UInt64] {
        (try? JSONDecoder().decode([String: UInt64].self, from: Data(text.utf8))) ?? [:]
    }
}

/// A threshold's outcome for a run.
public struct ThresholdRow: Sendable, Equatable {
    public var scope: String
    public var expression: String
    public var observed: Double?
    public var passed: Bool
}

/// What `HistoryStore.recordUnlessPresent(imported:source:)` did with a document.
public struct ImportedRun: Sendable, Equatable {
    /// The new run, or the one that already held the document.
    public var runID: Int64
    /// True when the document was recorded before and nothing was written.
    public var alreadyRecorded: Bool

    public init(runID: Int64, alreadyRecorded: Bool) {
        self.runID = runID
        self.alreadyRecorded = alreadyRecorded
    }
}

/// A results archive made from a run (`loadops archive`).
public struct ArchiveRow: Sendable, Equatable {
    public var name: String
    public var path: String
    public var recordedAt: Date
}

/// The figures `loadops history trend` can follow across runs.
public enum TrendMetric: String, Sendable, CaseIterable {
    case p50
    case p95
    case p99
    case successRate = "success_rate"
    case errorRate = "error_rate"
    case rps

    /// The `endpoint_stats` column holding the metric.
    var column: String {
        switch self {
        case .p50: return "p50_ms"
        case .p95: return "p95_ms"
        case .p99: return "p99_ms"
        case .successRate: return "success_rate"
        case .errorRate: return "error_rate"
        case .rps: return "rps"
        }
    }

    /// Latencies have no value for an endpoint without requests; rates and throughput do.
    var isLatency: Bool { self == .p50 || self == .p95 || self == .p99 }

    public var unit: String {
        switch self {
        case .p50, .p95, .p99: return "ms"
        case .successRate, .errorRate: return "%"
        case .rps: return "req/s"
        }
    }

    /// Column heading for tables, e.g. `p95 (ms)`.
    public var heading: String { "\(rawValue) (\(unit))" }
}

/// One run's value of a trended metric; `value` is nil when the run lacks the endpoint or had no requests.
public struct TrendPoint: Sendable, Equatable {
    public var runID: Int64
    public var startedAt: Date
    public var status: String
    public var requests: UInt64
    public var value: Double?
    /// The run's configuration fingerprint (`RunSummaryRow.configHash`).
    public var configHash: String
}

/// Which runs `loadops history trend` follows: those on a host, in an environment, with one configuration.
public struct TrendScope: Sendable, Equatable {
    /// Which configuration fingerprint (`RunSummaryRow.configHash`) the runs must share.
    public enum Configuration: Sendable, Equatable {
        /// The configuration of the latest run on the host and in the environment (the default).
        case latest
        /// The configuration of this run (`--config-of`).
        case ofRun(Int64)
        /// Any configuration (`--all-configurations`).
        case all
    }

    /// `--host` as given: a base URL (`http://staging.example.com:8080`) or a bare `host[:port]`; nil for every host.
    public var host: String?
    /// `--environment` as given; nil for every environment.
    public var environment: String?
    public var configuration: Configuration

    public init(host: String? = nil, environment: String? = nil, configuration: Configuration = .all) {
        self.host = host
        self.environment = environment
        self.configuration = configuration
    }
}

/// A metric across runs, with the filter that chose the runs.
public struct HistoryTrend: Sendable, Equatable {
    /// Oldest first.
    public var points: [TrendPoint]
    public var scope: TrendScope
    /// The run whose configuration every point shares; nil for `.all` or when no run passed the filters.
    public var configurationRunID: Int64?
    /// That run's host, environment, load and endpoints, in words.
    public var configurationSummary: String?
    /// Runs the configuration filter left out: among the newest `last` runs on the host and in the
    /// environment, those with another configuration (what `--all-configurations` would add).
    public var leftOut: Int
    /// How many configurations the runs left out have between them.
    public var leftOutConfigurations: Int
    /// The settings those configurations differ in from this one (`duration`, `host`, `model`, ...), sorted.
    public var leftOutDifferences: [String]
}
