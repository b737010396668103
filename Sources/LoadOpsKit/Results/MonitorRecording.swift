import Foundation

/// What the monitor sampled during a run, as results.json keeps it (`monitor`): per source, a time
/// series per metric (`points`: `[seconds since the start of the run, value]`) and the samples that
/// failed, with why.
public struct MonitorRecording: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        public var name: String
        /// `host`, `postgres`, `redis`, `prometheus`, `command`.
        public var kind: String
        public var series: [Series]
        public var errors: [SampleError]
    }

    public struct Series: Codable, Sendable, Equatable {
        /// `cpu`, `connections{db="app"}`.
        public var metric: String
        /// `%`, `bytes/s`, ... (empty for a plain number).
        public var unit: String
        public var points: [[Double]]

        /// The lowest, mean and highest value.
        public var range: (min: Double, mean: Double, max: Double)? {
            let values = points.compactMap { $0.count == 2 ? $0[1] : nil }
            guard let low = values.min(), let high = values.max() else { return nil }
            return (low, values.reduce(0, +) / Double(values.count), high)
        }
    }

    public struct SampleError: Codable, Sendable, Equatable {
        public var elapsed: Double
        public var message: String
    }

    public var intervalSeconds: Double
    public var sources: [Source]

    enum CodingKeys: String, CodingKey {
        case intervalSeconds = "interval_seconds"
        case sources
    }

    /// An empty recording of `settings`' sources, in the configuration's order.
    public init(settings: MonitorSettings) {
        intervalSeconds = settings.interval
        sources = settings.sources.map { Source(name: $0.name, kind: $0.kind.name, series: [], errors: []) }
    }

    /// Adds one round, taken `elapsed` seconds after the start of the run.
    public mutating func add(_ round: MonitorRound, elapsed: Double) {
        let at = ResultsDocument.finite(Milliseconds.roundedToThousandths(elapsed))
        for sample in round.samples {
            guard let index = sources.firstIndex(where: { $0.name == sample.source }) else { continue }
            if let error = sample.error {
                sources[index].errors.append(SampleError(elapsed: at, message: error))
                continue
            }
            for reading in sample.readings where reading.value.isFinite {
                if let series = sources[index].series.firstIndex(where: { $0.metric == reading.metric }) {
                    sources[index].series[series].points.append([at, reading.value])
                } else {
                    sources[index].series.append(Series(metric: reading.metric, unit: reading.unit.rawValue, points: [[at, reading.value]]))
                }
            }
        }
    }

    /// One line per metric for people: `host cpu: min 3.1 mean 40.2 max 97.0 %`, then the error count.
    public var summaryLines: [String] {
        var lines: [String] = []
        for source in sources {
            let name = source.name == source.kind ? source.name : "\(source.name) (\(source.kind))"
            for series in source.series {
                guard let range = series.range else { continue }
                let unit = series.unit.isEmpty ? "" : " \(series.unit)"
                lines.append("\(name) \(series.metric): min \(ReportNumber.decimal(range.min)), "
                             + "mean \(ReportNumber.decimal(range.mean)), max \(ReportNumber.decimal(range.max))\(unit)")
            }
            if let last = source.errors.last {
                lines.append("\(name): \(source.errors.count) failed sample\(source.errors.count == 1 ? "" : "s"), the last: \(last.message)")
            }
        }
        return lines
    }
}
