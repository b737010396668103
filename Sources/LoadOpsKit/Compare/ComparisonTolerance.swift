import Foundation

/// A figure compared between a run and its baseline.
public enum ComparisonMetric: String, Codable, Sendable, CaseIterable, Comparable {
    case successRate = "success_rate"
    case errorRate = "error_rate"
    case p50
    case p95
    case p99
    case rps

    /// Latencies and the error rate get worse as they grow; the success rate and throughput as they shrink.
    public var higherIsWorse: Bool {
        switch self {
        case .successRate, .rps: return false
        case .errorRate, .p50, .p95, .p99: return true
        }
    }

    /// The smallest absolute change worth a flag: 1 ms for latencies, 0.1 percentage point for rates,
    /// 1 request per second for throughput. Below it a change is measurement noise whatever its percentage.
    public var defaultFloor: Double {
        switch self {
        case .successRate, .errorRate: return 0.1
        case .p50, .p95, .p99: return 1
        case .rps: return 1
        }
    }

    var isLatency: Bool { self == .p50 || self == .p95 || self == .p99 }
    var isRate: Bool { self == .successRate || self == .errorRate }

    /// `812.35 ms`, `99.98%`, `123.4/s`.
    func format(_ value: Double) -> String {
        switch self {
        case .successRate, .errorRate: return ReportNumber.percent(value)
        case .p50, .p95, .p99: return "\(ReportNumber.decimal(value)) ms"
        case .rps: return "\(ReportNumber.decimal(value))/s"
        }
    }

    /// The floor in the metric's unit, as written in reports.
    func formatFloor(_ value: Double) -> String {
        switch self {
        case .successRate, .errorRate: return "\(ReportNumber.decimal(value)) point"
        case .p50, .p95, .p99: return "\(ReportNumber.decimal(value)) ms"
        case .rps: return "\(ReportNumber.decimal(value)) req/s"
        }
    }

    public static func < (lhs: ComparisonMetric, rhs: ComparisonMetric) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// How far a figure may move before it is flagged: a percentage of the baseline (default 5%, per-metric
/// overrides) and an absolute floor per metric below which nothing is flagged.
public struct ComparisonTolerance: Sendable, Equatable {
    public static let defaultPercent = 5.0

    /// Percent of the baseline value, e.g. 5 for ±5%.
    public var percent: Double
    /// Per-metric percentages that replace `percent`.
    public var perMetric: [ComparisonMetric: Double]
    /// Per-metric absolute floors that replace `ComparisonMetric.defaultFloor`.
    public var floors: [ComparisonMetric: Double]

    public init(percent: Double = ComparisonTolerance.defaultPercent,
                perMetric: [ComparisonMetric: Double] = [:],
                floors: [ComparisonMetric: Double] = [:]) {
        self.percent = percent
        self.perMetric = perMetric
        self.floors = floors
    }

    public func percent(for metric: ComparisonMetric) -> Double { perMetric[metric] ?? percent }
    public func floor(for metric: ComparisonMetric) -> Double { floors[metric] ?? metric.defaultFloor }

    /// Reads `5%` or `5` (percent) for `--tolerance` and the configuration.
    public static func parsePercent(_ text: String) throws(ValueFormatError) -> Double {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") { trimmed = String(trimmed.dropLast()).trimmingCharacters(in: .whitespaces) }
        guard let value = DecimalNumber.parse(trimmed) else {
            throw ValueFormatError(expected: "a percentage such as 5% or 10", found: text)
        }
        return value
    }

    /// Reads `p95=10%` (a per-metric override).
    public static func parseOverride(_ text: String) throws(ValueFormatError) -> (ComparisonMetric, Double) {
        let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let names = ComparisonMetric.allCases.map(\.rawValue).joined(separator: ", ")
        guard parts.count == 2, let metric = ComparisonMetric(rawValue: parts[0].lowercased()) else {
            throw ValueFormatError(expected: "METRIC=PERCENT with METRIC one of \(names), e.g. p95=10%", found: text)
        }
        return (metric, try parsePercent(parts[1]))
    }
}
