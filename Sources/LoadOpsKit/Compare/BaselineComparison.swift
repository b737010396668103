import Foundation

/// What a comparison says about one figure.
public enum ComparisonFlag: String, Codable, Sendable, Equatable {
    /// Within ±tolerance, or a change smaller than the metric's absolute floor.
    case ok
    /// Worse beyond the tolerance.
    case regression
    /// Better beyond the tolerance.
    case improvement
    /// Not measured on one side (an endpoint without requests has no latencies).
    case notComparable = "n/a"

    /// `✓`, `⚠ regression`, `↑ improvement`, `n/a`.
    public var symbol: String {
        switch self {
        case .ok: return "✓"
        case .regression: return "⚠ regression"
        case .improvement: return "↑ improvement"
        case .notComparable: return "n/a"
        }
    }
}

/// One figure of one scope: baseline value, current value, change and flag.
public struct ComparisonRow: Codable, Sendable, Equatable {
    public var metric: ComparisonMetric
    /// nil when the side measured nothing for this figure.
    public var baseline: Double?
    public var current: Double?
    /// Percent change from the baseline; nil when it cannot be computed (a zero or missing baseline).
    public var changePercent: Double?
    public var flag: ComparisonFlag
    /// The tolerance and floor applied, so a reader can see why something was (not) flagged.
    public var tolerancePercent: Double
    public var floor: Double

    enum CodingKeys: String, CodingKey {
        case metric, baseline, current
        case changePercent = "change_percent"
        case flag
        case tolerancePercent = "tolerance_percent"
        case floor
    }

    /// `+4.9%`, `-12%`, `0%`, or `n/a`.
    public var changeText: String {
        guard let changePercent else { return "n/a" }
        let text = ReportNumber.decimal(changePercent, places: 1)
        return changePercent > 0 && text != "0" ? "+\(text)%" : "\(text)%"
    }
}

/// Which runs an endpoint appeared in.
public enum EndpointPresence: String, Codable, Sendable, Equatable {
    case both
    case currentOnly = "current_only"
    case baselineOnly = "baseline_only"
}

/// The comparison of one scope: the aggregate or an endpoint (matched by method and name).
public struct ScopeComparison: Codable, Sendable, Equatable {
    public var method: String
    public var name: String
    public var presence: EndpointPresence
    /// Empty when the endpoint is on one side only.
    public var rows: [ComparisonRow]

    /// `Aggregated` or `GET /sessions/{uuid}`.
    public var title: String { method.isEmpty ? name : "\(method) \(name)" }
}

/// A run compared with a baseline, scope by scope.
public struct ComparisonReport: Codable, Sendable, Equatable {
    /// Where each side came from (`load_test_reports/results.json`, `run 12`).
    public var currentLabel: String
    public var baselineLabel: String
    public var currentStartedAt: Date
    public var baselineStartedAt: Date
    public var tolerancePercent: Double
    public var aggregate: ScopeComparison
    public var endpoints: [ScopeComparison]
    /// How the two runs' configurations differ (`ConfigurationDifference`); empty when they are comparable.
    public var configurationDifferences: [String]

    enum CodingKeys: String, CodingKey {
        case currentLabel = "current"
        case baselineLabel = "baseline"
        case currentStartedAt = "current_started_at"
        case baselineStartedAt = "baseline_started_at"
        case tolerancePercent = "tolerance_percent"
        case aggregate, endpoints
        case configurationDifferences = "configuration_differences"
    }

    /// The two runs were measured under the same configuration, so their figures can be compared.
    public var isComparable: Bool { configurationDifferences.isEmpty }

    public var scopes: [ScopeComparison] { [aggregate] + endpoints }

    /// Every flagged regression with its scope.
    public var regressions: [(scope: ScopeComparison, row: ComparisonRow)] {
        scopes.flatMap { scope in scope.rows.filter { $0.flag == .regression }.map { (scope: scope, row: $0) } }
    }

    public var hasRegression: Bool { !regressions.isEmpty }
}

