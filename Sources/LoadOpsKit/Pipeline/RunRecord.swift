import Foundation

/// The measured run, built once from the generator's outcome: the in-memory result (its histograms
/// make the Locust CSVs) and the results document that the thresholds, the history, the comparison
/// and every report read.
public struct RunRecord: Sendable {
    public var result: RunResult
    public var document: ResultsDocument

    static func make(_ load: WatchedLoad, prepared: PreparedRun) -> RunRecord {
        let outcome = load.outcome
        let config = prepared.config
        var result = RunResult(
            status: outcome.stopReason.status, startTime: outcome.startTime, endTime: outcome.endTime, config: config.redacted(),
            endpoints: outcome.endpoints, coordinatedOmissionCorrected: config.load.model == .open && config.engine == .builtin,
            timeSeries: outcome.timeSeries, peakUsers: outcome.peakUsers, droppedArrivals: outcome.droppedArrivals,
            warnings: [], stopReason: outcome.stopReason)
        result.flows = outcome.flows
        result.warnings = RunWarnings.detect(in: result)
        if let locust = prepared.sender as? LocustLoadSender {
            result.warnings += locust.warnings(for: outcome) + ["measured by Locust: " + LocustCSVImporter.roundingNote]
        }
        var document = ResultsDocument.make(from: result)
        document.warningSigns = load.warnings.isEmpty ? nil : load.warnings
        document.monitor = load.monitor
        let thresholds = prepared.thresholds.evaluate(document)
        document.thresholds = thresholds.isEmpty ? nil : thresholds
        return RunRecord(result: result, document: document)
    }
}
