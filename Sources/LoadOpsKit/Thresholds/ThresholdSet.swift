import Foundation

/// The result of one threshold against one run, as printed, summarised and stored in `results.json`.
public struct ThresholdOutcome: Codable, Sendable, Equatable {
    public var scope: String
    public var expression: String
    /// The measured value as people read it (`812.35ms`, `0.02%`), or why there is none (`no such endpoint`).
    public var observed: String
    /// The measured value in the metric's unit; nil when nothing could be measured.
    public var observedValue: Double?
    public var passed: Bool

    public init(scope: String, expression: String, observed: String, observedValue: Double?, passed: Bool) {
        self.scope = scope
        self.expression = expression
        self.observed = observed
        self.observedValue = observedValue
        self.passed = passed
    }

    enum CodingKeys: String, CodingKey {
        case scope, expression, observed
        case observedValue = "observed_value"
        case passed
    }

    /// `PASS` or `FAIL`.
    public var verdict: String { passed ? "PASS" : "FAIL" }
}

/// Every threshold of a configuration, parsed once (so a typo fails before any load is sent).
public struct ThresholdSet: Sendable, Equatable {
    /// `aggregate` first, then the endpoint scopes alphabetically, each scope's expressions in written order.
    public var thresholds: [Threshold]

    public init(thresholds: [Threshold] = []) {
        self.thresholds = thresholds
    }

    public var isEmpty: Bool { thresholds.isEmpty }

    /// What a run is held to when loadops.yml has no `thresholds:`: the operations guide's incident
    /// line (an error rate of 5% or more calls for incident response) and a target that answered
    /// throughout (no span of 3 seconds or more without a successful response). `thresholds: {}`
    /// turns them off.
    public static let defaultExpressions: [String: [String]] = ["aggregate": ["error_rate < 5%", "outage < 3s"]]

    /// The configuration's `thresholds:` mapping (scope to expressions).
    public static func parse(_ raw: [String: [String]]) throws(ThresholdError) -> ThresholdSet {
        let scopes = raw.keys.sorted { (isAggregate($0) ? 0 : 1, $0) < (isAggregate($1) ? 0 : 1, $1) }
        var thresholds: [Threshold] = []
        for scope in scopes {
            let trimmedScope = scope.trimmingCharacters(in: .whitespaces)
            guard !trimmedScope.isEmpty else {
                throw ThresholdError(scope: scope, expression: raw[scope]?.first ?? "",
                                     reason: "the scope is empty: write aggregate, an endpoint such as \"get /sessions/{uuid}\" or a flow such as \"flow checkout\"")
            }
            for expression in raw[scope] ?? [] {
                thresholds.append(try Threshold.parse(expression, scope: scope))
            }
        }
        return ThresholdSet(thresholds: thresholds)
    }

    static func isAggregate(_ scope: String) -> Bool {
        scope.trimmingCharacters(in: .whitespaces).lowercased() == "aggregate"
    }

    /// Each threshold against the run. A scope that names no endpoint (or flow) of the run fails with a
    /// reason, it never crashes.
    public func evaluate(_ document: ResultsDocument) -> [ThresholdOutcome] {
        thresholds.map { threshold in
            if threshold.metric.isRunWide { return Self.evaluate(threshold, availability: document.availability) }
            switch ThresholdScope.resolve(threshold.scope, in: document) {
            case .failure(let problem):
                return ThresholdOutcome(scope: threshold.scope, expression: threshold.expression,
                                        observed: problem.text, observedValue: nil, passed: false)
            case .success(.endpoint(let endpoint)):
                return Self.evaluate(threshold, on: endpoint)
            case .success(.flow(let flow)):
                return Self.evaluate(threshold, on: flow)
            }
        }
    }

