import Foundation

/// The percentiles Locust reports (its `PERCENTILES_TO_REPORT`), in the order of its CSV columns.
public enum ReportedPercentiles {
    /// `percent` is 0-100; `label` is the key used in `results.json` ("99.9"), Locust's column adds a `%`.
    public static let all: [(label: String, percent: Double)] = [
        ("50", 50), ("66", 66), ("75", 75), ("80", 80), ("90", 90), ("95", 95),
        ("98", 98), ("99", 99), ("99.9", 99.9), ("99.99", 99.99), ("100", 100),
    ]

    /// Locust's column headers: `50%`, `66%`, ..., `100%`.
    public static var columnHeaders: [String] { all.map { $0.label + "%" } }
}

/// Latency figures in milliseconds, derived from the microsecond histograms.
extension EndpointStatistics {
    /// Latency at `percent` (0-100) in milliseconds; 0 when nothing was recorded.
    /// `corrected: false` reads the histogram measured from the actual send time.
    public func latencyMilliseconds(atPercentile percent: Double, corrected: Bool = true) -> Double {
        let histogram = corrected ? latency : uncorrected
        guard histogram.totalCount > 0 else { return 0 }
        return Double(histogram.valueAtPercentile(percent)) / 1000
    }

    /// Every reported percentile, keyed like `results.json` ("50" ... "100"); empty when nothing was recorded.
    public func reportedPercentilesMilliseconds(corrected: Bool = true) -> [String: Double] {
        let histogram = corrected ? latency : uncorrected
        guard histogram.totalCount > 0 else { return [:] }
        var values: [String: Double] = [:]
        for (label, percent) in ReportedPercentiles.all {
            values[label] = Double(histogram.valueAtPercentile(percent)) / 1000
        }
        return values
    }

    /// Exact smallest recorded latency, milliseconds (0 when nothing was recorded).
    public var minimumMilliseconds: Double {
        latency.totalCount > 0 ? Double(latency.min) / 1000 : 0
    }

    /// Exact largest recorded latency, milliseconds (0 when nothing was recorded).
    public var maximumMilliseconds: Double {
        latency.totalCount > 0 ? Double(latency.maxRecorded) / 1000 : 0
    }

    /// Mean latency, milliseconds, within the histogram's precision (0 when nothing was recorded).
    public var meanMilliseconds: Double {
        latency.totalCount > 0 ? latency.mean / 1000 : 0
    }

    public var medianMilliseconds: Double { latencyMilliseconds(atPercentile: 50) }

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
