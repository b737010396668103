import Foundation

/// The user flows and the request phases in `results.json`: optional everywhere, so files written
/// before either existed still read, compare and import.
extension ResultsDocument {
    /// One user flow over the whole run (`flows[]`): its iterations, where the failed ones ended and how
    /// long the completed ones took. Its steps' requests are ordinary entries of `endpoints`.
    public struct Flow: Codable, Sendable, Equatable {
        public var name: String
        /// Iterations whose first step was sent (or attempted).
        public var iterationsStarted: UInt64
        /// Iterations whose every step succeeded.
        public var iterationsCompleted: UInt64
        /// Iterations ended by a failing step.
        public var iterationsFailed: UInt64
        /// Percent (0-100) of the finished iterations (completed or failed) that failed; 0 when none finished.
        public var failureRate: Double
        /// Step name to the number of iterations that ended there (`FlowConfig.stepNames`).
        public var failedAtStep: [String: UInt64]
        /// The completed iterations' durations, think time included.
        public var duration: FlowDuration
        /// Finished iterations (completed or failed) per second over the whole run, as `rps` counts failed requests.
        public var iterationsPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case name
            case iterationsStarted = "iterations_started"
            case iterationsCompleted = "iterations_completed"
            case iterationsFailed = "iterations_failed"
            case failureRate = "failure_rate"
            case failedAtStep = "failed_at_step"
            case duration
            case iterationsPerSecond = "iterations_per_second"
        }

        /// Completed plus failed iterations (saturating: a hand-written file may hold anything).
        public var iterationsFinished: UInt64 {
            let (sum, overflow) = iterationsCompleted.addingReportingOverflow(iterationsFailed)
            return overflow ? .max : sum
        }

        /// The steps iterations failed at, most failures first (ties by name, so output is stable).
        public var failingSteps: [(step: String, count: UInt64)] {
            failedAtStep.filter { $0.value > 0 }.map { (step: $0.key, count: $0.value) }
                .sorted { ($1.count, $0.step) < ($0.count, $1.step) }
        }

        /// `login 12, pay 3`, or empty when no iteration failed.
        public var failingStepsText: String {
            failingSteps.map { "\($0.step) \($0.count)" }.joined(separator: ", ")
        }
    }

    /// A flow's iteration durations, in milliseconds, with the keys an endpoint's latencies have.
    public struct FlowDuration: Codable, Sendable, Equatable {
        public var minMs: Double
        public var maxMs: Double
        public var meanMs: Double
        public var medianMs: Double
        /// Every reported percentile (keyed "50", "66", ... "100"); empty when no iteration completed.
        public var percentiles: [Percentile: Double]

        enum CodingKeys: String, CodingKey {
            case minMs = "min_ms"
            case maxMs = "max_ms"
            case meanMs = "mean_ms"
            case medianMs = "median_ms"
            case percentiles
        }
    }

    /// Where an endpoint's requests spent their time (`RequestPhases`), in milliseconds. Connect and TLS
    /// cover only the requests that opened a connection, and are absent when none did (plain HTTP has no
    /// TLS; kept-alive connections open once).
    public struct Phases: Codable, Sendable, Equatable {
        public var connect: Phase?
        public var tlsHandshake: Phase?
        public var timeToFirstByte: Phase?
        public var receive: Phase?

        enum CodingKeys: String, CodingKey {
            case connect
            case tlsHandshake = "tls_handshake"
            case timeToFirstByte = "time_to_first_byte"
            case receive
        }
    }

    /// One phase's figures; `count` is how many requests it was measured for.
    public struct Phase: Codable, Sendable, Equatable {
        public var count: UInt64
        public var meanMs: Double
        public var p50: Double
        public var p95: Double
        public var p99: Double
        public var maxMs: Double

        enum CodingKeys: String, CodingKey {
            case count
            case meanMs = "mean_ms"
            case p50, p95, p99
            case maxMs = "max_ms"
        }
    }

    /// A flow as configured (`config.flows[]`), with nothing secret: its steps as endpoints are written
    /// (sensitive header values masked, bodies left out); its variables and data rows are not written.
    public struct FlowSettings: Codable, Sendable, Equatable {
        public var name: String
        public var weight: Double
        public var rate: Double?
        public var thinkTime: ThinkTime?
        public var cookies: Bool
        public var steps: [EndpointSettings]

        enum CodingKeys: String, CodingKey {
            case name, weight, rate
            case thinkTime = "think_time"
            case cookies, steps
        }
    }
}

