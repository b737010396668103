import Foundation
import Histogram

/// Latencies are recorded in microseconds; up to 10 minutes, 3 significant digits.
public typealias LatencyHistogram = Histogram<UInt64>

public enum LatencyHistograms {
    public static let highestTrackableMicroseconds: UInt64 = 600_000_000
    public static func make() -> LatencyHistogram {
        LatencyHistogram(lowestDiscernibleValue: 1, highestTrackableValue: highestTrackableMicroseconds, numberOfSignificantValueDigits: .three)
    }
}

public enum RunStatus: String, Sendable, Codable, Equatable {
    case completed
    case interrupted
    case aborted
    case failed
}

/// Why a request did not succeed. `httpStatus` is an answer outside the expected statuses.
public enum FailureKind: Hashable, Sendable {
    case timeout
    case connectionRefused
    case connectionReset
    case httpStatus(Int)
    case tls(String)
    /// The answer is not HTTP as loadops reads it (a status line and headers over 64 KiB, a bad chunk).
    case malformed(String)
    /// Sent, but still unanswered when the run ended (after its grace period for answers in flight).
    case unanswered
    /// A redirect that was not followed (to a host not allowed, too many in a row, ...).
    case redirect(String)
    case other(String)

    /// Short machine-friendly kind, used as a key in `results.json`.
    public var kindName: String {
        switch self {
        case .timeout: return "timeout"
        case .connectionRefused: return "connection_refused"
        case .connectionReset: return "connection_reset"
        case .httpStatus(let code): return "http_\(code)"
        case .tls: return "tls"
        case .malformed: return "malformed"
        case .unanswered: return "no_response"
        case .redirect: return "redirect"
        case .other: return "other"
        }
    }

    /// Human-readable error text, Locust's `Error` column.
    public var message: String {
        switch self {
        case .timeout: return "Timeout: no response within the request timeout"
        case .connectionRefused: return "ConnectionRefusedError: connection refused"
        case .connectionReset: return "ConnectionResetError: connection reset by peer"
        case .httpStatus(let code): return "HTTPError: \(code) \(HTTPStatusText.reason(code))"
        case .tls(let detail): return "SSLError: \(detail)"
        case .malformed(let detail): return "MalformedResponse: \(detail)"
        case .unanswered: return "NoResponse: no response by the end of the run"
        case .redirect(let detail): return "RedirectError: \(detail)"
        case .other(let detail): return "Error: \(detail)"
        }
    }
}

public enum HTTPStatusText {
    public static func reason(_ code: Int) -> String {
        switch code {
        case 200: return "OK"
        case 201: return "Created"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 413: return "Payload Too Large"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return code >= 500 ? "Server Error" : (code >= 400 ? "Client Error" : "")
        }
    }
}

/// Identity of an endpoint in the results: Locust's `Type` (method) and `Name` columns.
public struct EndpointKey: Hashable, Sendable, Comparable {
    public var method: String
    public var name: String
    public init(method: String, name: String) {
        self.method = method
        self.name = name
    }
    public static func < (lhs: EndpointKey, rhs: EndpointKey) -> Bool {
        (lhs.name, lhs.method) < (rhs.name, rhs.method)
    }
}

/// Everything measured for one endpoint (or the aggregate) over the whole run.
public struct EndpointStatistics: Sendable {
    public var key: EndpointKey
    public var requests: UInt64
    public var failures: UInt64
    public var contentBytes: UInt64
    /// Latency from the intended send time (open model: coordinated omission corrected).
    /// In the closed model this equals `uncorrected`.
    public var latency: LatencyHistogram
    /// Latency from the moment the request was actually written.
    public var uncorrected: LatencyHistogram
    public var failuresByKind: [FailureKind: UInt64]

    public init(key: EndpointKey) {
        self.key = key
        self.requests = 0
        self.failures = 0
        self.contentBytes = 0
        self.latency = LatencyHistograms.make()
        self.uncorrected = LatencyHistograms.make()
        self.failuresByKind = [:]
    }

