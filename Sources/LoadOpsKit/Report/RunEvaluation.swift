import Foundation

/// The verdict of a run: its thresholds and its comparison against the baseline.
public struct RunEvaluation: Sendable, Equatable {
    public var thresholds: [ThresholdOutcome]
    /// nil when there was no baseline to compare against (or it could not be read: see `baselineProblem`).
    public var comparison: ComparisonReport?
    /// Why a baseline that exists could not be used, for the summary's warnings.
    public var baselineProblem: String?

    public init(thresholds: [ThresholdOutcome], comparison: ComparisonReport?, baselineProblem: String? = nil) {
        self.thresholds = thresholds
        self.comparison = comparison
        self.baselineProblem = baselineProblem
    }

    public var failedThresholds: [ThresholdOutcome] { thresholds.filter { !$0.passed } }

    /// PASS needs every threshold to pass and no regression flagged.
    public var passed: Bool { failedThresholds.isEmpty && !(comparison?.hasRegression ?? false) }

    /// At the end of `loadops run` or in `loadops summary`: the thresholds against `document`, and the baseline
    /// at `baselinePath` when that file exists. A baseline that exists but cannot be read does not hide the run's
    /// summary: it is reported in `baselineProblem` and no comparison is made.
    public static func evaluate(_ document: ResultsDocument, thresholds: ThresholdSet, baselinePath: String?,
                                tolerance: ComparisonTolerance = ComparisonTolerance(),
                                currentLabel: String = "this run") -> RunEvaluation {
        let outcomes = thresholds.evaluate(document)
        guard let baselinePath, FileManager.default.fileExists(atPath: baselinePath) else {
            return RunEvaluation(thresholds: outcomes, comparison: nil)
        }
        do {
            let baseline = try ResultsDocument.load(from: baselinePath)
            let comparison = BaselineComparison.compare(current: document, baseline: baseline, tolerance: tolerance,
                                                        currentLabel: currentLabel, baselineLabel: baselinePath)
            return RunEvaluation(thresholds: outcomes, comparison: comparison)
        } catch {
            return RunEvaluation(thresholds: outcomes, comparison: nil,
                                 baselineProblem: "baseline not compared: \(error)")
        }
    }

    /// Lines for a terminal: each threshold with PASS/FAIL, the regressions, the verdict.
    public func consoleLines() -> [String] {
        var lines: [String] = []
        if !thresholds.isEmpty {
            lines.append("Thresholds")
            for outcome in thresholds {
                lines.append("  \(outcome.verdict)  \(outcome.scope): \(outcome.expression) (observed \(outcome.observed))")
            }
        }
        if let comparison {
            lines.append(ComparisonRenderer.verdict(comparison) + " (against \(comparison.baselineLabel))")
        }
        if let baselineProblem { lines.append("warning: \(baselineProblem)") }
        lines.append("Pass/Fail: \(passed ? "PASS" : "FAIL")")
        return lines
    }
}
