import Foundation

/// PASS or FAIL for one run, decided here and nowhere else: `loadops run`, `loadops summary`,
/// RESULTS_SUMMARY.md and the exit status all read it.
///
/// A run fails when
/// - no request succeeded (whatever the thresholds say: a run that got no answers is never a success);
/// - a threshold failed (the defaults when loadops.yml has none: `ThresholdSet.defaultExpressions`);
/// - a figure regressed against the baseline;
/// - the post-test cleanup failed;
/// - it was aborted by a rule, or interrupted (its figures cover only part of the plan).
/// Exit status: 130 when interrupted, otherwise 1 for FAIL and 0 for PASS.
public struct RunVerdict: Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        case noSuccessfulRequest(sent: UInt64)
        case thresholdsFailed([ThresholdOutcome])
        case regressions(ComparisonReport)
        case postTestCleanupFailed
        case aborted(reason: String)
        case interrupted
    }

    /// Why the run failed, in the order they are reported; empty for PASS.
    public var reasons: [Reason]

    public var passed: Bool { reasons.isEmpty }
    public var label: String { passed ? "PASS" : "FAIL" }

    public init(reasons: [Reason]) {
        self.reasons = reasons
    }

    public static func decide(document: ResultsDocument, thresholds: [ThresholdOutcome], comparison: ComparisonReport?,
                              postTestFailed: Bool = false) -> RunVerdict {
        var reasons: [Reason] = []
        let aggregate = document.aggregate
        if aggregate.requests <= aggregate.failures {
            reasons.append(.noSuccessfulRequest(sent: aggregate.requests))
        }
        let failed = thresholds.filter { !$0.passed }
        if !failed.isEmpty { reasons.append(.thresholdsFailed(failed)) }
        if let comparison, comparison.hasRegression { reasons.append(.regressions(comparison)) }
        if postTestFailed { reasons.append(.postTestCleanupFailed) }
        switch document.status {
        case .completed: break
        case .interrupted: reasons.append(.interrupted)
        case .aborted: reasons.append(.aborted(reason: document.stopReason ?? "the run was aborted"))
        case .failed: reasons.append(.aborted(reason: "the run failed"))
        }
        return RunVerdict(reasons: reasons)
    }

    public var exitStatus: ExitStatus {
        if reasons.contains(.interrupted) { return .interrupted }
        return passed ? .success : .checkFailed
    }

    /// One line per reason, for a terminal, a cron mail and the summary's Pass/Fail section.
    public var reasonLines: [String] {
        reasons.map { reason in
            switch reason {
            case .noSuccessfulRequest(let sent):
                return sent == 0
                    ? "no request was answered: the target never responded"
                    : "no request succeeded: all \(sent) failed"
            case .thresholdsFailed(let failed):
                return "\(failed.count) threshold\(failed.count == 1 ? "" : "s") failed: "
                    + failed.map { "\($0.scope) \($0.expression) (observed \($0.observed))" }.joined(separator: "; ")
            case .regressions(let comparison):
                return ComparisonRenderer.verdict(comparison)
                    + (comparison.isComparable ? "" : " (the runs' configurations differ: see the comparison)")
            case .postTestCleanupFailed:
                return "the post-test cleanup failed"
            case .aborted(let reason):
                return reason
            case .interrupted:
                return "the run was interrupted: its figures cover only part of the planned load"
            }
        }
    }

    /// `PASS`, or `FAIL: reason; reason`: the one line a quiet run still prints.
    public var headline: String {
        passed ? "PASS" : "FAIL: " + reasonLines.joined(separator: "; ")
    }
}