/// Compares a run with a baseline the way the operations guide's script does (percentage change, ±5%),
/// with a direction per metric, an absolute floor against noise, and every endpoint, not two top-level figures.
public enum BaselineComparison {
    public static func compare(current: ResultsDocument, baseline: ResultsDocument,
                               tolerance: ComparisonTolerance = ComparisonTolerance(),
                               currentLabel: String = "current", baselineLabel: String = "baseline") -> ComparisonReport {
        let aggregate = ScopeComparison(method: "", name: current.aggregate.name, presence: .both,
                                        rows: rows(current: current.aggregate, baseline: baseline.aggregate, tolerance: tolerance))
        var scopes: [ScopeComparison] = []
        var baselineByKey: [MatchKey: ResultsDocument.Endpoint] = [:]
        for endpoint in baseline.endpoints { baselineByKey[MatchKey(endpoint)] = baselineByKey[MatchKey(endpoint)] ?? endpoint }
        var matched: Set<MatchKey> = []
        for endpoint in current.endpoints {
            let key = MatchKey(endpoint)
            guard !matched.contains(key) else { continue }
            matched.insert(key)
            if let old = baselineByKey[key] {
                scopes.append(ScopeComparison(method: endpoint.method, name: endpoint.name, presence: .both,
                                              rows: rows(current: endpoint, baseline: old, tolerance: tolerance)))
            } else {
                scopes.append(ScopeComparison(method: endpoint.method, name: endpoint.name, presence: .currentOnly, rows: []))
            }
        }
        for endpoint in baseline.endpoints where !matched.contains(MatchKey(endpoint)) {
            matched.insert(MatchKey(endpoint))
            scopes.append(ScopeComparison(method: endpoint.method, name: endpoint.name, presence: .baselineOnly, rows: []))
        }
        return ComparisonReport(currentLabel: currentLabel, baselineLabel: baselineLabel,
                                currentStartedAt: current.startedAt, baselineStartedAt: baseline.startedAt,
                                tolerancePercent: tolerance.percent, aggregate: aggregate, endpoints: scopes,
                                configurationDifferences: ConfigurationDifference.between(current: current, baseline: baseline))
    }

    static func rows(current: ResultsDocument.Endpoint, baseline: ResultsDocument.Endpoint,
                     tolerance: ComparisonTolerance) -> [ComparisonRow] {
        ComparisonMetric.allCases.map { metric in
            row(metric, baseline: value(metric, of: baseline), current: value(metric, of: current), tolerance: tolerance)
        }
    }

    /// The flag for one figure. Exposed to tests so the rules can be checked on bare numbers.
    static func row(_ metric: ComparisonMetric, baseline: Double?, current: Double?, tolerance: ComparisonTolerance) -> ComparisonRow {
        let percent = tolerance.percent(for: metric)
        let floor = tolerance.floor(for: metric)
        var row = ComparisonRow(metric: metric, baseline: baseline, current: current, changePercent: nil,
                                flag: .notComparable, tolerancePercent: percent, floor: floor)
        guard let baseline, let current else { return row }
        let delta = current - baseline
        if baseline != 0 {
            row.changePercent = delta * 100 / abs(baseline)
        } else if delta == 0 {
            row.changePercent = 0
        }
        // The floor comes first: a 0.4 ms p50 doubling to 0.8 ms is noise, not a 100% regression.
        if abs(delta) < floor {
            row.flag = .ok
        } else if let change = row.changePercent, abs(change) <= percent {
            row.flag = .ok
        } else {
            // Beyond the tolerance, or from a zero baseline by at least the floor.
            let worse = metric.higherIsWorse ? delta > 0 : delta < 0
            row.flag = worse ? .regression : .improvement
        }
        return row
    }

    /// The figure of one side; nil when that side sent no requests (its latencies and rates mean nothing).
    static func value(_ metric: ComparisonMetric, of endpoint: ResultsDocument.Endpoint) -> Double? {
        if metric == .rps { return endpoint.rps }
        guard endpoint.requests > 0 else { return nil }
        switch metric {
        case .successRate: return endpoint.successRate
        case .errorRate: return endpoint.errorRate
        case .p50: return endpoint.percentiles[.p50] ?? endpoint.medianMs
        case .p95: return endpoint.percentiles[.p95]
        case .p99: return endpoint.percentiles[.p99]
        case .rps: return endpoint.rps
        }
    }

    private struct MatchKey: Hashable {
        var method: String
        var name: String
        init(_ endpoint: ResultsDocument.Endpoint) {
            method = endpoint.method.uppercased()
            name = endpoint.name
        }
    }
}
