import DurationSyntax
import Foundation

/// What a watch rule measures over its window: one of the run's own figures, or a monitor reading.
public enum WatchedMetric: Sendable, Equatable, CustomStringConvertible {
    /// `error_rate`, `success_rate`, `rps`, `failures`, `p50`, `p95`, `p99`.
    case run(ThresholdMetric)
    /// `monitor.host.cpu`, `monitor.postgres.connections_used`: a reading of a configured monitor source.
    case monitor(source: String, metric: String)

    /// The run figures a window can measure: the one-second snapshots carry these.
    static let runSpellings = "error_rate success_rate rps failures p50 p95 p99"

    public var description: String {
        switch self {
        case .run(let metric): return metric.description
        case .monitor(let source, let metric): return "monitor.\(source).\(metric)"
        }
    }

    /// How an observed value reads: `812.35ms`, `20%`, `97.5`.
    func format(_ value: Double) -> String {
        switch self {
        case .run(let metric): return metric.format(value)
        case .monitor: return ReportNumber.decimal(value)
        }
    }
}

/// `error_rate > 5% over 30s`: when the figure, measured over the last 30 seconds of the run, holds
/// the comparison, the run stops and is recorded as aborted.
///
/// How a figure is measured over a window (the window ends at the latest one-second snapshot):
/// - `error_rate`, `success_rate`: failures (successes) over requests completed in the window;
///   `rps`: requests completed in the window over its length; `failures`: failures in the window.
/// - `p50`, `p95`, `p99`: the median of the window's one-second percentiles (seconds without an
///   answer are left out), so that one slow second does not decide alone.
/// - `monitor.SOURCE.METRIC`: the mean of the source's readings taken in the window.
/// A rule is judged only once its whole window lies after the grace period, and never on an empty
/// window (no request, or no reading).
public struct AbortRule: Sendable, Equatable, CustomStringConvertible {
    /// As written: `error_rate > 5% over 30s`.
    public var text: String
    public var metric: WatchedMetric
    public var comparison: ThresholdOperator
    /// In the metric's unit: milliseconds, percent, requests per second, or the monitor's own unit.
    public var limit: Double
    /// Seconds.
    public var window: Double

    public var description: String { text }

    /// The guide's first incident: a high error rate stops the test.
    public static let defaultExpressions = ["error_rate > 5% over 30s"]
    /// Seconds after the start during which no rule is judged: connections open, caches warm.
    public static let defaultGrace: Double = 10

    /// Reads `METRIC OP VALUE over WINDOW`.
    public static func parse(_ text: String) throws(AbortRuleError) -> AbortRule {
        func failure(_ reason: String) -> AbortRuleError { AbortRuleError(rule: text, reason: reason) }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let overRange = trimmed.range(of: " over ", options: .backwards) else {
            throw failure("expected METRIC OP VALUE over WINDOW, such as \"error_rate > 5% over 30s\" (the window is missing)")
        }
        let condition = String(trimmed[..<overRange.lowerBound])
        let windowText = trimmed[overRange.upperBound...].trimmingCharacters(in: .whitespaces)
        let window: Double
        do {
            window = try DurationParser.seconds(from: windowText)
        } catch {
            throw failure("expected a window such as 30s or 2m after \"over\", found \"\(windowText)\"")
        }
        guard window >= 1, window <= 86_400 else {
            throw failure("the window must be from 1s to 24h, found \"\(windowText)\"")
        }
        if condition.hasPrefix("monitor.") {
            return try parseMonitor(condition, text: text, window: window)
        }
        let threshold: Threshold
        do {
            threshold = try Threshold.parse(condition, scope: "aggregate")
        } catch {
            throw failure(error.reason)
        }
        switch threshold.metric {
        case .errorRate, .successRate, .requestsPerSecond, .failures:
            break
        case .percentile(let percentile) where [.p50, .p95, .p99].contains(percentile):
            break
        default:
            throw failure("\(threshold.metric) cannot be measured over a window (known: \(WatchedMetric.runSpellings), monitor.SOURCE.METRIC)")
        }
        return AbortRule(text: trimmed, metric: .run(threshold.metric), comparison: threshold.comparison,
                         limit: threshold.limit, window: window)
    }

    /// `monitor.host.cpu > 95%`: the value is a plain number in the reading's unit (a `%` is allowed).
    private static func parseMonitor(_ condition: String, text: String, window: Double) throws(AbortRuleError) -> AbortRule {
        func failure(_ reason: String) -> AbortRuleError { AbortRuleError(rule: text, reason: reason) }
        let name = condition.prefix { !" <>=!".contains($0) }
        let parts = name.dropFirst("monitor.".count).split(separator: ".", maxSplits: 1)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw failure("expected monitor.SOURCE.METRIC such as monitor.host.cpu, found \"\(name)\"")
        }
        let rest = condition[name.endIndex...].drop { $0 == " " }
        let operatorText = rest.prefix { "<>=!".contains($0) }
        guard let comparison = ThresholdOperator(rawValue: String(operatorText)) else {
            throw failure("expected an operator <, <=, >, >= or == after \(name)")
        }
        var valueText = rest[operatorText.endIndex...].trimmingCharacters(in: .whitespaces)
        if valueText.hasSuffix("%") { valueText.removeLast() }
        guard let limit = DecimalNumber.parse(valueText.trimmingCharacters(in: .whitespaces)) else {
            throw failure("expected a number after \(comparison.rawValue), such as 95 or 95%")
        }
        return AbortRule(text: text.trimmingCharacters(in: .whitespaces),
                         metric: .monitor(source: String(parts[0]), metric: String(parts[1])),
                         comparison: comparison, limit: limit, window: window)
    }
}

/// An abort rule that cannot be read: nothing runs on a misread rule (exit 2).
public struct AbortRuleError: Error, CustomStringConvertible, Equatable, ExitStatusProviding {
    public var rule: String
    public var reason: String

    public var description: String { "abort: \"\(rule)\": \(reason)" }
    public var exitStatus: ExitStatus { .badInput }
}
