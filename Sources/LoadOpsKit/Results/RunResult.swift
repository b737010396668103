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
    public var timeSeries: [SecondSnapshot]
    /// Highest number of users / connections seen.
    public var peakUsers: Int
    /// Open model: arrivals that could not be started because every connection was busy and the queue was full.
    public var droppedArrivals: UInt64
    /// Problems seen during the run worth telling the reader (rate limiting, dropped arrivals, ...).
    public var warnings: [String]
    /// Why the load stopped; nil for results not made by the generator.
    public var stopReason: StopReason?
    /// Per flow, in configuration order (empty without `flows:`).
    public var flows: [FlowStatistics] = []

    public init(status: RunStatus, startTime: Date, endTime: Date, config: LoadOpsConfig,
                endpoints: [EndpointStatistics], coordinatedOmissionCorrected: Bool,
                timeSeries: [SecondSnapshot], peakUsers: Int, droppedArrivals: UInt64, warnings: [String],
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
