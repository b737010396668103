import Foundation

/// What a threshold measures. Latencies are milliseconds, rates percent (0-100).
public enum ThresholdMetric: Sendable, Equatable, CustomStringConvertible {
    /// `p95`, `p99.9`, `median`.
    case percentile(Percentile)
    case minimum
    case mean
    case maximum
    case errorRate
    case successRate
    case requestsPerSecond
    case requests
    case failures
    /// Percent of the run's seconds in which the target answered successfully (aggregate only).
    case availability
    /// The longest span without a successful response, seconds (aggregate only).
    case outage

    /// Every spelling accepted, for the error message.
    static let spellings = "p50 p66 p75 p80 p90 p95 p98 p99 p99.9 p99.99 median min avg mean max error_rate success_rate rps requests failures availability outage"

    init?(name: String) {
        let lowered = name.lowercased()
        switch lowered {
        case "min": self = .minimum
        case "avg", "mean": self = .mean
        case "max": self = .maximum
        case "median", "med": self = .percentile(.p50)
        case "error_rate": self = .errorRate
        case "success_rate": self = .successRate
        case "rps": self = .requestsPerSecond
        case "requests": self = .requests
        case "failures": self = .failures
        case "availability": self = .availability
        case "outage": self = .outage
        default:
            guard lowered.hasPrefix("p") else { return nil }
            guard let percentile = Percentile(rawValue: String(lowered.dropFirst())) else { return nil }
            self = percentile == .p100 ? .maximum : .percentile(percentile)
        }
    }

    public var description: String {
        switch self {
        case .percentile(let percentile): return "p\(percentile.rawValue)"
        case .minimum: return "min"
        case .mean: return "avg"
        case .maximum: return "max"
        case .errorRate: return "error_rate"
        case .successRate: return "success_rate"
        case .requestsPerSecond: return "rps"
        case .requests: return "requests"
        case .failures: return "failures"
        case .availability: return "availability"
        case .outage: return "outage"
        }
    }

    /// Measured over the whole run's time series, not per endpoint.
    var isRunWide: Bool { self == .availability || self == .outage }

    var isLatency: Bool {
        switch self {
        case .percentile, .minimum, .mean, .maximum: return true
        default: return false
        }
    }

    /// Reads the right-hand side of an expression in this metric's unit.
    func parseValue(_ text: String) throws(ThresholdValueError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch self {
        case .percentile, .minimum, .mean, .maximum:
            // A bare number is milliseconds here (k6's convention), unlike DurationParser's seconds.
            if let milliseconds = DecimalNumber.parse(trimmed) { return milliseconds }
            do {
                return Milliseconds.from(seconds: try DurationParser.seconds(from: trimmed))
            } catch {
                throw ThresholdValueError(expected: "a duration such as 500ms, 1s or 1.5s (a plain number is milliseconds)")
            }
        case .outage:
            do {
                return try DurationParser.seconds(from: trimmed)
            } catch {
                throw ThresholdValueError(expected: "a duration such as 3s or 1m")
            }
        case .errorRate, .successRate, .availability:
            // `%` is required: k6 writes rates as fractions (0.05), and guessing between 0.05% and 5% would
            // silently change what passes.
            guard trimmed.hasSuffix("%"), let percent = DecimalNumber.parse(trimmed.dropLast().trimmingCharacters(in: .whitespaces)),
                  percent <= 100 else {
                throw ThresholdValueError(expected: "a percentage from 0% to 100% such as 5% or 99.9% (the % sign is required; k6's 0.05 is written 5%)")
            }
            return percent
        case .requestsPerSecond:
            do {
                return try RateParser.perSecond(from: trimmed)
            } catch {
                throw ThresholdValueError(expected: "requests per second such as 100, 100/s or 6000/min")
            }
        case .requests, .failures:
            guard let count = UInt64(trimmed) else {
                throw ThresholdValueError(expected: "a whole number of requests such as 1000")
            }
            return Double(count)
        }
    }

