/// The recent past of a run, as the watch rules need it: the last one-second snapshots and the last
/// monitor readings, each with its time since the start of the run. Older entries are dropped once
/// no rule can look that far back.
struct WatchWindow {
    struct TimedReading {
        var elapsed: Double
        var value: Double
    }

    /// Seconds kept: the longest window any rule looks at (twice for the trend rules).
    let horizon: Double
    private(set) var seconds: [SecondSnapshot] = []
    /// Keyed `source.metric` (`host.cpu`).
    private(set) var readings: [String: [TimedReading]] = [:]
    /// The run's time of the latest snapshot.
    private(set) var now: Double = 0

    init(horizon: Double) {
        self.horizon = horizon
    }

    mutating func add(_ second: SecondSnapshot) {
        seconds.append(second)
        now = second.elapsed
        let oldest = now - horizon
        if let keep = seconds.firstIndex(where: { $0.elapsed > oldest }), keep > 0 {
            seconds.removeFirst(keep)
        }
    }

    mutating func add(source: String, readings sample: [MonitorReading], elapsed: Double) {
        for reading in sample {
            let key = "\(source).\(reading.metric)"
            var list = readings[key, default: []]
            list.append(TimedReading(elapsed: elapsed, value: reading.value))
            let oldest = max(now, elapsed) - horizon
            if let keep = list.firstIndex(where: { $0.elapsed > oldest }), keep > 0 { list.removeFirst(keep) }
            readings[key] = list
        }
    }

    /// The latest reading of `source.metric`, if one came within the horizon.
    func latest(_ source: String, _ metric: String) -> Double? {
        readings["\(source).\(metric)"]?.last?.value
    }

    /// The snapshots whose second ends in `(now - from, now - to]`: `span(from: 30, to: 0)` is the last 30 s.
    func span(from: Double, to: Double) -> ArraySlice<SecondSnapshot> {
        let start = now - from
        let end = now - to
        let first = seconds.firstIndex { $0.elapsed > start + 1e-9 } ?? seconds.endIndex
        let last = seconds.lastIndex { $0.elapsed <= end + 1e-9 }.map { $0 + 1 } ?? first
        return seconds[first..<max(first, last)]
    }

    /// `metric` measured over the `length` seconds ending `endingBefore` seconds ago (rules in
    /// `AbortRule`); nil when the span holds nothing to measure.
    func measure(_ metric: WatchedMetric, over length: Double, endingBefore offset: Double = 0) -> Double? {
        switch metric {
        case .monitor(let source, let name):
            let start = now - offset - length
            let end = now - offset
            let values = (readings["\(source).\(name)"] ?? []).filter { $0.elapsed > start && $0.elapsed <= end }.map(\.value)
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        case .run(let runMetric):
            return Self.measure(runMetric, in: span(from: offset + length, to: offset), length: length)
        }
    }

    static func measure(_ metric: ThresholdMetric, in seconds: ArraySlice<SecondSnapshot>, length: Double) -> Double? {
        let requests = seconds.reduce(UInt64(0)) { $0 + $1.requests }
        let failures = seconds.reduce(UInt64(0)) { $0 + $1.failures }
        switch metric {
        case .errorRate:
            return requests == 0 ? nil : Double(failures) / Double(requests) * 100
        case .successRate:
            return requests == 0 ? nil : Double(requests - min(failures, requests)) / Double(requests) * 100
        case .requestsPerSecond:
            return seconds.isEmpty ? nil : Double(requests) / length
        case .failures:
            return seconds.isEmpty ? nil : Double(failures)
        case .percentile(let percentile):
            let answered = seconds.filter { $0.requests > 0 }
            let values: [Double]
            switch percentile {
            case .p50: values = answered.map(\.p50)
            case .p99: values = answered.map(\.p99)
            default: values = answered.map(\.p95)
            }
            return median(values)
        default:
            return nil
        }
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
