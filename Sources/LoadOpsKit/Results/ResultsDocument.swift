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
    public var timeSeries: [TimePoint]
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
        /// Keyed "50", "66", "75", "80", "90", "95", "98", "99", "99.9", "99.99", "100"; empty without requests.
        public var percentiles: [String: Double]
        /// The same, measured from the actual send time (differs from `percentiles` only when
        /// the open model corrects for coordinated omission).
        public var uncorrectedPercentiles: [String: Double]
        /// Mean response body size, bytes.
        public var avgContentSize: Double
        /// `FailureKind.kindName` to count.
        public var failuresByKind: [String: UInt64]

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

    /// One second of the run (see `TimeSeriesPoint`).
    public struct TimePoint: Codable, Sendable, Equatable {
        public var timestamp: Double
        public var elapsed: Double
        public var users: Int
        public var requests: UInt64
        public var failures: UInt64
        public var requestsPerSecond: Double
        public var failuresPerSecond: Double
        public var p50: Double
        public var p95: Double
        public var p99: Double
        public var totalRequests: UInt64
        public var totalFailures: UInt64

        enum CodingKeys: String, CodingKey {
            case timestamp, elapsed, users, requests, failures
            case requestsPerSecond = "requests_per_second"
            case failuresPerSecond = "failures_per_second"
            case p50, p95, p99
            case totalRequests = "total_requests"
            case totalFailures = "total_failures"
        }
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

        enum CodingKeys: String, CodingKey {
            case model, users
            case spawnRate = "spawn_rate"
            case duration
            case thinkTime = "think_time"
            case rate
            case maxConnections = "max_connections"
            case timeout, stages
        }

        public init(model: String, users: Int, spawnRate: Double, duration: Double, thinkTime: ThinkTime?, rate: Double?,
                    maxConnections: Int, timeout: Double, stages: [Stage]) {
            self.model = model
            self.users = users
            self.spawnRate = spawnRate
            self.duration = duration
            self.thinkTime = thinkTime
            self.rate = rate
            self.maxConnections = maxConnections
            self.timeout = timeout
            self.stages = stages
        }

        /// Users and spawn rate mean nothing for the open model, so its files leave them out (read as 0).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            model = try container.decode(String.self, forKey: .model)
            users = try container.decodeIfPresent(Int.self, forKey: .users) ?? 0
            spawnRate = try container.decodeIfPresent(Double.self, forKey: .spawnRate) ?? 0
            duration = try container.decode(Double.self, forKey: .duration)
            thinkTime = try container.decodeIfPresent(ThinkTime.self, forKey: .thinkTime)
            rate = try container.decodeIfPresent(Double.self, forKey: .rate)
            maxConnections = try container.decode(Int.self, forKey: .maxConnections)
            timeout = try container.decode(Double.self, forKey: .timeout)
            stages = try container.decode([Stage].self, forKey: .stages)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(model, forKey: .model)
            if model != LoadModel.open.rawValue {
                try container.encode(users, forKey: .users)
                try container.encode(spawnRate, forKey: .spawnRate)
            }
            try container.encode(duration, forKey: .duration)
            try container.encodeIfPresent(thinkTime, forKey: .thinkTime)
            try container.encodeIfPresent(rate, forKey: .rate)
            try container.encode(maxConnections, forKey: .maxConnections)
            try container.encode(timeout, forKey: .timeout)
            try container.encode(stages, forKey: .stages)
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

        enum CodingKeys: String, CodingKey {
            case host
            case allowHosts = "allow_hosts"
            case environment, insecure, load, endpoints, credentials, thresholds
            case thresholdsAreDefault = "thresholds_default"
            case output, source
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
        return copy
    }
}

// MARK: - Building from a run