    public mutating func add(_ other: EndpointStatistics) {
        requests += other.requests
        failures += other.failures
        contentBytes += other.contentBytes
        latency.add(other.latency)
        uncorrected.add(other.uncorrected)
        for (kind, count) in other.failuresByKind { failuresByKind[kind, default: 0] += count }
    }

    /// Percent of requests that succeeded (0-100); 0 when nothing was sent: a run without answers never
    /// reads as a success.
    public var successRate: Double {
        requests == 0 ? 0 : Double(requests - failures) / Double(requests) * 100
    }
}

/// One second of the run, aggregated over all endpoints.
public struct TimeSeriesPoint: Sendable, Equatable {
    /// Unix time at the end of the interval.
    public var timestamp: Double
    /// Seconds since the start of the run at the end of the interval.
    public var elapsed: Double
    /// Active users (closed model) or open connections (open model).
    public var users: Int
    public var requests: UInt64
    public var failures: UInt64
    public var requestsPerSecond: Double
    public var failuresPerSecond: Double
    /// Percentiles of the requests completed in this interval, milliseconds (0 when none).
    public var p50: Double
    public var p95: Double
    public var p99: Double
    /// Running totals at the end of the interval (Locust's `Total ...` history columns).
    public var totalRequests: UInt64
    public var totalFailures: UInt64

    public init(timestamp: Double, elapsed: Double, users: Int, requests: UInt64, failures: UInt64,
                requestsPerSecond: Double, failuresPerSecond: Double, p50: Double, p95: Double, p99: Double,
                totalRequests: UInt64, totalFailures: UInt64) {
        self.timestamp = timestamp
        self.elapsed = elapsed
        self.users = users
        self.requests = requests
        self.failures = failures
        self.requestsPerSecond = requestsPerSecond
        self.failuresPerSecond = failuresPerSecond
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.totalRequests = totalRequests
        self.totalFailures = totalFailures
    }
}

/// The outcome of one load run, in memory: what the results stage writes and later stages read.
public struct RunResult: Sendable {
    public var status: RunStatus
    public var startTime: Date
    public var endTime: Date
    /// The effective configuration with secrets redacted.
    public var config: LoadOpsConfig
    /// Per endpoint, in configuration order.
    public var endpoints: [EndpointStatistics]
    /// Open model: whether `latency` is corrected for coordinated omission.
    public var coordinatedOmissionCorrected: Bool
    public var timeSeries: [TimeSeriesPoint]
    /// Highest number of users / connections seen.
    public var peakUsers: Int
    /// Open model: arrivals that could not be started because every connection was busy and the queue was full.
    public var droppedArrivals: UInt64
    /// Problems seen during the run worth telling the reader (rate limiting, dropped arrivals, ...).
    public var warnings: [String]
    /// Why the load stopped; nil for results not made by the generator.
    public var stopReason: StopReason?

    public init(status: RunStatus, startTime: Date, endTime: Date, config: LoadOpsConfig,
                endpoints: [EndpointStatistics], coordinatedOmissionCorrected: Bool,
                timeSeries: [TimeSeriesPoint], peakUsers: Int, droppedArrivals: UInt64, warnings: [String],
                stopReason: StopReason? = nil) {
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.config = config
        self.endpoints = endpoints
        self.coordinatedOmissionCorrected = coordinatedOmissionCorrected
        self.timeSeries = timeSeries
        self.peakUsers = peakUsers
        self.droppedArrivals = droppedArrivals
        self.warnings = warnings
        self.stopReason = stopReason
    }

    public var durationSeconds: Double { max(endTime.timeIntervalSince(startTime), 0) }

    /// All endpoints merged: Locust's `Aggregated` row.
    public var aggregate: EndpointStatistics {
        var total = EndpointStatistics(key: EndpointKey(method: "", name: "Aggregated"))
        for endpoint in endpoints { total.add(endpoint) }
        return total
    }
}
