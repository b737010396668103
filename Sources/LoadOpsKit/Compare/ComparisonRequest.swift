import Foundation

/// `loadops compare`: a run (a results file or folder, a run id, `latest`) against a baseline (a
/// file, a run id, `previous`), figure by figure.
public struct ComparisonRequest: Sendable {
    /// The run to check; nil: `load_test_reports/results.json` when it exists, else `latest`.
    public var current: String?
    public var baseline: String
    public var tolerance: ComparisonTolerance
    public var databasePath: String
    public var workingDirectory: String

    /// The run compared when none is named, if it exists.
    public static let defaultCurrentFile = LoadOpsConfig.defaultOutput + "/" + ResultsWriter.resultsFileName

    public init(current: String? = nil, baseline: String = BaselineStore.defaultPath,
                tolerance: ComparisonTolerance = ComparisonTolerance(),
                databasePath: String = HistoryDefaults.databasePath, workingDirectory: String) {
        self.current = current
        self.baseline = baseline
        self.tolerance = tolerance
        self.databasePath = databasePath
        self.workingDirectory = workingDirectory
    }

    /// Resolves both sides and compares them. A side that cannot be read is bad input; the default
    /// baseline file missing says how to make one, rather than "no such run".
    public func compare() throws -> ComparisonReport {
        let defaultCurrent = UserPath.resolve(Self.defaultCurrentFile, relativeTo: workingDirectory)
        let currentSpec = current ?? (FileManager.default.fileExists(atPath: defaultCurrent) ? Self.defaultCurrentFile : "latest")
        let currentResults = try ResultsLocator.resolve(currentSpec, databasePath: databasePath, workingDirectory: workingDirectory)
        if baseline == BaselineStore.defaultPath,
           !FileManager.default.fileExists(atPath: UserPath.resolve(baseline, relativeTo: workingDirectory)) {
            throw BaselineError.missing(path: baseline)
        }
        let baselineResults = try ResultsLocator.resolve(baseline, databasePath: databasePath, workingDirectory: workingDirectory,
                                                         relativeTo: currentResults.runID)
        return BaselineComparison.compare(current: currentResults.document, baseline: baselineResults.document,
                                          tolerance: tolerance, currentLabel: currentResults.label,
                                          baselineLabel: baselineResults.label)
    }
}

extension ComparisonTolerance {
    /// The tolerance flags as typed: `--tolerance 5%` (nil: the default) and `--metric-tolerance p95=10%`
    /// (repeatable); a value that cannot be read is a `ConfigError` naming the flag.
    public init(flag percent: String?, perMetricFlags: [String] = []) throws(ConfigError) {
        self.init()
        if let percent {
            do {
                self.percent = try Self.parsePercent(percent)
            } catch {
                throw ConfigError.flag("--tolerance", error)
            }
        }
        for text in perMetricFlags {
            do {
                let (metric, value) = try Self.parseOverride(text)
                perMetric[metric] = value
            } catch {
                throw ConfigError.flag("--metric-tolerance", error)
            }
        }
    }
}

extension ComparisonFormat {
    /// `--format` as typed, in any case: table, markdown or json.
    public init(flag text: String) throws(ConfigError) {
        guard let format = ComparisonFormat(rawValue: text.lowercased()) else {
            let names = ComparisonFormat.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError.flag("--format", ValueFormatError(expected: "one of \(names)", found: text))
        }
        self = format
    }
}
