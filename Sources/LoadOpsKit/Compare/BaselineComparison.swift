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

/// Which runs an endpoint (or a flow) appeared in.
public enum EndpointPresence: String, Codable, Sendable, Equatable {
    case both
    case currentOnly = "current_only"
    case baselineOnly = "baseline_only"
}

/// The comparison of one scope: the aggregate, an endpoint (matched by method and name) or a user
/// flow (matched by name; its method is empty).
public struct ScopeComparison: Codable, Sendable, Equatable {
    public var method: String
    public var name: String
    public var presence: EndpointPresence
    /// Empty when the endpoint is on one side only.
    public var rows: [ComparisonRow]
    /// A user flow's iterations rather than an endpoint's requests (written `"flow": true`, absent otherwise).
    public var isFlow: Bool = false

    enum CodingKeys: String, CodingKey {
        case method, name, presence, rows
        case isFlow = "flow"
    }

    /// `Aggregated`, `GET /sessions/{uuid}` or `flow checkout` (as a threshold scope names it).
    public var title: String { isFlow ? "flow \(name)" : method.isEmpty ? name : "\(method) \(name)" }

    /// The aggregate's row: no method, and not a flow.
    public var isAggregate: Bool { method.isEmpty && !isFlow }
}

// In an extension, so the memberwise initialiser stays.
extension ScopeComparison {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        method = try container.decode(String.self, forKey: .method)
        name = try container.decode(String.self, forKey: .name)
        presence = try container.decode(EndpointPresence.self, forKey: .presence)
        rows = try container.decode([ComparisonRow].self, forKey: .rows)
        isFlow = try container.decodeIfPresent(Bool.self, forKey: .isFlow) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(method, forKey: .method)
        try container.encode(name, forKey: .name)
        try container.encode(presence, forKey: .presence)
        try container.encode(rows, forKey: .rows)
        if isFlow { try container.encode(true, forKey: .isFlow) }
    }
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
    /// The user flows of either run (`isFlow`); empty when neither had flows.
    public var flows: [ScopeComparison] = []

    enum CodingKeys: String, CodingKey {
        case currentLabel = "current"
        case baselineLabel = "baseline"
        case currentStartedAt = "current_started_at"
        case baselineStartedAt = "baseline_started_at"
        case tolerancePercent = "tolerance_percent"
        case aggregate, endpoints
        case configurationDifferences = "configuration_differences"
        case flows
    }

    /// The two runs were measured under the same configuration, so their figures can be compared.
    public var isComparable: Bool { configurationDifferences.isEmpty }

    /// The aggregate, the endpoints, then the flows.
    public var scopes: [ScopeComparison] { [aggregate] + endpoints + flows }

    /// Every flagged regression with its scope.
    public var regressions: [(scope: ScopeComparison, row: ComparisonRow)] {
        scopes.flatMap { scope in scope.rows.filter { $0.flag == .regression }.map { (scope: scope, row: $0) } }
    }

    public var hasRegression: Bool { !regressions.isEmpty }
}

/// Compares a run with a baseline the way the operations guide's script does (percentage change, ±5%),
/// with a direction per metric, an absolute floor against noise, and every endpoint, not two top-level figures.
///
/// User flows are compared by name, on two figures with the endpoints' rules (`row`): the p95 of the
/// completed iterations' durations (`p95`, from the iterations that completed on both sides) and the
/// failure rate (`error_rate`, percent of the finished iterations that failed). A flow on one side
/// only is listed (`currentOnly`, `baselineOnly`), never a regression; so is every flow of a run
/// compared with a baseline made before flows were recorded.
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
                                configurationDifferences: ConfigurationDifference.between(current: current, baseline: baseline),
                                flows: flows(current: current.flows ?? [], baseline: baseline.flows ?? [], tolerance: tolerance))
    }

    /// The flows compared by name: the current run's in its order, then those only in the baseline.
    static func flows(current: [ResultsDocument.Flow], baseline: [ResultsDocument.Flow],
                      tolerance: ComparisonTolerance) -> [ScopeComparison] {
        var scopes: [ScopeComparison] = []
        var seen: Set<String> = []
        for flow in current where seen.insert(flow.name).inserted {
            if let old = baseline.first(where: { $0.name == flow.name }) {
                scopes.append(ScopeComparison(method: "", name: flow.name, presence: .both,
                                              rows: flowRows(current: flow, baseline: old, tolerance: tolerance), isFlow: true))
            } else {
                scopes.append(ScopeComparison(method: "", name: flow.name, presence: .currentOnly, rows: [], isFlow: true))
            }
        }
        for flow in baseline where seen.insert(flow.name).inserted {
            scopes.append(ScopeComparison(method: "", name: flow.name, presence: .baselineOnly, rows: [], isFlow: true))
        }
        return scopes
    }

    /// The metrics a flow is compared on, in report order.
    static let flowMetrics: [ComparisonMetric] = [.errorRate, .p95]

    static func flowRows(current: ResultsDocument.Flow, baseline: ResultsDocument.Flow,
                         tolerance: ComparisonTolerance) -> [ComparisonRow] {
        flowMetrics.map { metric in
            row(metric, baseline: value(metric, of: baseline), current: value(metric, of: current), tolerance: tolerance)
        }
    }

    /// A flow's figure; nil when that side finished no iteration (the failure rate), or completed none (the p95).
    static func value(_ metric: ComparisonMetric, of flow: ResultsDocument.Flow) -> Double? {
        switch metric {
        case .errorRate: return flow.iterationsFinished > 0 ? flow.failureRate : nil
        case .p95: return flow.iterationsCompleted > 0 ? flow.duration.percentiles[.p95] : nil
        case .successRate, .p50, .p99, .rps: return nil
        }
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