extension ResultsDocument {
    public static func make(from result: RunResult) -> ResultsDocument {
        let aggregate = result.aggregate
        var failures: [Failure] = []
        for endpoint in result.endpoints {
            for (kind, count) in endpoint.failuresByKindSorted {
                failures.append(Failure(method: endpoint.key.method, name: endpoint.key.name,
                                        kind: kind.kindName, error: kind.message, occurrences: count))
            }
        }
        var load = Load(result.config.load)
        if result.config.load.model == .open && result.config.load.stages.isEmpty {
            // The rate the run aimed at: the endpoints' own rates plus `load.rate`'s share.
            load.rate = LoadPlan.openModelRates(endpoints: result.config.endpoints, load: result.config.load).reduce(0, +)
        }
        return ResultsDocument(
            schemaVersion: currentSchemaVersion,
            tool: "loadops",
            toolVersion: LoadOpsKitVersion.string,
            status: result.status,
            stopReason: result.stopReason?.text,
            startedAt: wholeMilliseconds(result.startTime),
            endedAt: wholeMilliseconds(result.endTime),
            durationSeconds: finite(result.durationSeconds),
            host: result.config.host,
            environment: result.config.environment,
            model: result.config.load.model.rawValue,
            coordinatedOmissionCorrected: result.coordinatedOmissionCorrected,
            successRate: finite(aggregate.successRate),
            p95Latency: aggregate.latencyMilliseconds(atPercentile: 95),
            load: load,
            aggregate: Endpoint(aggregate, result: result),
            endpoints: result.endpoints.map { Endpoint($0, result: result) },
            failures: failures,
            timeSeries: result.timeSeries.map(TimePoint.init),
            peakUsers: result.peakUsers,
            droppedArrivals: result.droppedArrivals,
            warnings: result.warnings,
            availability: result.timeSeries.isEmpty ? nil : Availability.measure(result.timeSeries),
            config: EffectiveConfig(result.config)
        )
    }

    /// Dates are written with millisecond precision; rounding here keeps a written and re-read document equal.
    static func wholeMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// JSON has no NaN or infinity; a figure that cannot be computed is written as 0.
    static func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }

    /// Means are estimates within the histogram's precision; three decimals of a millisecond is all they carry.
    static func microsecondPrecision(_ milliseconds: Double) -> Double {
        finite((milliseconds * 1000).rounded() / 1000)
    }
}

extension ResultsDocument.Endpoint {
    init(_ statistics: EndpointStatistics, result: RunResult) {
        var byKind: [String: UInt64] = [:]
        for (kind, count) in statistics.failuresByKind { byKind[kind.kindName, default: 0] += count }
        self.init(
            method: statistics.key.method,
            name: statistics.key.name,
            requests: statistics.requests,
            failures: statistics.failures,
            successRate: ResultsDocument.finite(statistics.successRate),
            errorRate: ResultsDocument.finite(statistics.errorRate),
            rps: ResultsDocument.finite(result.perSecond(statistics.requests)),
            failuresPerSecond: ResultsDocument.finite(result.perSecond(statistics.failures)),
            minMs: statistics.minimumMilliseconds,
            maxMs: statistics.maximumMilliseconds,
            meanMs: ResultsDocument.microsecondPrecision(statistics.meanMilliseconds),
            medianMs: statistics.medianMilliseconds,
            percentiles: statistics.reportedPercentilesMilliseconds(corrected: true),
            uncorrectedPercentiles: statistics.reportedPercentilesMilliseconds(corrected: false),
            avgContentSize: ResultsDocument.finite(statistics.averageContentSize),
            failuresByKind: byKind
        )
    }
}

extension ResultsDocument.TimePoint {
    init(_ point: TimeSeriesPoint) {
        let finite = ResultsDocument.finite
        self.init(timestamp: finite(point.timestamp), elapsed: finite(point.elapsed), users: point.users,
                  requests: point.requests, failures: point.failures,
                  requestsPerSecond: finite(point.requestsPerSecond), failuresPerSecond: finite(point.failuresPerSecond),
                  p50: finite(point.p50), p95: finite(point.p95), p99: finite(point.p99),
                  totalRequests: point.totalRequests, totalFailures: point.totalFailures)
    }
}

