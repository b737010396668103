import Foundation

/// One second of a run, aggregated over all endpoints: what the observers of a run receive each
/// second (the live status line among them), an entry of `RunResult.timeSeries`, of `results.json`'s
/// `time_series` and of the history's `time_series` table.
///
/// Of the last six fields, the open model's `target_rate` is kept (an optional key: the web UI may
/// change the rate during a run); the others are known only while the generator runs: a time series
/// does not keep them (`recorded`), so a snapshot read back from a file or the history has their defaults.
public struct SecondSnapshot: Codable, Sendable, Equatable {
    /// Unix time at the end of the interval.
    public var timestamp: Double
    /// Seconds since the start of the run at the end of the interval.
    public var elapsed: Double
    /// Active users (closed model) or connections in use (open model).
    public var users: Int
    /// Requests and failures completed in this interval.
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

    /// The run's planned length, seconds.
    public var plannedDuration: Double = 0
    /// Failures so far by kind.
    public var totalFailuresByKind: [FailureKind: UInt64] = [:]
    /// Open model: arrivals waiting for a free connection.
    public var queued: Int = 0
    /// Open model: the rate the schedule asks for now (requests per second); nil for the closed model,
    /// whose `users` are users.
    public var targetRate: Double? = nil
    /// Each endpoint's totals so far, in the plan's order (`--metrics-listen` serves them).
    public var endpoints: [EndpointRunningTotals] = []

    enum CodingKeys: String, CodingKey {
        case timestamp, elapsed, users, requests, failures
        case requestsPerSecond = "requests_per_second"
        case failuresPerSecond = "failures_per_second"
        case p50, p95, p99
        case totalRequests = "total_requests"
        case totalFailures = "total_failures"
        case targetRate = "target_rate"
    }

    public init(timestamp: Double, elapsed: Double, users: Int, requests: UInt64, failures: UInt64,
                requestsPerSecond: Double, failuresPerSecond: Double, p50: Double, p95: Double, p99: Double,
                totalRequests: UInt64, totalFailures: UInt64, plannedDuration: Double = 0,
                totalFailuresByKind: [FailureKind: UInt64] = [:], queued: Int = 0, targetRate: Double? = nil,
                endpoints: [EndpointRunningTotals] = []) {
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
        self.plannedDuration = plannedDuration
        self.totalFailuresByKind = totalFailuresByKind
        self.queued = queued
        self.targetRate = targetRate
        self.endpoints = endpoints
    }
}

extension SecondSnapshot {
    /// The second as a time series keeps it (`RunResult`, results.json, the history): without what only
    /// a running generator knows, and with finite figures, since JSON has no NaN or infinity.
    var recorded: SecondSnapshot {
        let finite = ResultsDocument.finite
        return SecondSnapshot(timestamp: finite(timestamp), elapsed: finite(elapsed), users: users,
                              requests: requests, failures: failures,
                              requestsPerSecond: finite(requestsPerSecond), failuresPerSecond: finite(failuresPerSecond),
                              p50: finite(p50), p95: finite(p95), p99: finite(p99),
                              totalRequests: totalRequests, totalFailures: totalFailures,
                              targetRate: targetRate.map(finite))
    }
}
