import NIOCore

/// Statistics of one event loop. Only that loop touches it, so recording a request takes
/// no lock; the coordinator takes an `IntervalSnapshot` once a second and the totals at the end.
final class LoopStatistics {
    private(set) var endpoints: [EndpointStatistics]
    private var intervalRequests: UInt64 = 0
    private var intervalFailures: UInt64 = 0
    private var intervalLatency = LatencyHistograms.make()
    private var intervalFailureKinds: [FailureKind: UInt64] = [:]

    /// Closed model: the intended start is the actual one, so one histogram serves both figures.
    private let separateUncorrected: Bool
    /// The first answers of each failing endpoint and kind, for the incident report.
    private(set) var failureSamples: [FailureSample] = []
    static let failureSamplesKept = 6

    init(keys: [EndpointKey], separateUncorrected: Bool) {
        endpoints = keys.map { EndpointStatistics(key: $0) }
        self.separateUncorrected = separateUncorrected
    }

    /// The run's totals for this loop.
    var totals: [EndpointStatistics] {
        guard !separateUncorrected else { return endpoints }
        return endpoints.map { endpoint in
            var copy = endpoint
            copy.uncorrected = endpoint.latency
            return copy
        }
    }

    /// One answered or failed request. `corrected` is measured from the intended start,
    /// `uncorrected` from the moment the request was written (equal in the closed model).
    @inline(__always)
    func record(endpoint: Int, correctedNanos: UInt64, uncorrectedNanos: UInt64, bodyBytes: Int, failure: FailureKind?) {
        let corrected = max(correctedNanos / 1000, 1)
        let uncorrected = max(uncorrectedNanos / 1000, 1)
        endpoints[endpoint].requests &+= 1
        endpoints[endpoint].contentBytes &+= UInt64(bodyBytes)
        _ = endpoints[endpoint].latency.record(min(corrected, LatencyHistograms.highestTrackableMicroseconds))
        if separateUncorrected {
            _ = endpoints[endpoint].uncorrected.record(min(uncorrected, LatencyHistograms.highestTrackableMicroseconds))
        }
        _ = intervalLatency.record(min(corrected, LatencyHistograms.highestTrackableMicroseconds))
        intervalRequests &+= 1
        if let failure {
            endpoints[endpoint].failures &+= 1
            endpoints[endpoint].failuresByKind[failure, default: 0] += 1
            intervalFailures &+= 1
            intervalFailureKinds[failure, default: 0] += 1
        }
    }

    /// Where an answered request's time went after it was written (`RequestPhases`).
    @inline(__always)
    func recordAnswerPhases(endpoint: Int, firstByteNanos: UInt64, receiveNanos: UInt64) {
        _ = endpoints[endpoint].phases.timeToFirstByte.record(Self.clampedMicroseconds(firstByteNanos))
        _ = endpoints[endpoint].phases.receive.record(Self.clampedMicroseconds(receiveNanos))
    }

    /// A new connection's TCP connect and TLS handshake, counted under the endpoint of its first request.
    func recordConnectionPhases(endpoint: Int, connectNanos: UInt64, handshakeNanos: UInt64?) {
        _ = endpoints[endpoint].phases.connect.record(Self.clampedMicroseconds(connectNanos))
        if let handshakeNanos {
            _ = endpoints[endpoint].phases.tlsHandshake.record(Self.clampedMicroseconds(handshakeNanos))
        }
    }

    @inline(__always)
    private static func clampedMicroseconds(_ nanos: UInt64) -> UInt64 {
        min(max(nanos / 1000, 1), LatencyHistograms.highestTrackableMicroseconds)
    }

    // MARK: flows

    /// Per flow of the plan, in configuration order (empty without flows).
    private(set) var flows: [FlowStatistics] = []

    func prepareFlows(names: [String]) {
        flows = names.map(FlowStatistics.init(name:))
    }

    func flowStarted(_ flow: Int) {
        flows[flow].started &+= 1
    }

    func flowCompleted(_ flow: Int, durationNanos: UInt64) {
        flows[flow].completed &+= 1
        _ = flows[flow].duration.record(Self.clampedMicroseconds(durationNanos))
    }

    func flowFailed(_ flow: Int, atStep step: Int) {
        flows[flow].failed &+= 1
        flows[flow].failedAtStep[step, default: 0] += 1
    }

    /// Whether an answer of this failing endpoint and kind is still wanted as a sample (asked on
    /// failures only, so the answered path never looks).
    func wantsSample(endpoint: Int, failure: FailureKind) -> Bool {
        failureSamples.count < Self.failureSamplesKept
            && !failureSamples.contains { $0.endpoint == endpoint && $0.failure == failure }
    }

    func keep(_ sample: FailureSample) {
        guard wantsSample(endpoint: sample.endpoint, failure: sample.failure) else { return }
        failureSamples.append(sample)
    }

    func takeInterval(users: Int, connections: Int, queued: Int) -> IntervalSnapshot {
        let snapshot = IntervalSnapshot(
            requests: intervalRequests, failures: intervalFailures, latency: intervalLatency,
            failureKinds: intervalFailureKinds, users: users, connections: connections, queued: queued,
            endpointTotals: endpoints.map(EndpointRunningTotals.init))
        intervalRequests = 0
        intervalFailures = 0
        intervalLatency = LatencyHistograms.make()
        intervalFailureKinds = [:]
        return snapshot
    }
}

/// What one loop saw since the previous tick.
struct IntervalSnapshot: Sendable {
    var requests: UInt64
    var failures: UInt64
    var latency: LatencyHistogram
    var failureKinds: [FailureKind: UInt64]
    var users: Int
    var connections: Int
    var queued: Int
    /// Each endpoint's totals on this loop since the start, for the live metrics: running totals,
    /// not the interval's, so `add` leaves them to the coordinator, which adds up the loops'.
    var endpointTotals: [EndpointRunningTotals] = []

    static func empty() -> IntervalSnapshot {
        IntervalSnapshot(requests: 0, failures: 0, latency: LatencyHistograms.make(), failureKinds: [:], users: 0, connections: 0, queued: 0)
    }

    mutating func add(_ other: IntervalSnapshot) {
        requests += other.requests
        failures += other.failures
        latency.add(other.latency)
        for (kind, count) in other.failureKinds { failureKinds[kind, default: 0] += count }
        users += other.users
        connections += other.connections
        queued += other.queued
    }
}

/// The start of a failing answer's body, kept for the incident report.
public struct FailureSample: Sendable, Equatable {
    static let bodyBytesKept = 300

    /// The endpoint's index in the plan.
    public var endpoint: Int
    public var failure: FailureKind
    public var bodyStart: String

    /// The body's first bytes from a raw answer (status line, headers, body): printable text only.
    static func bodyStart(ofAnswer bytes: ByteBufferView) -> String {
        let separator: [UInt8] = [13, 10, 13, 10]
        var body = bytes[...]
        if let end = bytes.firstRange(of: separator) { body = bytes[end.upperBound...] }
        let kept = body.prefix(bodyBytesKept)
        let text = String(decoding: kept, as: UTF8.self)
        return String(text.unicodeScalars.map { scalar in
            scalar == "\n" || scalar == "\t" || (scalar.value >= 32 && scalar.value != 127) ? Character(scalar) : "."
        })
    }
}
