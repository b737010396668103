import Foundation

/// Latency figures in milliseconds, derived from the microsecond histograms.
extension EndpointStatistics {
    /// Latency at `percentile` in milliseconds; 0 when nothing was recorded.
    /// `corrected: false` reads the histogram measured from the actual send time.
    public func latencyMilliseconds(at percentile: Percentile, corrected: Bool = true) -> Double {
        (corrected ? latency : uncorrected).milliseconds(at: percentile)
    }

    /// Every reported percentile; empty when nothing was recorded.
    public func reportedPercentilesMilliseconds(corrected: Bool = true) -> [Percentile: Double] {
        (corrected ? latency : uncorrected).reportedPercentilesMilliseconds
    }

    /// Exact smallest recorded latency, milliseconds (0 when nothing was recorded).
    public var minimumMilliseconds: Double { latency.minimumMilliseconds }

    /// Exact largest recorded latency, milliseconds (0 when nothing was recorded).
    public var maximumMilliseconds: Double { latency.maximumMilliseconds }

    /// Mean latency, milliseconds, within the histogram's precision (0 when nothing was recorded).
    public var meanMilliseconds: Double { latency.meanMilliseconds }

    public var medianMilliseconds: Double { latencyMilliseconds(at: .p50) }

    /// Mean response body size in bytes (0 when nothing was sent).
    public var averageContentSize: Double {
        requests == 0 ? 0 : Double(contentBytes) / Double(requests)
    }

    /// Percent of requests that failed (0-100); 0 when nothing was sent.
    public var errorRate: Double {
        requests == 0 ? 0 : Double(failures) * 100 / Double(requests)
    }

    /// Failure kinds, most frequent first, ties by message so output is stable.
    public var failuresByKindSorted: [(kind: FailureKind, count: UInt64)] {
        failuresByKind.map { (kind: $0.key, count: $0.value) }
            .sorted { ($1.count, $0.kind.message) < ($0.count, $1.kind.message) }
    }
}

extension RunResult {
    /// Requests per second over the whole run (0 when the run had no length).
    public func perSecond(_ count: UInt64) -> Double {
        let duration = durationSeconds
        return duration > 0 ? Double(count) / duration : 0
    }
}