    /// A flow's criteria are on its iterations: latencies on the completed iterations' durations,
    /// `error_rate` the percent of finished iterations that failed (`success_rate` the rest), `rps`
    /// finished iterations per second, `requests` and `failures` finished and failed iterations.
    static func evaluate(_ threshold: Threshold, on flow: ResultsDocument.Flow) -> ThresholdOutcome {
        func outcome(_ observed: String, _ value: Double?, _ passed: Bool) -> ThresholdOutcome {
            ThresholdOutcome(scope: threshold.scope, expression: threshold.expression,
                             observed: observed, observedValue: value, passed: passed)
        }
        let metric = threshold.metric
        // As for an endpoint without requests: a criterion that cannot be checked does not pass.
        if flow.iterationsFinished == 0 && metric != .requests && metric != .failures && metric != .requestsPerSecond {
            return outcome("no iterations finished", nil, false)
        }
        if metric.isLatency && flow.iterationsCompleted == 0 {
            return outcome("no iteration completed (\(flow.iterationsFailed) failed)", nil, false)
        }
        guard let value = observedValue(metric, on: flow) else {
            return outcome("\(metric) not recorded in the results", nil, false)
        }
        return outcome(metric.format(value), value, threshold.comparison.holds(value, threshold.limit))
    }

    static func observedValue(_ metric: ThresholdMetric, on flow: ResultsDocument.Flow) -> Double? {
        let duration = flow.duration
        switch metric {
        case .percentile(let percentile):
            return duration.percentiles[percentile] ?? (percentile == .p50 ? duration.medianMs : nil)
        case .minimum: return duration.minMs
        case .mean: return duration.meanMs
        case .maximum: return duration.maxMs
        case .errorRate: return flow.failureRate
        case .successRate: return 100 - flow.failureRate
        case .requestsPerSecond: return flow.iterationsPerSecond
        case .requests: return Double(flow.iterationsFinished)
        case .failures: return Double(flow.iterationsFailed)
        case .availability, .outage: return nil
        }
    }

    static func evaluate(_ threshold: Threshold, on endpoint: ResultsDocument.Endpoint) -> ThresholdOutcome {
        func outcome(_ observed: String, _ value: Double?, _ passed: Bool) -> ThresholdOutcome {
            ThresholdOutcome(scope: threshold.scope, expression: threshold.expression,
                             observed: observed, observedValue: value, passed: passed)
        }
        let metric = threshold.metric
        // Without requests, latencies and rates describe nothing: a criterion that cannot be checked does not pass.
        if endpoint.requests == 0 && metric != .requests && metric != .failures && metric != .requestsPerSecond {
            return outcome("no requests measured", nil, false)
        }
        guard let value = observedValue(metric, on: endpoint) else {
            return outcome("\(metric) not recorded in the results", nil, false)
        }
        return outcome(metric.format(value), value, threshold.comparison.holds(value, threshold.limit))
    }

    static func evaluate(_ threshold: Threshold, availability: Availability?) -> ThresholdOutcome {
        func outcome(_ observed: String, _ value: Double?, _ passed: Bool) -> ThresholdOutcome {
            ThresholdOutcome(scope: threshold.scope, expression: threshold.expression,
                             observed: observed, observedValue: value, passed: passed)
        }
        // Files made before availability was measured (or imported without a time series) cannot be
        // judged on it; that is said, not counted against them.
        guard let availability else { return outcome("not measured in these results", nil, true) }
        let value = threshold.metric == .outage ? availability.longestOutageSeconds : availability.percent
        return outcome(threshold.metric.format(value), value, threshold.comparison.holds(value, threshold.limit))
    }

    static func observedValue(_ metric: ThresholdMetric, on endpoint: ResultsDocument.Endpoint) -> Double? {
        switch metric {
        case .percentile(let percentile):
            return endpoint.percentiles[percentile] ?? (percentile == .p50 ? endpoint.medianMs : nil)
        case .minimum: return endpoint.minMs
        case .mean: return endpoint.meanMs
        case .maximum: return endpoint.maxMs
        case .errorRate: return endpoint.errorRate
        case .successRate: return endpoint.successRate
        case .requestsPerSecond: return endpoint.rps
        case .requests: return Double(endpoint.requests)
        case .failures: return Double(endpoint.failures)
        case .availability, .outage: return nil
        }
    }
}