extension ResultsDocument.Load {
    init(_ settings: LoadSettings) {
        self.init(
            model: settings.model.rawValue,
            // Users and spawn rate mean nothing for the open model (and are not written for it).
            users: settings.model == .open ? 0 : settings.users,
            spawnRate: settings.model == .open ? 0 : ResultsDocument.finite(settings.spawnRate),
            duration: ResultsDocument.finite(settings.plannedDuration),
            thinkTime: settings.thinkTime.map { ResultsDocument.ThinkTime(min: $0.lowerBound, max: $0.upperBound) },
            rate: settings.rate,
            maxConnections: settings.maxConnections,
            timeout: ResultsDocument.finite(settings.timeout),
            stages: settings.stages.map { ResultsDocument.Stage(duration: $0.duration, target: $0.target, ramp: $0.ramp) }
        )
    }
}

extension ResultsDocument.EffectiveConfig {
    init(_ config: LoadOpsConfig) {
        let credentials: ResultsDocument.Credentials?
        switch config.credentials {
        case .none: credentials = nil
        case .basicFile(let path)?: credentials = .init(kind: "basic_file", path: path, variable: nil)
        case .bearerEnv(let variable)?: credentials = .init(kind: "bearer_env", path: nil, variable: variable)
        }
        self.init(
            host: config.host,
            allowHosts: config.allowHosts,
            environment: config.environment,
            insecure: config.insecure,
            load: ResultsDocument.Load(config.load),
            endpoints: config.endpoints.map(ResultsDocument.EndpointSettings.init),
            credentials: credentials,
            thresholds: config.thresholds,
            thresholdsAreDefault: config.thresholdsAreDefault ? true : nil,
            output: config.output,
            source: config.sourceDescription
        )
    }
}

extension ResultsDocument.EndpointSettings {
    init(_ endpoint: EndpointConfig) {
        self.init(
            name: endpoint.name,
            method: endpoint.method,
            path: endpoint.path,
            headers: endpoint.headers.map { name, value in ResultsDocument.Header.masked(name: name, value: value) },
            hasBody: endpoint.body != nil,
            weight: endpoint.weight,
            rate: endpoint.rate,
            expectedStatus: endpoint.expectedStatus
        )
    }
}

extension ResultsDocument.Header {
    static let redactedValue = "[redacted]"

    /// The header as a results document keeps it: the value of one that usually carries
    /// credentials never reaches a report or the history.
    static func masked(name: String, value: String) -> ResultsDocument.Header {
        ResultsDocument.Header(name: name, value: Redaction.isSensitiveHeader(name) ? redactedValue : value)
    }
}

// MARK: - Reading and writing

/// A results or baseline file that cannot be used.
public enum ResultsDocumentError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    /// `field` is the JSON path, e.g. `endpoints[2].requests`; nil when the file is not JSON at all.
    case malformed(path: String, field: String?, reason: String)
    case unsupportedSchemaVersion(path: String, version: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read results file \(path): \(reason)"
        case .malformed(let path, let field?, let reason):
            return "\(path): field `\(field)`: \(reason)"
        case .malformed(let path, nil, let reason):
            return "\(path): \(reason)"
        case .unsupportedSchemaVersion(let path, let version):
            return "\(path): schema_version \(version) is not supported (this loadops reads schema_version \(ResultsDocument.currentSchemaVersion))"
        }
    }
}

