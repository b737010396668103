import Foundation

/// `loadops report`: `load_test_report.html` for any saved or recorded run, judged as `loadops run`
/// judged it (its thresholds, the baseline), through the same assessment and HTML report writer.
public struct ReportRequest: Sendable {
    /// A results.json, its folder, a run id, `latest` or `previous`; nil: `load_test_reports/results.json`
    /// when it exists, else `latest`.
    public var run: String?
    /// The file to write (a folder gets `load_test_report.html` inside); nil: beside the results.json,
    /// or `load_test_report_run-ID.html` in the working folder for a run read from the history.
    public var output: String?
    /// The reference (a file, a run id or `previous`); nil: `baselines/baseline.json` when it exists.
    public var baseline: String?
    public var tolerance: ComparisonTolerance
    public var databasePath: String
    public var workingDirectory: String

    public init(run: String? = nil, output: String? = nil, baseline: String? = nil,
                tolerance: ComparisonTolerance = ComparisonTolerance(),
                databasePath: String = HistoryDefaults.databasePath, workingDirectory: String) {
        self.run = run
        self.output = output
        self.baseline = baseline
        self.tolerance = tolerance
        self.databasePath = databasePath
        self.workingDirectory = workingDirectory
    }

    /// Finds the run, judges it and writes the page; returns the path written and the verdict.
    /// A run that cannot be found or read, or an explicit baseline that cannot be read, is bad input.
    public func write() throws -> WrittenReport {
        let defaultFile = UserPath.resolve(ComparisonRequest.defaultCurrentFile, relativeTo: workingDirectory)
        let spec = run ?? (FileManager.default.fileExists(atPath: defaultFile) ? ComparisonRequest.defaultCurrentFile : "latest")
        let resolved = try ResultsLocator.resolve(spec, databasePath: databasePath, workingDirectory: workingDirectory)
        let assessment = try RunAssessment.ofSaved(resolved.document, runID: resolved.runID, baseline: baseline,
                                                   tolerance: tolerance, databasePath: databasePath,
                                                   workingDirectory: workingDirectory)
        let path = target(for: spec, resolved: resolved)
        let writer = HTMLReportWriter(databasePath: UserPath.resolve(databasePath, relativeTo: workingDirectory),
                                      runID: resolved.runID, path: path)
        let written = try writer.write(assessment, to: (path as NSString).deletingLastPathComponent)
        return WrittenReport(path: written.first ?? path, runLabel: resolved.label, verdict: assessment.verdict)
    }

    private func target(for spec: String, resolved: ResolvedResults) -> String {
        if let output {
            let path = UserPath.resolve(output, relativeTo: workingDirectory)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                return (path as NSString).appendingPathComponent(HTMLReport.fileName)
            }
            return path
        }
        if let runID = resolved.runID {
            return UserPath.resolve("load_test_report_run-\(runID).html", relativeTo: workingDirectory)
        }
        // A results.json or its folder: the page goes beside it, as a run writes it.
        let file = UserPath.resolve(spec.trimmingCharacters(in: .whitespaces), relativeTo: workingDirectory)
        var isDirectory: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) && isDirectory.boolValue
            ? file : (file as NSString).deletingLastPathComponent
        return (folder as NSString).appendingPathComponent(HTMLReport.fileName)
    }
}

/// What `loadops report` wrote, for which run, and that run's verdict.
public struct WrittenReport: Sendable {
    public var path: String
    public var runLabel: String
    public var verdict: RunVerdict
}
