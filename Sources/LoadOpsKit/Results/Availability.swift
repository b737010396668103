import Foundation

/// Whether the target answered, second by second: the share of the run in which at least one
/// request succeeded, and the spans in which none did. Counting requests hides an outage (users
/// retry a dead target many times a second, so half a run without answers can weigh 1% by request
/// count); counting time does not.
///
/// Rules, per one-second interval of the time series:
/// - an interval with a successful response is *up*;
/// - an interval with failures and no success is *down*;
/// - an interval in which nothing completed (users thinking, requests still waiting) keeps the
///   state of the interval before it; such intervals at the very start are not measured.
public struct Availability: Codable, Sendable, Equatable {
    /// Percent of the measured time that was up, 0-100.
    public var percent: Double
    /// Seconds judged up or down.
    public var measuredSeconds: Double
    /// Spans without a successful response, in order.
    public var outages: [Outage]

    /// A span without a successful response, in seconds since the start of the run.
    public struct Outage: Codable, Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var seconds: Double { max(end - start, 0) }

        public init(start: Double, end: Double) {
            self.start = start
            self.end = end
        }

        enum CodingKeys: String, CodingKey { case start, end }
    }

    public init(percent: Double, measuredSeconds: Double, outages: [Outage]) {
        self.percent = percent
        self.measuredSeconds = measuredSeconds
        self.outages = outages
    }

    enum CodingKeys: String, CodingKey {
        case percent
        case measuredSeconds = "measured_seconds"
        case outages
    }

    /// The longest span without a successful response, seconds (0 when there was none).
    public var longestOutageSeconds: Double { outages.map(\.seconds).max() ?? 0 }

    /// Measured from the run's time series (one point per second, `elapsed` at the end of each).
    public static func measure(_ series: [SecondSnapshot]) -> Availability {
        var up = 0.0
        var measured = 0.0
        var outages: [Outage] = []
        var state: Bool?  // true up, false down, nil not known yet
        var previousEnd = 0.0
        for point in series {
            let start = previousEnd
            let end = max(point.elapsed, start)
            previousEnd = end
            let successes = point.requests &- min(point.failures, point.requests)
            if successes > 0 {
                state = true
            } else if point.failures > 0 {
                state = false
            }
            guard let isUp = state, end > start else { continue }
            measured += end - start
            if isUp {
                up += end - start
            } else if let last = outages.last, last.end == start {
                outages[outages.count - 1].end = end
            } else {
                outages.append(Outage(start: start, end: end))
            }
        }
        let percent = measured > 0 ? up / measured * 100 : 0
        // Interval edges carry the coordinator's scheduling jitter; a millisecond is all they mean.
        return Availability(percent: ResultsDocument.finite(percent), measuredSeconds: measured,
                            outages: outages.map { Outage(start: Milliseconds.roundedToThousandths($0.start),
                                                          end: Milliseconds.roundedToThousandths($0.end)) })
    }

    /// "no successful response from 00:03 to 00:06 (3 s, 50% of the run)" for each outage of at least
    /// `minimumSeconds`, longest first when there are more than `limit`.
    public func warnings(runSeconds: Double, minimumSeconds: Double = 2, limit: Int = 5) -> [String] {
        let long = outages.filter { $0.seconds >= minimumSeconds }
        var shown = long.count > limit ? Array(long.sorted { $0.seconds > $1.seconds }.prefix(limit)) : long
        shown.sort { $0.start < $1.start }
        var lines = shown.map { outage in
            var details = ["\(ReportNumber.decimal(outage.seconds, places: 1)) s"]
            if runSeconds > 0 { details.append("\(ReportNumber.percent(min(outage.seconds / runSeconds * 100, 100))) of the run") }
            return "no successful response from \(ReportNumber.clock(outage.start)) to \(ReportNumber.clock(outage.end)) (\(details.joined(separator: ", ")))"
        }
        if long.count > limit { lines.append("\(long.count - limit) shorter spans without a successful response are not listed") }
        return lines
    }
}
