import Foundation

/// A Locust `--csv` file that cannot be read; `line` and `column` say where.
public enum LocustCSVImportError: Error, CustomStringConvertible, Equatable, ExitStatusProviding {
    case unreadable(path: String, reason: String)
    case missingColumn(path: String, column: String)
    case wrongFieldCount(path: String, line: Int, expected: Int, found: Int)
    case invalidValue(path: String, line: Int, column: String, expected: String, found: String)
    case missingAggregate(path: String)
    case unterminatedQuote(path: String, line: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .missingColumn(let path, let column):
            return "\(path):1: column `\(column)` is missing from the header (is this a Locust --csv stats file?)"
        case .wrongFieldCount(let path, let line, let expected, let found):
            return "\(path):\(line): expected \(expected) fields like the header, found \(found)"
        case .invalidValue(let path, let line, let column, let expected, let found):
            return "\(path):\(line): column `\(column)`: expected \(expected), found \"\(found)\""
        case .missingAggregate(let path):
            return "\(path): no `Aggregated` row (Locust writes one last)"
        case .unterminatedQuote(let path, let line):
            return "\(path):\(line): a quoted field is never closed"
        }
    }

    public var exitStatus: ExitStatus { .badInput }
}

/// Reads Locust's `--csv` output (`PREFIX_stats.csv`, and `PREFIX_stats_history.csv` when present)
/// into a `ResultsDocument`, so runs made with Locust can join the history and be compared.
///
/// Locust's percentiles are its response-time buckets (whole milliseconds below 100 ms, then two
/// significant figures: 110, 120, ... 980, 1000, 1100), so comparisons against them are approximate.
/// The document carries that caveat in its `warnings`.
public enum LocustCSVImporter {
    public static let roundingNote = "percentiles imported from Locust are its rounded response-time buckets "
        + "(2 significant figures above 100 ms), so comparisons against them are approximate"

    public static func statsPath(prefix: String) -> String { prefix + "_stats.csv" }
    public static func historyPath(prefix: String) -> String { prefix + "_stats_history.csv" }

    /// `prefix` is what was given to Locust's `--csv` (e.g. `results/run1` for `results/run1_stats.csv`).
    /// `host` and `environment` label the run: Locust's CSV files do not record them.
    public static func document(prefix: String, host: String = "", environment: String? = nil) throws(LocustCSVImportError) -> ResultsDocument {
        let statsFile = statsPath(prefix: prefix)
        let rows = try CSVTable.read(statsFile)
        let endpoints = try parseStats(rows, path: statsFile)
        guard let aggregate = endpoints.first(where: { $0.method.isEmpty && $0.name == "Aggregated" }) else {
            throw .missingAggregate(path: statsFile)
        }
        let perEndpoint = endpoints.filter { !($0.method.isEmpty && $0.name == "Aggregated") }

        let historyFile = historyPath(prefix: prefix)
        var timeSeries: [SecondSnapshot] = []
        if FileManager.default.fileExists(atPath: historyFile) {
            timeSeries = try parseHistory(try CSVTable.read(historyFile), path: historyFile)
        }

        // Locust's stats file has no times: use the history's, or estimate from the file's date and the request rate.
        let endedAt: Date
        let startedAt: Date
        if let first = timeSeries.first, let last = timeSeries.last {
            startedAt = Date(timeIntervalSince1970: first.timestamp - 1)
            endedAt = Date(timeIntervalSince1970: last.timestamp)
        } else {
            let modified = (try? FileManager.default.attributesOfItem(atPath: statsFile)[.modificationDate] as? Date) ?? nil
            endedAt = ResultsDocument.wholeMilliseconds(modified ?? Date())
            let estimated = aggregate.rps > 0 ? Double(aggregate.requests) / aggregate.rps : 0
            startedAt = ResultsDocument.wholeMilliseconds(endedAt.addingTimeInterval(-estimated))
        }
        let duration = max(endedAt.timeIntervalSince(startedAt), 0)
        let peakUsers = timeSeries.map(\.users).max() ?? 0
        let load = ResultsDocument.Load(model: "closed", users: peakUsers, spawnRate: 0, duration: duration, thinkTime: nil,
                                        rate: nil, maxConnections: 0, timeout: 0, stages: [])
        let config = ResultsDocument.EffectiveConfig(
            host: host, allowHosts: [], environment: environment, insecure: false, load: load,
            endpoints: perEndpoint.map {
                ResultsDocument.EndpointSettings(name: $0.name, method: $0.method, path: $0.name, headers: [], hasBody: false,
                                                 weight: 1, rate: nil, expectedStatus: [])
            },
            credentials: nil, thresholds: [:], output: "", source: statsFile)
        let document = ResultsDocument(
            schemaVersion: ResultsDocument.currentSchemaVersion, tool: "locust", toolVersion: "unknown",
            status: .completed, stopReason: nil, startedAt: startedAt, endedAt: endedAt, durationSeconds: duration,
            host: host, environment: environment, model: "closed", coordinatedOmissionCorrected: false,
            successRate: aggregate.successRate, p95Latency: aggregate.percentiles[.p95] ?? 0, load: load,
            aggregate: aggregate, endpoints: perEndpoint, failures: [], timeSeries: timeSeries,
            peakUsers: peakUsers, droppedArrivals: 0,
            warnings: ["imported from \(statsFile): " + roundingNote],
            config: config)
        return document
    }

