/// One endpoint's figures since the start of the run, as a live `SecondSnapshot` carries them for
/// `--metrics-listen`: its requests, its failures, and its latencies counted into the buckets of the
/// Prometheus histogram `loadops_request_duration_seconds`.
///
/// Each event loop reads them once a second from the statistics it keeps anyway (the run's own
/// per-endpoint totals and latency histogram), so no request pays for them; the coordinator adds
/// up the loops'.
public struct EndpointRunningTotals: Sendable, Equatable {
    /// Upper bounds of the latency buckets, seconds (Prometheus' `le`): 0.5 ms to 10 s. A last
    /// bucket holds the slower requests.
    public static let latencyBucketBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public var requests: UInt64 = 0
    public var failures: UInt64 = 0
    /// Requests in each latency bucket (each bucket on its own, not cumulative): one entry per bound,
    /// then the requests slower than the last bound.
    public var latencyCounts = [UInt64](repeating: 0, count: latencyBucketBounds.count + 1)
    /// The latencies of each bucket's requests added up, seconds.
    public var latencySums = [Double](repeating: 0, count: latencyBucketBounds.count + 1)

    public init() {}

    /// An endpoint's totals so far, from the statistics an event loop keeps of it. Latencies are
    /// read at the histogram's resolution (three significant digits), each at the middle of its
    /// value range, as the histogram's own mean reads them.
    init(_ statistics: EndpointStatistics) {
        requests = statistics.requests
        failures = statistics.failures
        let histogram = statistics.latency
        let bounds = Self.latencyBucketBounds
        var bucket = 0
        for recorded in histogram.recordedValues() {
            let seconds = Double(histogram.medianEquivalentForValue(recorded.value)) / 1_000_000
            while bucket < bounds.count, seconds > bounds[bucket] { bucket += 1 }
            latencyCounts[bucket] += UInt64(recorded.count)
            latencySums[bucket] += seconds * Double(recorded.count)
        }
    }

    mutating func add(_ other: EndpointRunningTotals) {
        requests += other.requests
        failures += other.failures
        for index in latencyCounts.indices where index < other.latencyCounts.count {
            latencyCounts[index] += other.latencyCounts[index]
            latencySums[index] += other.latencySums[index]
        }
    }

    /// Adds one event loop's totals, endpoint by endpoint (both in the plan's order), to `sum`.
    static func add(_ loop: [EndpointRunningTotals], to sum: inout [EndpointRunningTotals]) {
        if sum.count < loop.count { sum += Array(repeating: EndpointRunningTotals(), count: loop.count - sum.count) }
        for (index, totals) in loop.enumerated() { sum[index].add(totals) }
    }
}
