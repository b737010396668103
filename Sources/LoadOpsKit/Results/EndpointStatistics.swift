import Foundation

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
    /// Connect, TLS handshake, time to first byte and receive (see `RequestPhases`).
    public var phases = RequestPhases()

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
        phases.add(other.phases)
    }

    /// Percent of requests that succeeded (0-100); 0 when nothing was sent: a run without answers never
    /// reads as a success.
    public var successRate: Double {
        requests == 0 ? 0 : Double(requests - failures) / Double(requests) * 100
    }
}