    /// The observed value in the metric's unit, as people read it: `812.35ms`, `0.02%`, `123.4/s`, `1000`.
    func format(_ value: Double) -> String {
        switch self {
        case .percentile, .minimum, .mean, .maximum: return ReportNumber.milliseconds(value)
        case .errorRate, .successRate, .availability: return ReportNumber.percent(value)
        case .outage: return "\(ReportNumber.decimal(value, places: 1))s"
        case .requestsPerSecond: return "\(ReportNumber.decimal(value))/s"
        case .requests, .failures: return String(UInt64(max(value, 0)))
        }
    }
}

/// The comparison operator of a threshold.
public enum ThresholdOperator: String, Sendable, Equatable, CaseIterable {
    case lessThan = "<"
    case lessOrEqual = "<="
    case greaterThan = ">"
    case greaterOrEqual = ">="
    case equal = "=="

    func holds(_ observed: Double, _ limit: Double) -> Bool {
        switch self {
        case .lessThan: return observed < limit
        case .lessOrEqual: return observed <= limit
        case .greaterThan: return observed > limit
        case .greaterOrEqual: return observed >= limit
        case .equal: return observed == limit
        }
    }
}

/// One pass/fail criterion: `p95 < 1s` for a scope (`aggregate`, an endpoint or a flow).
public struct Threshold: Sendable, Equatable {
    /// As written in the configuration: `aggregate`, `get /sessions/{uuid}`, `login`, `flow checkout`.
    public var scope: String
    /// As written: `p95 < 1s`.
    public var expression: String
    public var metric: ThresholdMetric
    public var comparison: ThresholdOperator
    /// The limit in the metric's unit (milliseconds, percent, requests per second, requests).
    public var limit: Double

    /// Reads `METRIC OP VALUE`, spaces optional: `p95 < 1s`, `error_rate<5%`, `rps >= 100`.
    public static func parse(_ expression: String, scope: String) throws(ThresholdError) -> Threshold {
        let text = expression.trimmingCharacters(in: .whitespaces)
        func failure(_ reason: String) -> ThresholdError {
            ThresholdError(scope: scope, expression: expression, reason: reason)
        }
        let name = text.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        guard !name.isEmpty else {
            throw failure("expected METRIC OP VALUE such as \"p95 < 1s\" or \"error_rate < 5%\"")
        }
        guard let metric = ThresholdMetric(name: String(name)) else {
            throw failure("unknown metric \"\(name)\" (known: \(ThresholdMetric.spellings))")
        }
        let afterName = text[name.endIndex...].drop { $0 == " " }
        let operatorText = afterName.prefix { "<>=!".contains($0) }
        guard let comparison = ThresholdOperator(rawValue: String(operatorText)) else {
            let found = operatorText.isEmpty ? "nothing" : "\"\(operatorText)\""
            throw failure("expected an operator <, <=, >, >= or == after \(name), found \(found)")
        }
        let valueText = String(afterName[operatorText.endIndex...]).trimmingCharacters(in: .whitespaces)
        guard !valueText.isEmpty else { throw failure("a value is missing after \(comparison.rawValue)") }
        if metric.isRunWide && !ThresholdSet.isAggregate(scope) {
            throw failure("\(metric) is measured over the whole run: put it under aggregate")
        }
        let limit: Double
        do {
            limit = try metric.parseValue(valueText)
        } catch {
            throw failure("expected \(error.expected) for \(metric), found \"\(valueText)\"")
        }
        return Threshold(scope: scope, expression: expression, metric: metric, comparison: comparison, limit: limit)
    }
}

struct ThresholdValueError: Error {
    var expected: String
}

/// A threshold expression that cannot be read. Exit status 2: nothing should run on a misread criterion.
public struct ThresholdError: Error, CustomStringConvertible, Equatable, ExitStatusProviding {
    public var scope: String
    public var expression: String
    public var reason: String

    public init(scope: String, expression: String, reason: String) {
        self.scope = scope
        self.expression = expression
        self.reason = reason
    }

    public var description: String {
        "thresholds.\(scope): \"\(expression)\": \(reason)"
    }

    public var exitStatus: ExitStatus { .badInput }
}