// In an extension, so the memberwise initialiser stays.
extension ResultsDocument.FlowDuration {
    /// Percentiles are read by their keys, as an endpoint's are.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        minMs = try container.decode(Double.self, forKey: .minMs)
        maxMs = try container.decode(Double.self, forKey: .maxMs)
        meanMs = try container.decode(Double.self, forKey: .meanMs)
        medianMs = try container.decode(Double.self, forKey: .medianMs)
        percentiles = Percentile.keyed(try container.decode([String: Double].self, forKey: .percentiles))
    }
}

// MARK: - Building

extension ResultsDocument.Flow {
    init(_ statistics: FlowStatistics, result: RunResult) {
        let config = result.config.flows.first { $0.name == statistics.name }
        self.init(
            name: statistics.name,
            iterationsStarted: statistics.started,
            iterationsCompleted: statistics.completed,
            iterationsFailed: statistics.failed,
            failureRate: ResultsDocument.finite(statistics.failureRate),
            failedAtStep: statistics.failedAtStepNames(config),
            duration: ResultsDocument.FlowDuration(statistics.duration),
            iterationsPerSecond: ResultsDocument.finite(result.perSecond(statistics.finished))
        )
    }
}

extension ResultsDocument.FlowDuration {
    init(_ histogram: LatencyHistogram) {
        self.init(
            minMs: histogram.minimumMilliseconds,
            maxMs: histogram.maximumMilliseconds,
            meanMs: ResultsDocument.microsecondPrecision(histogram.meanMilliseconds),
            medianMs: histogram.milliseconds(at: .p50),
            percentiles: histogram.reportedPercentilesMilliseconds
        )
    }
}

extension ResultsDocument.Phases {
    /// nil when no phase was measured (the Locust engine, a run whose every connection was refused).
    init?(_ phases: RequestPhases) {
        let measured = [phases.connect, phases.tlsHandshake, phases.timeToFirstByte, phases.receive]
        guard measured.contains(where: { $0.totalCount > 0 }) else { return nil }
        self.init(
            connect: phases.connect.totalCount > 0 ? ResultsDocument.Phase(phases.connect) : nil,
            tlsHandshake: phases.tlsHandshake.totalCount > 0 ? ResultsDocument.Phase(phases.tlsHandshake) : nil,
            timeToFirstByte: ResultsDocument.Phase(phases.timeToFirstByte),
            receive: ResultsDocument.Phase(phases.receive)
        )
    }
}

extension ResultsDocument.Phase {
    init(_ histogram: LatencyHistogram) {
        self.init(
            count: histogram.totalCount,
            meanMs: ResultsDocument.microsecondPrecision(histogram.meanMilliseconds),
            p50: histogram.milliseconds(at: .p50),
            p95: histogram.milliseconds(at: .p95),
            p99: histogram.milliseconds(at: .p99),
            maxMs: histogram.maximumMilliseconds
        )
    }
}

extension ResultsDocument.FlowSettings {
    init(_ flow: FlowConfig) {
        self.init(
            name: flow.name,
            weight: flow.weight,
            rate: flow.rate,
            thinkTime: flow.thinkTime.map { ResultsDocument.ThinkTime(min: $0.lowerBound, max: $0.upperBound) },
            cookies: flow.cookies,
            steps: flow.steps.map { ResultsDocument.EndpointSettings($0.request) }
        )
    }
}

// MARK: - Step names

extension FlowConfig {
    /// Each step's name as the reports show it: its request's name (the step's endpoint row), with
    /// ` (step N)` added when two steps of the flow share a name, so each failing step stays apart.
    public var stepNames: [String] {
        let names = steps.map(\.request.name)
        var uses: [String: Int] = [:]
        for name in names { uses[name, default: 0] += 1 }
        return names.enumerated().map { index, name in
            (uses[name] ?? 0) > 1 ? "\(name) (step \(index + 1))" : name
        }
    }
}

extension FlowStatistics {
    /// `failedAtStep` keyed by step name (`FlowConfig.stepNames`); a step the configuration does not
    /// have (no configuration at hand) is named by its position, `step 3`.
    public func failedAtStepNames(_ config: FlowConfig?) -> [String: UInt64] {
        let names = config?.stepNames ?? []
        var named: [String: UInt64] = [:]
        for (index, count) in failedAtStep where count > 0 {
            let name = names.indices.contains(index) ? names[index] : "step \(index + 1)"
            named[name, default: 0] += count
        }
        return named
    }
}
