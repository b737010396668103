import Foundation

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
