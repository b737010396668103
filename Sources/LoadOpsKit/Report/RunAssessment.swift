import Foundation

/// A run's results judged: its thresholds, the comparison with its baseline and the verdict, with
/// the warnings a reader should see. `loadops run` builds it at the end of the load and
/// `loadops summary` from a saved results.json, with the same code, so both write the same reports.
public struct RunAssessment: Sendable {
    public var document: ResultsDocument
    public var thresholds: [ThresholdOutcome]
    public var comparison: ComparisonReport?
    public var verdict: RunVerdict
    /// The document's own warnings, and a baseline that could not be used.
    public var warnings: [String]

    /// How the run is named in the comparison (the same for `run` and `summary`).
    public static let currentLabel = "this run"

    /// `outcomes`: the document's thresholds, evaluated once (a run stores them in its results.json).
    /// `baseline`: the resolved reference, or why it could not be used (a warning, never a lost summary).
    public static func assess(_ document: ResultsDocument, outcomes: [ThresholdOutcome],
                              baseline: Result<ResolvedResults, any Error>?, tolerance: ComparisonTolerance,
                              postTestFailed: Bool = false) -> RunAssessment {
        var warnings = document.warnings
        var comparison: ComparisonReport?
        switch baseline {
        case .success(let reference)?:
            comparison = BaselineComparison.compare(current: document, baseline: reference.document, tolerance: tolerance,
                                                    currentLabel: currentLabel, baselineLabel: reference.label)
        case .failure(let error)?:
            warnings.append("baseline not compared: \(error)")
        case nil:
            break
        }
        let verdict = RunVerdict.decide(document: document, thresholds: outcomes, comparison: comparison,
                                        postTestFailed: postTestFailed)
        return RunAssessment(document: document, thresholds: outcomes, comparison: comparison, verdict: verdict, warnings: warnings)
    }
}

/// One report made from an assessment: RESULTS_SUMMARY.md, load_test_report.html, JUnit XML.
/// `loadops run` and `loadops summary` write the same list (`ReportWriters.list`).
public protocol ReportWriter: Sendable {
    /// Writes the report into `folder` (or where the writer was told) and returns the paths written.
    func write(_ assessment: RunAssessment, to folder: String) throws -> [String]
}

public enum ReportWriters {
    /// The reports of a run: always the summary and the HTML report (with the p95 trend from
    /// `databasePath` when the run is recorded there), JUnit XML when asked for.
    public static func list(junitPath: String?, databasePath: String? = nil) -> [any ReportWriter] {
        var writers: [any ReportWriter] = [SummaryMarkdownWriter(), HTMLReportWriter(databasePath: databasePath)]
        if let junitPath { writers.append(JUnitWriter(path: junitPath)) }
        return writers
    }

    /// Writes each report; returns every path written.
    public static func write(_ writers: [any ReportWriter], _ assessment: RunAssessment, to folder: String) throws -> [String] {
        try writers.flatMap { try $0.write(assessment, to: folder) }
    }
}

/// `RESULTS_SUMMARY.md` in the results folder.
public struct SummaryMarkdownWriter: ReportWriter {
    public init() {}

    public func write(_ assessment: RunAssessment, to folder: String) throws -> [String] {
        [try RunSummaryMarkdown.writeSummary(document: assessment.document, thresholds: assessment.thresholds,
                                             comparison: assessment.comparison, verdict: assessment.verdict,
                                             warnings: assessment.warnings, to: folder)]
    }
}

/// JUnit XML at a path of the user's choosing (`--junit FILE`).
public struct JUnitWriter: ReportWriter {
    public var path: String

    public init(path: String) { self.path = path }

    public func write(_ assessment: RunAssessment, to folder: String) throws -> [String] {
        try JUnitReport.write(document: assessment.document, thresholds: assessment.thresholds,
                              comparison: assessment.comparison, to: path)
        return [path]
    }
}

extension RunAssessment {
    /// `loadops summary`: the results.json in `folder` judged as `loadops run` judged it (its
    /// configuration's thresholds, the baseline `spec` or `baselines/baseline.json` when it exists).
    /// An explicit baseline that cannot be read is bad input; the default one only a warning, as in a run.
    public static func ofSavedResults(in folder: String, baseline spec: String?, tolerance: ComparisonTolerance,
                                      databasePath: String, workingDirectory: String) throws -> RunAssessment {
        let folder = UserPath.resolve(folder, relativeTo: workingDirectory)
        let document = try ResultsDocument.load(from: (folder as NSString).appendingPathComponent(ResultsWriter.resultsFileName))
        return try ofSaved(document, baseline: spec, tolerance: tolerance, databasePath: databasePath, workingDirectory: workingDirectory)
    }

    /// A saved run (a results file, or run `runID` of the history) judged as `loadops run` judged it;
    /// `previous` as the baseline is the run before `runID`.
    public static func ofSaved(_ document: ResultsDocument, runID: Int64? = nil, baseline spec: String?,
                               tolerance: ComparisonTolerance, databasePath: String, workingDirectory: String) throws -> RunAssessment {
        let thresholds = try ThresholdSet.parse(document.config.thresholds)
        var baseline: Result<ResolvedResults, any Error>?
        if let spec {
            baseline = .success(try ResultsLocator.resolve(spec, databasePath: databasePath, workingDirectory: workingDirectory,
                                                           relativeTo: runID))
        } else if FileManager.default.fileExists(atPath: UserPath.resolve(BaselineStore.defaultPath, relativeTo: workingDirectory)) {
            baseline = Result {
                try ResultsLocator.resolve(BaselineStore.defaultPath, databasePath: databasePath, workingDirectory: workingDirectory)
            }
        }
        return assess(document, outcomes: thresholds.evaluate(document), baseline: baseline, tolerance: tolerance)
    }
}
