import Foundation

/// A k6 end-of-test summary that cannot be read; `field` names the JSON path concerned.
public enum K6SummaryImportError: Error, CustomStringConvertible, Equatable, ExitStatusProviding {
    case unreadable(path: String, reason: String)
    case missingMetric(path: String, field: String)
    case invalidValue(path: String, field: String, expected: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .missingMetric(let path, let field):
            return "\(path): field `\(field)` is missing (is this k6's --summary-export or handleSummary JSON?)"
        case .invalidValue(let path, let field, let expected):
            return "\(path): field `\(field)`: expected \(expected)"
        }
    }

    public var exitStatus: ExitStatus { .badInput }
}

/// Reads k6's end-of-test summary JSON — the `--summary-export` file, or the `data` object the default
/// `handleSummary` receives (`JSON.stringify(data)`), whose metrics wrap their figures in `values` — into
/// a `ResultsDocument` for the history and comparisons.
///
/// What the summary has: `http_reqs` (count, rate), `http_req_failed` (a rate whose `passes` are the
/// failed requests), `http_req_duration` (avg, min, med, max and the percentiles of
/// `summaryTrendStats`, p(90) and p(95) by default), `vus_max`, and the run's length in `state`. What it
/// has not: per-endpoint figures (one `Aggregated` endpoint is recorded), failures by kind, and any
/// per-second series, so nothing time-based (availability, charts over time) is available for it.
public enum K6SummaryImporter {
    public static let limitsNote = "imported from k6's end-of-test summary: aggregate figures only (no per-endpoint "
        + "statistics, no failures by kind, no per-second series), percentiles as k6 exported them"

    /// True when `data` looks like a k6 summary (a `metrics` object holding `http_reqs`).
    public static func looksLikeSummary(_ data: Data) -> Bool {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let metrics = root["metrics"] as? [String: Any] else { return false }
        return metrics["http_reqs"] != nil && root["schema_version"] == nil
    }

    public static func document(path: String, host: String = "", environment: String? = nil) throws(K6SummaryImportError) -> ResultsDocument {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: FileErrorReason.text(error))
        }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .unreadable(path: path, reason: "not a JSON object")
        }
        guard let metrics = root["metrics"] as? [String: Any] else { throw .missingMetric(path: path, field: "metrics") }

        /// A metric's figures: flat in `--summary-export`, under `values` in handleSummary's data.
        func figures(_ name: String) throws(K6SummaryImportError) -> [String: Double]? {
            guard let metric = metrics[name] else { return nil }
            guard let object = metric as? [String: Any] else {
                throw .invalidValue(path: path, field: "metrics.\(name)", expected: "an object")
            }
            let values = (object["values"] as? [String: Any]) ?? object
            var numbers: [String: Double] = [:]
            for (key, value) in values {
                if let number = value as? NSNumber {
                    let double = number.doubleValue
                    guard double.isFinite else { throw .invalidValue(path: path, field: "metrics.\(name).\(key)", expected: "a finite number") }
                    numbers[key] = double
                }
            }
            return numbers
        }

        guard let requestsMetric = try figures("http_reqs") else { throw .missingMetric(path: path, field: "metrics.http_reqs") }
        guard let count = requestsMetric["count"], count >= 0, count == count.rounded() else {
            throw .invalidValue(path: path, field: "metrics.http_reqs.count", expected: "a whole number of requests")
        }
        let requests = UInt64(count)
        var failures: UInt64 = 0
        if let failed = try figures("http_req_failed") {
            // k6's Rate counts the true values as `passes`: for http_req_failed, the failed requests.
            if let passes = failed["passes"] {
                failures = UInt64(max(passes, 0))
            } else if let rate = failed["rate"] ?? failed["value"] {
                failures = UInt64((rate * Double(requests)).rounded())
            }
        }
        failures = min(failures, requests)
        guard let duration = try figures("http_req_duration") else {
            throw .missingMetric(path: path, field: "metrics.http_req_duration")
        }
        var percentiles: [Percentile: Double] = [:]
        for (key, value) in duration {
            if key == "med" {
                percentiles[.p50] = value
            } else if key == "max" {
                percentiles[.p100] = value
            } else if key.hasPrefix("p("), key.hasSuffix(")"), let percent = Double(key.dropFirst(2).dropLast()),
                      let percentile = Percentile.allCases.first(where: { $0.percent == percent }) {
                percentiles[percentile] = value
            }
        }
        let state = root["state"] as? [String: Any]
        let runMilliseconds = (state?["testRunDurationMs"] as? NSNumber)?.doubleValue
        let rate = requestsMetric["rate"] ?? 0
        let seconds = runMilliseconds.map { $0 / 1000 } ?? (rate > 0 ? Double(requests) / rate : 0)
        let vus = try figures("vus_max")
        let peakUsers = Int(vus?["max"] ?? vus?["value"] ?? 0)
        let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? nil
        let endedAt = ResultsDocument.wholeMilliseconds(modified ?? Date())
        let startedAt = ResultsDocument.wholeMilliseconds(endedAt.addingTimeInterval(-seconds))

        let successRate = requests == 0 ? 0 : Double(requests - failures) / Double(requests) * 100
        let aggregate = ResultsDocument.Endpoint(
            method: "", name: "Aggregated", requests: requests, failures: failures, successRate: successRate,
            errorRate: requests == 0 ? 0 : Double(failures) * 100 / Double(requests),
            rps: seconds > 0 ? Double(requests) / seconds : rate,
            failuresPerSecond: seconds > 0 ? Double(failures) / seconds : 0,
            minMs: duration["min"] ?? 0, maxMs: duration["max"] ?? 0, meanMs: duration["avg"] ?? 0,
            medianMs: duration["med"] ?? 0, percentiles: percentiles, uncorrectedPercentiles: percentiles,
            avgContentSize: 0, failuresByKind: [:])
        let load = ResultsDocument.Load(model: "closed", users: peakUsers, spawnRate: 0, duration: seconds, thinkTime: nil,
                                        rate: nil, maxConnections: 0, timeout: 0, stages: [])
        let config = ResultsDocument.EffectiveConfig(
            host: host, allowHosts: [], environment: environment, insecure: false, load: load, endpoints: [],
            credentials: nil, thresholds: [:], output: "", source: path)
        return ResultsDocument(
            schemaVersion: ResultsDocument.currentSchemaVersion, tool: "k6", toolVersion: "unknown",
            status: .completed, stopReason: nil, startedAt: startedAt, endedAt: endedAt, durationSeconds: seconds,
            host: host, environment: environment, model: "closed", coordinatedOmissionCorrected: false,
            successRate: successRate, p95Latency: percentiles[.p95] ?? 0, load: load,
            aggregate: aggregate, endpoints: [], failures: [], timeSeries: [],
            peakUsers: peakUsers, droppedArrivals: 0, warnings: [limitsNote], config: config)
    }
}
