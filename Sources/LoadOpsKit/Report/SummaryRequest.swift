import Foundation

/// `loadops summary`: the reports of a saved results folder (RESULTS_SUMMARY.md, and JUnit XML when
/// asked), judged as `loadops run` judged it, through the same assessment and report writers.
public struct SummaryRequest: Sendable {
    /// The results folder holding results.json; the reports are written there.
    public var output: String
    /// The reference (a file, a run id or `previous`); nil: `baselines/baseline.json` when it exists.
    public var baseline: String?
    public var tolerance: ComparisonTolerance
    /// `--junit FILE`, resolved against the working folder.
    public var junitPath: String?
    public var databasePath: String
    public var workingDirectory: String

    public init(output: String = LoadOpsConfig.defaultOutput, baseline: String? = nil,
                tolerance: ComparisonTolerance = ComparisonTolerance(), junitPath: String? = nil,
                databasePath: String = HistoryDefaults.databasePath, workingDirectory: String) {
        self.output = output
        self.baseline = baseline
        self.tolerance = tolerance
        self.junitPath = junitPath
        self.databasePath = databasePath
        self.workingDirectory = workingDirectory
    }

    /// Assesses the saved results and writes the reports. Unreadable results or an explicit baseline
    /// that cannot be read are errors (bad input); the default baseline's problems are a warning.
    public func write() throws -> WrittenSummary {
        let assessment = try RunAssessment.ofSavedResults(
            in: output, baseline: baseline, tolerance: tolerance, databasePath: databasePath,
            workingDirectory: workingDirectory)
        let databaseFile = UserPath.resolve(databasePath, relativeTo: workingDirectory)
        let paths = try ReportWriters.write(ReportWriters.list(junitPath: junitPath, databasePath: databaseFile), assessment,
                                            to: UserPath.resolve(output, relativeTo: workingDirectory))
        var lines: [String] = []
        if !assessment.thresholds.isEmpty {
            lines.append("Thresholds")
            for outcome in assessment.thresholds {
                lines.append("  \(outcome.verdict)  \(outcome.scope): \(outcome.expression) (observed \(outcome.observed))")
            }
        }
        if let comparison = assessment.comparison {
            lines.append(ComparisonRenderer.verdict(comparison) + " (against \(comparison.baselineLabel))")
        }
        for warning in assessment.warnings where warning.hasPrefix("baseline not compared") { lines.append("warning: \(warning)") }
        lines.append("Written: " + paths.joined(separator: ", "))
        lines.append("Pass/Fail: " + assessment.verdict.headline)
        return WrittenSummary(lines: lines, verdict: assessment.verdict)
    }
}

/// What `loadops summary` did: the lines it prints (thresholds, the comparison's verdict, the files
/// written, Pass/Fail) and the verdict, which decides its exit status.
public struct WrittenSummary: Sendable {
    public var lines: [String]
    public var verdict: RunVerdict
}