extension ResultsDocument {
    /// Pretty-printed JSON with sorted keys, so the same run always gives the same bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Self.iso8601(fractional: true).string(from: date))
        }
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public static func load(from path: String) throws(ResultsDocumentError) -> ResultsDocument {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: FileErrorReason.text(error))
        }
        return try decode(data, path: path)
    }

    /// Decodes `data`; `path` names the source in errors.
    public static func decode(_ data: Data, path: String) throws(ResultsDocumentError) -> ResultsDocument {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = iso8601(fractional: true).date(from: text) ?? iso8601(fractional: false).date(from: text) {
                return date
            }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an ISO 8601 date such as 2025-01-31T12:00:00Z, found \"\(text)\"")
        }
        // Check the version first: a newer schema's errors would only confuse.
        if let version = try? decoder.decode(VersionProbe.self, from: data).schemaVersion, version != currentSchemaVersion {
            throw .unsupportedSchemaVersion(path: path, version: version)
        }
        let document: ResultsDocument
        do {
            document = try decoder.decode(ResultsDocument.self, from: data)
        } catch let error as DecodingError {
            throw describe(error, path: path)
        } catch {
            throw .malformed(path: path, field: nil, reason: "\(error)")
        }
        try document.checkFigures(path: path)
        return document
    }

    private struct VersionProbe: Decodable {
        var schemaVersion: Int
        enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }
    }

    static func iso8601(fractional: Bool) -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter
    }

    static func describe(_ error: DecodingError, path: String) -> ResultsDocumentError {
        switch error {
        case .typeMismatch(let type, let context):
            return .malformed(path: path, field: fieldPath(context.codingPath),
                              reason: "expected \(describe(type: type))\(found(in: context.debugDescription))")
        case .valueNotFound(let type, let context):
            return .malformed(path: path, field: fieldPath(context.codingPath),
                              reason: "expected \(describe(type: type)), found null")
        case .keyNotFound(let key, let context):
            return .malformed(path: path, field: fieldPath(context.codingPath + [key]), reason: "required field is missing")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                var reason = "not valid JSON"
                if let underlying = context.underlyingError as NSError?,
                   let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String {
                    reason += " (\(detail))"
                }
                return .malformed(path: path, field: nil, reason: reason)
            }
            return .malformed(path: path, field: fieldPath(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .malformed(path: path, field: nil, reason: "\(error)")
        }
    }

    /// `endpoints[2].requests`, `aggregate.percentiles["99.9"]`.
    static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue == "Index \(index)" {
                text += "[\(index)]"
            } else if key.intValue != nil || key.stringValue.contains(".") {
                text += "[\"\(key.stringValue)\"]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "(top level)" : text
    }

    private static func describe(type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type, is Int64.Type, is UInt.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasPrefix("[") && !name.contains(":") { return "a list" }
            if name.hasPrefix("Dictionary") || name.hasPrefix("[") { return "an object" }
            return name
        }
    }

    /// The "found a string" part of Foundation's "Expected to decode Int but found a string instead.".
    private static func found(in debugDescription: String) -> String {
        guard let range = debugDescription.range(of: "but found ") else { return "" }
        var rest = String(debugDescription[range.upperBound...])
        if rest.hasSuffix(" instead.") { rest.removeLast(" instead.".count) }
        return ", found \(rest)"
    }
}

// MARK: - Checking the figures

extension ResultsDocument {
    /// The longest run a document may describe: a run lasts at most `LoadLimits.maximumDurationSeconds`,
    /// plus its timeouts; anything past a year is not a run's figure.
    static let maximumDocumentSeconds: Double = 366 * 86_400
    /// Any other figure (milliseconds, requests per second, bytes): finite and below this.
    static let maximumFigure: Double = 1e15

    /// Every figure within what a run can produce, so that nothing reading the document later (the
    /// history, comparisons, summaries) meets NaN, infinity or a number too large to convert. A
    /// document made by hand or by another tool is refused here with the field named, before it is stored.
    public func checkFigures(path: String) throws(ResultsDocumentError) {
        let check = FigureCheck(path: path)
        try check.seconds(durationSeconds, "duration_seconds")
        try check.percent(successRate, "success_rate")
        try check.figure(p95Latency, "p95_latency")
        try check.load(load, "load")
        try check.endpoint(aggregate, "aggregate")
        for (index, endpoint) in endpoints.enumerated() { try check.endpoint(endpoint, "endpoints[\(index)]") }
        for (index, point) in timeSeries.enumerated() {
            let field = "time_series[\(index)]"
            guard point.timestamp.isFinite, abs(point.timestamp) < Self.maximumFigure else {
                throw check.failure("\(field).timestamp", expected: "a time in seconds since 1970", found: point.timestamp)
            }
            try check.seconds(point.elapsed, "\(field).elapsed")
            try check.users(point.users, "\(field).users")
            for (value, name) in [(point.requestsPerSecond, "requests_per_second"), (point.failuresPerSecond, "failures_per_second"),
                                  (point.p50, "p50"), (point.p95, "p95"), (point.p99, "p99")] {
                try check.figure(value, "\(field).\(name)")
            }
        }
        try check.users(peakUsers, "peak_users")
        if let availability {
            try check.percent(availability.percent, "availability.percent")
            try check.seconds(availability.measuredSeconds, "availability.measured_seconds")
            for (index, outage) in availability.outages.enumerated() {
                try check.seconds(outage.start, "availability.outages[\(index)].start")
                try check.seconds(outage.end, "availability.outages[\(index)].end")
            }
        }
        try check.load(config.load, "config.load")
        for (index, endpoint) in config.endpoints.enumerated() {
            try check.figure(endpoint.weight, "config.endpoints[\(index)].weight")
            if let rate = endpoint.rate { try check.figure(rate, "config.endpoints[\(index)].rate") }
        }
        for (index, threshold) in (thresholds ?? []).enumerated() {
            if let observed = threshold.observedValue, !observed.isFinite {
                throw check.failure("thresholds[\(index)].observed_value", expected: "a finite number", found: observed)
            }
        }
    }