    // MARK: - Stats

    static let statsNumberColumns = [
        "Request Count", "Failure Count", "Median Response Time", "Average Response Time", "Min Response Time",
        "Max Response Time", "Average Content Size", "Requests/s", "Failures/s",
    ]

    static func parseStats(_ table: CSVTable, path: String) throws(LocustCSVImportError) -> [ResultsDocument.Endpoint] {
        let required = ["Type", "Name"] + statsNumberColumns + Percentile.columnHeaders
        let columns = try table.columnIndexes(required, path: path)
        var endpoints: [ResultsDocument.Endpoint] = []
        for row in table.rows {
            let field = try RowReader(row: row, columns: columns, fieldCount: table.header.count, path: path)
            let requests = try field.count("Request Count")
            let failures = try field.count("Failure Count")
            var percentiles: [Percentile: Double] = [:]
            for percentile in Percentile.allCases {
                if let value = try field.optionalNumber(percentile.columnHeader) { percentiles[percentile] = value }
            }
            if requests == 0 { percentiles = [:] }
            let successRate = requests == 0 ? 100 : Double(requests - min(failures, requests)) / Double(requests) * 100
            endpoints.append(ResultsDocument.Endpoint(
                method: field.text("Type"), name: field.text("Name"), requests: requests, failures: failures,
                successRate: successRate, errorRate: requests == 0 ? 0 : Double(failures) * 100 / Double(requests),
                rps: try field.number("Requests/s"), failuresPerSecond: try field.number("Failures/s"),
                minMs: try field.number("Min Response Time"), maxMs: try field.number("Max Response Time"),
                meanMs: try field.number("Average Response Time"),
                medianMs: try field.optionalNumber("Median Response Time") ?? 0,
                percentiles: percentiles, uncorrectedPercentiles: percentiles,
                avgContentSize: try field.number("Average Content Size"), failuresByKind: [:]))
        }
        return endpoints
    }

    // MARK: - History

