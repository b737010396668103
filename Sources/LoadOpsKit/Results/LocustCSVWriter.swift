import Foundation

/// Writes Locust 2.x's `--csv` files (checked against Locust 2.47), so scripts and dashboards
/// built on Locust read ours unchanged: same columns, same order, the `Aggregated` row last,
/// CRLF line endings and minimal quoting (Python's `csv.writer` defaults), and Python's
/// number formatting (`repr` for floats, integers where Locust writes integers, `N/A` for
/// percentiles of an entry without requests).
///
/// Where we measure more precisely than Locust, we keep our precision in Locust's format:
/// percentiles and the median come from the HdrHistogram (3 significant digits) rounded to whole
/// milliseconds, not from Locust's 2-significant-digit buckets.
public enum LocustCSVWriter {
    public static let prefix = "load_test"
    public static let statsFileName = "\(prefix)_stats.csv"
    public static let statsHistoryFileName = "\(prefix)_stats_history.csv"
    public static let failuresFileName = "\(prefix)_failures.csv"
    public static let exceptionsFileName = "\(prefix)_exceptions.csv"
    /// Not a Locust file: the user flows' iterations, one row per flow, in a file of its own, because
    /// scripts sum the rows of `load_test_stats.csv` and Locust's readers ignore files they do not know.
    public static let flowStatsFileName = "\(prefix)_flow_stats.csv"

    public static let statsColumns: [String] = [
        "Type", "Name", "Request Count", "Failure Count", "Median Response Time", "Average Response Time",
        "Min Response Time", "Max Response Time", "Average Content Size", "Requests/s", "Failures/s",
    ] + Percentile.columnHeaders

    public static let statsHistoryColumns: [String] = [
        "Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s",
    ] + Percentile.columnHeaders + [
        "Total Request Count", "Total Failure Count", "Total Median Response Time", "Total Average Response Time",
        "Total Min Response Time", "Total Max Response Time", "Total Average Content Size",
    ]

    /// Locust 2.4x added `First Seen` and `Last Seen`; we do not record when a failure kind first and
    /// last occurred, so those cells are empty, which is what Locust writes when it has no time either.
    public static let failuresColumns = ["Method", "Name", "Error", "Occurrences", "First Seen", "Last Seen"]

    public static let exceptionsColumns = ["Count", "Message", "Traceback", "Nodes"]

    /// The percentiles of a flow's iteration durations, as `load_test_flow_stats.csv` has them.
    static let flowPercentiles: [Percentile] = Percentile.allCases.filter { $0 != .p99_99 }

    public static let flowStatsColumns: [String] = [
        "Flow", "Iterations Started", "Iterations Completed", "Iterations Failed", "Failure Rate",
        "Average Duration", "Min Duration", "Max Duration",
    ] + flowPercentiles.map(\.columnHeader) + ["Iterations/s"]

    /// The four files, named and filled, in the order Locust lists them, then the flows' file when the
    /// run had flows.
    public static func files(for result: RunResult) -> [(name: String, contents: String)] {
        var files = [
            (name: statsFileName, contents: stats(result)),
            (name: statsHistoryFileName, contents: statsHistory(result)),
            (name: failuresFileName, contents: failures(result)),
            (name: exceptionsFileName, contents: exceptions()),
        ]
        if !result.flows.isEmpty { files.append((name: flowStatsFileName, contents: flowStats(result))) }
        return files
    }

    /// Writes the files into `folder` (created if missing), each atomically; returns their paths.
    @discardableResult
    public static func write(_ result: RunResult, to folder: String) throws(ResultsWriteError) -> [String] {
        try AtomicFileWriter.createFolder(folder)
        var paths: [String] = []
        for file in files(for: result) {
            let path = (folder as NSString).appendingPathComponent(file.name)
            try AtomicFileWriter.write(Data(file.contents.utf8), to: path)
            paths.append(path)
        }
        if result.flows.isEmpty {
            // An earlier run's flows would otherwise sit beside these results (and be archived with them).
            let stale = (folder as NSString).appendingPathComponent(flowStatsFileName)
            if FileManager.default.fileExists(atPath: stale) {
                do {
                    try FileManager.default.removeItem(atPath: stale)
                } catch {
                    throw ResultsWriteError(path: stale, reason: "cannot remove an earlier run's flow statistics (\(FileErrorReason.text(error)))")
                }
            }
        }
        return paths
    }

    // MARK: - Files

    /// `load_test_stats.csv`: one row per endpoint, sorted by name then method like Locust, then `Aggregated`.
    public static func stats(_ result: RunResult) -> String {
        var rows = [statsColumns]
        for endpoint in result.endpoints.sorted(by: { $0.key < $1.key }) {
            rows.append(statsRow(endpoint, result: result))
        }
        rows.append(statsRow(result.aggregate, result: result))
        return CSVText.render(rows)
    }