    private struct FigureCheck {
        let path: String

        func failure(_ field: String, expected: String, found: Double) -> ResultsDocumentError {
            .malformed(path: path, field: field, reason: "expected \(expected), found \(found)")
        }

        func range(_ value: Double, _ field: String, _ limit: Double, _ expected: String) throws(ResultsDocumentError) {
            guard value.isFinite, value >= 0, value <= limit else { throw failure(field, expected: expected, found: value) }
        }

        func seconds(_ value: Double, _ field: String) throws(ResultsDocumentError) {
            try range(value, field, ResultsDocument.maximumDocumentSeconds,
                      "a number of seconds from 0 to \(DecimalNumber.format(ResultsDocument.maximumDocumentSeconds)) (366 days)")
        }

        func percent(_ value: Double, _ field: String) throws(ResultsDocumentError) {
            try range(value, field, 100, "a percentage from 0 to 100")
        }

        func figure(_ value: Double, _ field: String) throws(ResultsDocumentError) {
            try range(value, field, ResultsDocument.maximumFigure, "a number from 0 to 1e15")
        }

        func users(_ value: Int, _ field: String) throws(ResultsDocumentError) {
            guard (0...LoadLimits.maximumUsers).contains(value) else {
                throw .malformed(path: path, field: field,
                                 reason: "expected a whole number from 0 to \(LoadLimits.maximumUsers), found \(value)")
            }
        }

        func load(_ load: ResultsDocument.Load, _ field: String) throws(ResultsDocumentError) {
            try users(load.users, "\(field).users")
            try users(load.maxConnections, "\(field).max_connections")
            try figure(load.spawnRate, "\(field).spawn_rate")
            try seconds(load.duration, "\(field).duration")
            try seconds(load.timeout, "\(field).timeout")
            if let rate = load.rate { try figure(rate, "\(field).rate") }
            if let thinkTime = load.thinkTime {
                try seconds(thinkTime.min, "\(field).think_time.min")
                try seconds(thinkTime.max, "\(field).think_time.max")
            }
            for (index, stage) in load.stages.enumerated() {
                try seconds(stage.duration, "\(field).stages[\(index)].duration")
                try figure(stage.target, "\(field).stages[\(index)].target")
            }
        }

        func endpoint(_ endpoint: ResultsDocument.Endpoint, _ field: String) throws(ResultsDocumentError) {
            try percent(endpoint.successRate, "\(field).success_rate")
            try percent(endpoint.errorRate, "\(field).error_rate")
            for (value, name) in [(endpoint.rps, "rps"), (endpoint.failuresPerSecond, "failures_per_second"),
                                  (endpoint.minMs, "min_ms"), (endpoint.maxMs, "max_ms"), (endpoint.meanMs, "mean_ms"),
                                  (endpoint.medianMs, "median_ms"), (endpoint.avgContentSize, "avg_content_size")] {
                try figure(value, "\(field).\(name)")
            }
            for (label, value) in endpoint.percentiles { try figure(value, "\(field).percentiles[\"\(label)\"]") }
            for (label, value) in endpoint.uncorrectedPercentiles {
                try figure(value, "\(field).uncorrected_percentiles[\"\(label)\"]")
            }
        }
    }
}
