import Foundation

/// `results.json`, and every baseline (`baselines/*.json`), which share this schema so any result
/// can be promoted to a baseline. Top-level `success_rate` (percent) and `p95_latency` (ms) are
/// what the operations guide's comparison script reads. Latencies are milliseconds throughout.
public struct ResultsDocument: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var tool: String
    public var toolVersion: String
    public var status: RunStatus
    /// Why the load stopped (`duration reached`, `interrupted by SIGINT`, `aborted: …`); absent in older files.
    public var stopReason: String?
    public var startedAt: Date
    public var endedAt: Date
    public var durationSeconds: Double
    public var host: String
    public var environment: String?
    /// `closed` or `open`.
    public var model: String
    public var coordinatedOmissionCorrected: Bool
    /// Aggregate percent of requests that succeeded, 0-100.
    public var successRate: Double
    /// Aggregate 95th percentile latency, milliseconds (0 when nothing was measured).
    public var p95Latency: Double
    public var load: Load
    public var aggregate: Endpoint
    public var endpoints: [Endpoint]
    public var failures: [Failure]
    public var timeSeries: [SecondSnapshot]
    public var peakUsers: Int
    public var droppedArrivals: UInt64
    public var warnings: [String]
    /// The share of the run in which the target answered, and the spans in which it did not;
    /// absent in older files and in imports that carry no time series.
    public var availability: Availability?
    /// The effective configuration, without secrets.
    public var config: EffectiveConfig
    /// Each threshold's outcome at the end of the run; absent in older files and hand-written baselines.
    public var thresholds: [ThresholdOutcome]?
    /// The early warning signs seen during the run, with their start and end; absent when none was.
    public var warningSigns: [WarningRecord]? = nil
    /// What the monitor sampled during the run; absent when nothing was monitored.
    public var monitor: MonitorRecording? = nil
    /// What sent the load when it was not loadops's own generator (`locust`); absent for the built-in engine.
    public var engine: String? = nil
    /// Per user flow, in configuration order (`Flow`); absent when the run had no flows, and in older files.
    public var flows: [Flow]? = nil

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version"
        case tool
        case toolVersion = "tool_version"
        case status
        case stopReason = "stop_reason"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationSeconds = "duration_seconds"
        case host
        case environment
        case model
        case coordinatedOmissionCorrected = "coordinated_omission_corrected"
        case successRate = "success_rate"
        case p95Latency = "p95_latency"
        case load
        case aggregate
        case endpoints
        case failures
        case timeSeries = "time_series"
        case peakUsers = "peak_users"
        case droppedArrivals = "dropped_arrivals"
        case warnings
        case availability
        case config
        case thresholds
        case warningSigns = "warning_signs"
        case monitor
        case engine
        case flows
    }

    /// Statistics of one endpoint, or of all of them (`aggregate`: empty method, name `Aggregated`).
    public struct Endpoint: Codable, Sendable, Equatable {
        public var method: String
        public var name: String
        public var requests: UInt64
        public var failures: UInt64
        /// Percent, 0-100.
        public var successRate: Double
        /// Percent, 0-100.
        public var errorRate: Double
        /// Requests per second over the whole run.
        public var rps: Double
        public var failuresPerSecond: Double
        public var minMs: Double
        public var maxMs: Double
        public var meanMs: Double
        public var medianMs: Double
        /// Every reported percentile (written keyed "50", "66", ... "99.99", "100"); empty without requests.
        public var percentiles: [Percentile: Double]
        /// The same, measured from the actual send time (differs from `percentiles` only when
        /// the open model corrects for coordinated omission).
        public var uncorrectedPercentiles: [Percentile: Double]
        /// Mean response body size, bytes.
        public var avgContentSize: Double
        /// `FailureKind.kindName` to count.
        public var failuresByKind: [String: UInt64]
        /// Where the requests' time went (`Phases`); absent when nothing was measured (imported results, older files).
        public var phases: Phases? = nil

        enum CodingKeys: String, CodingKey {
            case method, name, requests, failures
            case successRate = "success_rate"
            case errorRate = "error_rate"
            case rps
            case failuresPerSecond = "failures_per_second"
            case minMs = "min_ms"
            case maxMs = "max_ms"
            case meanMs = "mean_ms"
            case medianMs = "median_ms"
            case percentiles
            case uncorrectedPercentiles = "uncorrected_percentiles"
            case avgContentSize = "avg_content_size"
            case failuresByKind = "failures_by_kind"
            case phases
        }
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var method: String
        public var name: String
        /// `FailureKind.kindName`, e.g. `http_503`.
        public var kind: String
        /// `FailureKind.message`, Locust's `Error` column.
        public var error: String
        public var occurrences: UInt64
    }

    public struct Load: Codable, Sendable, Equatable {
        public var model: String
        public var users: Int
        public var spawnRate: Double
        /// Planned length, seconds (the sum of the stages when there are stages).
        public var duration: Double
        public var thinkTime: ThinkTime?
        public var rate: Double?
        public var maxConnections: Int
        public var timeout: Double
        public var stages: [Stage]
        /// `load.requests`: the run stopped after this many requests; absent when it had no such count.
        public var requests: Int? = nil

        enum CodingKeys: String, CodingKey {
            case model, users
            case spawnRate = "spawn_rate"
            case duration
            case thinkTime = "think_time"
            case rate
            case maxConnections = "max_connections"
            case timeout, stages, requests
        }
    }

    public struct ThinkTime: Codable, Sendable, Equatable {
        public var min: Double
        public var max: Double
    }

    public struct Stage: Codable, Sendable, Equatable {
        public var duration: Double
        public var target: Double
        public var ramp: Bool
    }

    /// `LoadOpsConfig` as run, with nothing secret: credentials by location only, sensitive
    /// header values replaced, request bodies left out.
    public struct EffectiveConfig: Codable, Sendable, Equatable {
        public var host: String
        public var allowHosts: [String]
        public var environment: String?
        public var insecure: Bool
        public var load: Load
        public var endpoints: [EndpointSettings]
        public var credentials: Credentials?
        public var thresholds: [String: [String]]
        /// True when loadops.yml had no `thresholds:` and the defaults applied (absent otherwise).
        public var thresholdsAreDefault: Bool?
        public var output: String
        public var source: String
        /// The user flows and their steps (`FlowSettings`); absent without `flows:`, so the fingerprint of
        /// a configuration without flows is what it always was.
        public var flows: [FlowSettings]? = nil

        enum CodingKeys: String, CodingKey {
            case host
            case allowHosts = "allow_hosts"
            case environment, insecure, load, endpoints, credentials, thresholds
            case thresholdsAreDefault = "thresholds_default"
            case output, source, flows
        }
    }

    public struct EndpointSettings: Codable, Sendable, Equatable {
        public var name: String
        public var method: String
        public var path: String
        public var headers: [Header]
        public var hasBody: Bool
        public var weight: Double
        public var rate: Double?
        public var expectedStatus: [Int]

        enum CodingKeys: String, CodingKey {
            case name, method, path, headers
            case hasBody = "has_body"
            case weight, rate
            case expectedStatus = "expected_status"
        }
    }

    public struct Header: Codable, Sendable, Equatable {
        public var name: String
        public var value: String
    }

    /// `{"kind":"basic_file","path":...}` or `{"kind":"bearer_env","variable":...}`: where the secret lives, never the secret.
    public struct Credentials: Codable, Sendable, Equatable {
        public var kind: String
        public var path: String?
        public var variable: String?
    }
}

extension ResultsDocument {
    /// A copy with URL passwords, secret query parameters and secret header values masked. A run's
    /// own document already is; one made elsewhere (`loadops import`) may not be.
    public func redacted() -> ResultsDocument {
        var copy = self
        copy.host = Redaction.redactURL(host)
        copy.config.host = Redaction.redactURL(config.host)
        for index in copy.config.endpoints.indices {
            copy.config.endpoints[index].headers = config.endpoints[index].headers.map { Header.masked(name: $0.name, value: $0.value) }
        }
        copy.config.flows = config.flows?.map { flow in
            var masked = flow
            masked.steps = flow.steps.map { step in
                var maskedStep = step
                maskedStep.headers = step.headers.map { Header.masked(name: $0.name, value: $0.value) }
                return maskedStep
            }
            return masked
        }
        return copy
    }
}
