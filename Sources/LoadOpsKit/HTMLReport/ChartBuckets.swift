import Foundation

/// A run's time series cut down for a chart: at most `limit` points, each standing for consecutive
/// seconds. Only the drawing is downsampled; every statistic is computed from the full series.
struct ChartBuckets {
    /// One point of a chart.
    struct Bucket: Equatable {
        /// The last elapsed second the bucket covers.
        var elapsed: Double
        /// Means over the bucket.
        var requestsPerSecond: Double
        var failuresPerSecond: Double
        /// The highest one-second value in the bucket, so a slow second stays visible; nil when no
        /// request completed in it (a stalled target has no latency to draw, not a latency of 0).
        var p50: Double?
        var p95: Double?
        var p99: Double?
        /// The last second's users (connections in use for the open model), and its target rate when recorded.
        var users: Int
        var targetRate: Double?
    }

    /// The most points a chart of a run gets: one hour of seconds becomes 600 six-second buckets.
    static let defaultLimit = 600

    var buckets: [Bucket]
    /// Seconds per bucket (1 when the run is short enough to draw every second).
    var secondsPerBucket: Int

    init(_ series: [SecondSnapshot], limit: Int = defaultLimit) {
        let size = max((series.count + max(limit, 1) - 1) / max(limit, 1), 1)
        secondsPerBucket = size
        buckets = stride(from: 0, to: series.count, by: size).map { start in
            let seconds = series[start..<min(start + size, series.count)]
            let count = Double(seconds.count)
            let last = seconds[seconds.endIndex - 1]
            let measured = seconds.filter { $0.requests > 0 }
            return Bucket(elapsed: last.elapsed,
                          requestsPerSecond: seconds.reduce(0) { $0 + $1.requestsPerSecond } / count,
                          failuresPerSecond: seconds.reduce(0) { $0 + $1.failuresPerSecond } / count,
                          p50: measured.map(\.p50).max(), p95: measured.map(\.p95).max(),
                          p99: measured.map(\.p99).max(), users: last.users, targetRate: last.targetRate)
        }
    }

    /// A monitor series (`[seconds, value]` pairs) cut the same way: means of consecutive readings.
    static func points(_ pairs: [[Double]], limit: Int = defaultLimit) -> [(x: Double, y: Double)] {
        let readings = pairs.compactMap { $0.count == 2 ? (x: $0[0], y: $0[1]) : nil }
        let size = max((readings.count + max(limit, 1) - 1) / max(limit, 1), 1)
        guard size > 1 else { return readings }
        return stride(from: 0, to: readings.count, by: size).map { start in
            let slice = readings[start..<min(start + size, readings.count)]
            return (x: slice[slice.endIndex - 1].x, y: slice.reduce(0) { $0 + $1.y } / Double(slice.count))
        }
    }
}
