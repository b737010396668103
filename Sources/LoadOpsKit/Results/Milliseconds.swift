import Foundation
import Histogram

/// The one conversion to milliseconds, the unit of every latency loadops reports: the histograms
/// record microseconds, and durations are seconds.
public enum Milliseconds {
    public static func from(microseconds: Double) -> Double { microseconds / 1000 }

    public static func from(seconds: Double) -> Double { seconds * 1000 }

    /// Rounded to three decimals: a time in seconds to the millisecond, a latency in milliseconds
    /// to the microsecond (finer digits are noise of the measurement).
    static func roundedToThousandths(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// A latency histogram's figures in milliseconds; each is 0 when nothing was recorded.
extension Histogram where Count == UInt64 {
    public func milliseconds(at percentile: Percentile) -> Double {
        totalCount > 0 ? Milliseconds.from(microseconds: Double(valueAtPercentile(percentile.percent))) : 0
    }

    /// Exact smallest recorded latency.
    public var minimumMilliseconds: Double {
        totalCount > 0 ? Milliseconds.from(microseconds: Double(min)) : 0
    }

    /// Exact largest recorded latency.
    public var maximumMilliseconds: Double {
        totalCount > 0 ? Milliseconds.from(microseconds: Double(maxRecorded)) : 0
    }

    /// Mean latency, within the histogram's precision: the library's `mean` (each bucket counted at the
    /// middle of its range), added up here, where the iteration is specialised for these histograms;
    /// the library's generic `mean` costs some 17 million instructions per histogram at every run's end.
    public var meanMilliseconds: Double {
        guard totalCount > 0 else { return 0 }
        var total = 0.0
        for bucket in recordedValues() {
            let lowest = lowestEquivalentForValue(bucket.value)
            let middle = lowest + ((highestEquivalentForValue(bucket.value) - lowest + 1) >> 1)
            total += Double(middle) * Double(bucket.count)
        }
        return Milliseconds.from(microseconds: total / Double(totalCount))
    }

    /// Every reported percentile (`Percentile.allCases`); empty when nothing was recorded. Endpoints'
    /// latencies and flows' iteration durations are reported with the same keys from this.
    public var reportedPercentilesMilliseconds: [Percentile: Double] {
        guard totalCount > 0 else { return [:] }
        var values: [Percentile: Double] = [:]
        for percentile in Percentile.allCases {
            values[percentile] = milliseconds(at: percentile)
        }
        return values
    }
}
