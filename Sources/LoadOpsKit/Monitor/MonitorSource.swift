import Foundation

/// Something the monitor samples once per interval: this machine, a PostgreSQL or Redis server, a
/// Prometheus `/metrics` page, a command. `sample()` is called by one task at a time (never twice at
/// once for the same source) and must stop when its task is cancelled: that is how the sampler
/// enforces its timeout.
public protocol MonitorSource: Sendable {
    /// The source's name in samples and output: `host`, `postgres`, or the name the configuration gives it.
    var name: String { get }
    /// The figures measured now. Throwing records an error sample for this interval; the source is
    /// sampled again at the next one.
    func sample() async throws -> [MonitorReading]
}

/// One measured figure: `cpu` 12.5 %, `connections{db="app"}` 42, `commands` 1800 /s.
public struct MonitorReading: Sendable, Equatable {
    /// Short and stable, as rules refer to it (`monitor.host.cpu`); a per-database or labelled figure
    /// carries its labels the way Prometheus writes them: `connections{db="app"}`.
    public var metric: String
    public var value: Double
    public var unit: MonitorUnit

    public init(_ metric: String, _ value: Double, _ unit: MonitorUnit) {
        self.metric = metric
        self.value = value
        self.unit = unit
    }
}

public enum MonitorUnit: String, Sendable, Equatable, CaseIterable {
    case percent = "%"
    case bytes = "bytes"
    case bytesPerSecond = "bytes/s"
    /// Events per second: commands, a counter's increase.
    case perSecond = "/s"
    case seconds = "s"
    /// A plain number: a count, the load average, a gauge.
    case number = ""
}

/// What one source gave for one interval: its readings, or why there are none.
public struct MonitorSample: Sendable, Equatable {
    public var source: String
    /// Empty when `error` is set. Figures that need two samples (rates, CPU %) appear from the second one on.
    public var readings: [MonitorReading]
    /// The source failed (`connection refused (127.0.0.1:5432)`), did not answer within the timeout,
    /// or its previous sample was still running. Secrets are masked.
    public var error: String?
    /// How long the sample took.
    public var seconds: Double

    public init(source: String, readings: [MonitorReading] = [], error: String? = nil, seconds: Double = 0) {
        self.source = source
        self.readings = readings
        self.error = error
        self.seconds = seconds
    }

    public func reading(_ metric: String) -> MonitorReading? {
        readings.first { $0.metric == metric }
    }
}

/// Every source's sample for one interval, in the configuration's order.
public struct MonitorRound: Sendable, Equatable {
    /// 0 for the first interval.
    public var index: Int
    /// When the interval began (wall clock).
    public var time: Date
    /// Seconds from the sampler's start to the beginning of the interval (`index` × interval).
    public var elapsed: Double
    public var samples: [MonitorSample]

    public init(index: Int, time: Date, elapsed: Double, samples: [MonitorSample]) {
        self.index = index
        self.time = time
        self.elapsed = elapsed
        self.samples = samples
    }

    public func sample(_ source: String) -> MonitorSample? {
        samples.first { $0.source == source }
    }
}

/// Why a source could not be read, in words for the person watching: never holds a password.
public struct MonitorSourceError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Counters turned into rates per second between consecutive samples (CPU ticks, disk sectors,
/// network bytes, Redis commands, Prometheus counters).
struct CounterRates: Sendable {
    private var previous: [String: Double] = [:]
    private var previousInstant: ContinuousClock.Instant?

    /// The rate of each counter also seen at the previous call; none at the first call. A counter
    /// that went down was restarted (a server restart), so it counts from zero, as Prometheus's
    /// `rate()` does.
    mutating func rates(_ counters: [String: Double], at instant: ContinuousClock.Instant = .now) -> [String: Double] {
        defer {
            previous = counters
            previousInstant = instant
        }
        guard let last = previousInstant else { return [:] }
        let seconds = MonitorClock.seconds(last.duration(to: instant))
        guard seconds > 0 else { return [:] }
        var rates: [String: Double] = [:]
        for (key, value) in counters {
            guard let before = previous[key] else { continue }
            rates[key] = (value >= before ? value - before : value) / seconds
        }
        return rates
    }
}

enum MonitorClock {
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func duration(_ seconds: Double) -> Duration {
        .nanoseconds(Int64((max(seconds, 0) * 1e9).rounded()))
    }
}