    /// `load_test_stats_history.csv`: one `Aggregated` row per time-series point.
    ///
    /// Two differences from Locust, because a point only carries what `SecondSnapshot` holds:
    /// - the percentile columns are the interval's own percentiles (Locust writes the run-so-far
    ///   ones); we have p50, p95 and p99 only, and write `N/A` in the other percentile columns
    ///   rather than invent figures (`N/A` is already Locust's value for "no data" there).
    /// - the running `Total` median/average/min/max/content size are known only when nothing was
    ///   sent yet (Locust's zeros) or when the totals already equal the whole run's (the final
    ///   figures); in between they are `N/A`.
    public static func statsHistory(_ result: RunResult) -> String {
        var rows = [statsHistoryColumns]
        let aggregate = result.aggregate
        for point in result.timeSeries {
            var row: [String] = [
                String(Int64(point.timestamp.rounded(.down))),
                String(point.users),
                "",
                "Aggregated",
                PythonNumber.sixDecimals(point.requestsPerSecond),
                PythonNumber.sixDecimals(point.failuresPerSecond),
            ]
            for percentile in Percentile.allCases {
                guard point.requests > 0 else { row.append("N/A"); continue }
                switch percentile {
                case .p50: row.append(wholeMilliseconds(point.p50))
                case .p95: row.append(wholeMilliseconds(point.p95))
                case .p99: row.append(wholeMilliseconds(point.p99))
                default: row.append("N/A")
                }
            }
            row.append(String(point.totalRequests))
            row.append(String(point.totalFailures))
            if point.totalRequests == 0 {
                row += ["0", "0.0", "0", "0", "0"]
            } else if point.totalRequests == aggregate.requests && point.totalFailures == aggregate.failures {
                row += [
                    wholeMilliseconds(aggregate.medianMilliseconds),
                    PythonNumber.float(aggregate.meanMilliseconds),
                    PythonNumber.floatOrZero(aggregate.minimumMilliseconds),
                    PythonNumber.floatOrZero(aggregate.maximumMilliseconds),
                    PythonNumber.float(aggregate.averageContentSize),
                ]
            } else {
                row += Array(repeating: "N/A", count: 5)
            }
            rows.append(row)
        }
        return CSVText.render(rows)
    }

    /// `load_test_failures.csv`: one row per endpoint and failure kind, sorted by name, method, error.
    public static func failures(_ result: RunResult) -> String {
        var entries: [(key: EndpointKey, message: String, count: UInt64)] = []
        for endpoint in result.endpoints {
            for (kind, count) in endpoint.failuresByKind where count > 0 {
                entries.append((endpoint.key, kind.message, count))
            }
        }
        entries.sort { ($0.key.name, $0.key.method, $0.message) < ($1.key.name, $1.key.method, $1.message) }
        var rows = [failuresColumns]
        for entry in entries {
            rows.append([entry.key.method, entry.key.name, entry.message, String(entry.count), "", ""])
        }
        return CSVText.render(rows)
    }

    /// `load_test_exceptions.csv`: the header only; a Swift generator raises no Python exceptions.
    public static func exceptions() -> String {
        CSVText.render([exceptionsColumns])
    }

    /// `load_test_flow_stats.csv`: one row per flow, in configuration order, in the stats file's units
    /// and number formats. Durations are the completed iterations' (milliseconds; percentiles `N/A`
    /// when none completed); `Failure Rate` is the percent of finished iterations that failed;
    /// `Iterations/s` counts finished iterations (completed or failed) as `Requests/s` counts failed requests.
    public static func flowStats(_ result: RunResult) -> String {
        var rows = [flowStatsColumns]
        for flow in result.flows {
            let duration = flow.duration
            let completed = duration.totalCount > 0
            var row: [String] = [
                flow.name,
                String(flow.started),
                String(flow.completed),
                String(flow.failed),
                PythonNumber.float(flow.failureRate),
                PythonNumber.float(duration.meanMilliseconds),
                PythonNumber.floatOrZero(duration.minimumMilliseconds),
                PythonNumber.floatOrZero(duration.maximumMilliseconds),
            ]
            for percentile in flowPercentiles {
                row.append(completed ? wholeMilliseconds(duration.milliseconds(at: percentile)) : "N/A")
            }
            row.append(PythonNumber.float(result.perSecond(flow.finished)))
            rows.append(row)
        }
        return CSVText.render(rows)
    }

    // MARK: - Rows

    static func statsRow(_ entry: EndpointStatistics, result: RunResult) -> [String] {
        let hasRequests = entry.requests > 0
        var row: [String] = [
            entry.key.method,
            entry.key.name,
            String(entry.requests),
            String(entry.failures),
            hasRequests ? wholeMilliseconds(entry.medianMilliseconds) : "0",
            PythonNumber.float(entry.meanMilliseconds),
            PythonNumber.floatOrZero(entry.minimumMilliseconds),
            PythonNumber.floatOrZero(entry.maximumMilliseconds),
            // Locust divides by the request count, which gives the integer 0 when there were none.
            hasRequests ? PythonNumber.float(entry.averageContentSize) : "0",
            PythonNumber.float(result.perSecond(entry.requests)),
            PythonNumber.float(result.perSecond(entry.failures)),
        ]
        for percentile in Percentile.allCases {
            row.append(hasRequests ? wholeMilliseconds(entry.latencyMilliseconds(at: percentile)) : "N/A")
        }
        return row
    }

    /// Locust's percentile and median cells are integers of milliseconds.
    static func wholeMilliseconds(_ milliseconds: Double) -> String {
        guard milliseconds.isFinite else { return "0" }
        return String(Int64(milliseconds.rounded()))
    }
}

/// Python's number formatting, as `csv.writer` applies it.
enum PythonNumber {
    /// `repr(float)`: shortest round-trip digits, always with a `.0` or an exponent.
    /// Swift's `description` follows the same rules (`474.0`, `1e-05`, `1e+16`, `inf`, `nan`).
    static func float(_ value: Double) -> String {
        value.description
    }

    /// Locust writes `min_response_time or 0` and `max(0, ...)`: the integer 0 when the value is zero.
    static func floatOrZero(_ value: Double) -> String {
        value == 0 ? "0" : float(value)
    }

    /// `%f`, as Locust formats the history's rates: six decimals.
    static func sixDecimals(_ value: Double) -> String {
        ReportNumber.fixed(value, places: 6)
    }
}