/// Finds the statistics a threshold scope names.
enum ThresholdScope {
    static let methods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT"]

    /// What a scope names: an endpoint (or the aggregate), or a flow.
    enum Resolved {
        case endpoint(ResultsDocument.Endpoint)
        case flow(ResultsDocument.Flow)
    }

    /// The flow's name in `flow NAME` (`flow` case-insensitive); nil for any other scope.
    static func flowName(_ scope: String) -> String? {
        let text = scope.trimmingCharacters(in: .whitespaces)
        guard let space = text.firstIndex(of: " "), text[..<space].lowercased() == "flow" else { return nil }
        return text[space...].trimmingCharacters(in: .whitespaces)
    }

    /// `aggregate`; `flow NAME` (a user flow, by name); `get /sessions/{uuid}` (method, case-insensitive,
    /// and name or path); or a bare name or path. A flow's steps are endpoints, named by their steps.
    static func resolve(_ scope: String, in document: ResultsDocument) -> Result<Resolved, ScopeProblem> {
        let text = scope.trimmingCharacters(in: .whitespaces)
        if let name = flowName(text) {
            if let flow = document.flows?.first(where: { $0.name == name }) { return .success(.flow(flow)) }
            // An endpoint may itself be named `flow …`.
            if case .success(let endpoint) = resolveEndpoint(text, in: document) { return .success(.endpoint(endpoint)) }
            let known = (document.flows ?? []).map(\.name).joined(separator: ", ")
            return .failure(ScopeProblem("no such flow in this run (flows: \(known.isEmpty ? "none" : known))"))
        }
        return resolveEndpoint(text, in: document).map { .endpoint($0) }
    }

    static func resolveEndpoint(_ text: String, in document: ResultsDocument) -> Result<ResultsDocument.Endpoint, ScopeProblem> {
        if ThresholdSet.isAggregate(text) { return .success(document.aggregate) }

        var method: String?
        var target = text
        if let space = text.firstIndex(of: " "), methods.contains(text[..<space].uppercased()) {
            method = text[..<space].uppercased()
            target = text[space...].trimmingCharacters(in: .whitespaces)
        }
        let paths = Dictionary(document.config.endpoints.map { (EndpointMatchKey($0.method, $0.name), $0.path) },
                               uniquingKeysWith: { first, _ in first })
        let matches = document.endpoints.filter { endpoint in
            if let method, endpoint.method.uppercased() != method { return false }
            return endpoint.name == target || paths[EndpointMatchKey(endpoint.method, endpoint.name)] == target
        }
        // The whole scope may itself be a name that happens to start with a method word ("get sessions").
        let exact = method == nil ? [] : document.endpoints.filter { $0.name == text }
        let found = matches.isEmpty ? exact : matches
        switch found.count {
        case 1:
            return .success(found[0])
        case 0:
            let known = document.endpoints.map { "\($0.method) \($0.name)" }.joined(separator: ", ")
            return .failure(ScopeProblem("no such endpoint in this run (endpoints: \(known.isEmpty ? "none" : known))"))
        default:
            let methods = found.map(\.method).joined(separator: ", ")
            return .failure(ScopeProblem("ambiguous: \(found.count) endpoints match (\(methods)); put the method first, e.g. \"\(found[0].method.lowercased()) \(target)\""))
        }
    }

    struct ScopeProblem: Error {
        var text: String
        init(_ text: String) { self.text = text }
    }
}

private struct EndpointMatchKey: Hashable {
    var method: String
    var name: String
    init(_ method: String, _ name: String) {
        self.method = method.uppercased()
        self.name = name
    }
}