    /// The `Aggregated` rows of the history (per-endpoint rows exist with `--csv-full-history`; they are skipped).
    static func parseHistory(_ table: CSVTable, path: String) throws(LocustCSVImportError) -> [SecondSnapshot] {
        let percentiles = [Percentile.p50, .p95, .p99].map(\.columnHeader)
        let required = ["Timestamp", "User Count", "Name", "Requests/s", "Failures/s"] + percentiles
            + ["Total Request Count", "Total Failure Count"]
        let columns = try table.columnIndexes(required, path: path)
        var points: [SecondSnapshot] = []
        var firstTimestamp: Double?
        var previousTotals: (requests: UInt64, failures: UInt64) = (0, 0)
        for row in table.rows {
            let field = try RowReader(row: row, columns: columns, fieldCount: table.header.count, path: path)
            guard field.text("Name") == "Aggregated" else { continue }
            let timestamp = try field.number("Timestamp")
            let start = firstTimestamp ?? (timestamp - 1)
            firstTimestamp = start
            let totalRequests = try field.count("Total Request Count")
            let totalFailures = try field.count("Total Failure Count")
            points.append(SecondSnapshot(
                timestamp: timestamp, elapsed: timestamp - start, users: Int(clamping: try field.count("User Count")),
                requests: totalRequests &- min(previousTotals.requests, totalRequests),
                failures: totalFailures &- min(previousTotals.failures, totalFailures),
                requestsPerSecond: try field.number("Requests/s"), failuresPerSecond: try field.number("Failures/s"),
                p50: try field.optionalNumber(Percentile.p50.columnHeader) ?? 0,
                p95: try field.optionalNumber(Percentile.p95.columnHeader) ?? 0,
                p99: try field.optionalNumber(Percentile.p99.columnHeader) ?? 0,
                totalRequests: totalRequests, totalFailures: totalFailures))
            previousTotals = (totalRequests, totalFailures)
        }
        return points
    }

    /// Typed access to one data row's fields by column name, with errors naming file, line and column.
    struct RowReader {
        let row: CSVText.Row
        let columns: [String: Int]
        let path: String

        init(row: CSVText.Row, columns: [String: Int], fieldCount: Int, path: String) throws(LocustCSVImportError) {
            guard row.fields.count == fieldCount else {
                throw .wrongFieldCount(path: path, line: row.line, expected: fieldCount, found: row.fields.count)
            }
            self.row = row
            self.columns = columns
            self.path = path
        }

        func text(_ column: String) -> String {
            guard let index = columns[column], index < row.fields.count else { return "" }
            return row.fields[index]
        }

        func count(_ column: String) throws(LocustCSVImportError) -> UInt64 {
            let value = text(column)
            // Locust writes counts as integers; accept "12.0" from a spreadsheet's re-save too.
            if let integer = UInt64(value) { return integer }
            if let number = Double(value), number >= 0, number.rounded() == number, number < 1e18 { return UInt64(number) }
            throw .invalidValue(path: path, line: row.line, column: column, expected: "a whole number", found: value)
        }

        func number(_ column: String) throws(LocustCSVImportError) -> Double {
            let value = text(column)
            guard let number = Double(value), number.isFinite else {
                throw .invalidValue(path: path, line: row.line, column: column, expected: "a number", found: value)
            }
            return number
        }

        /// Locust writes `N/A` for percentiles of an entry without requests.
        func optionalNumber(_ column: String) throws(LocustCSVImportError) -> Double? {
            let value = text(column)
            if value == "N/A" || value.isEmpty { return nil }
            return try number(column)
        }
    }
}

/// A CSV file split into a header and rows, each row knowing the line it starts on.
struct CSVTable {
    var header: [String]
    var rows: [CSVText.Row]

    static func read(_ path: String) throws(LocustCSVImportError) -> CSVTable {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: FileErrorReason.text(error))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .unreadable(path: path, reason: "not UTF-8 text")
        }
        var rows: [CSVText.Row]
        do {
            rows = try CSVText.parse(text)
        } catch {
            throw .unterminatedQuote(path: path, line: error.line)
        }
        guard !rows.isEmpty else { throw .unreadable(path: path, reason: "the file is empty") }
        let header = rows.removeFirst()
        return CSVTable(header: header.fields.map { $0.trimmingCharacters(in: .whitespaces) }, rows: rows)
    }

    /// Column name to index, for the columns `required` (others are ignored, so newer Locust columns do no harm).
    func columnIndexes(_ required: [String], path: String) throws(LocustCSVImportError) -> [String: Int] {
        var indexes: [String: Int] = [:]
        for column in required {
            guard let index = header.firstIndex(of: column) else { throw .missingColumn(path: path, column: column) }
            indexes[column] = index
        }
        return indexes
    }
}
