import Foundation
import Testing
@testable import LoadOpsKit

/// A run built by hand, with latencies we know, so every written figure can be checked.
enum ResultsFixture {
    static let commaName = "/search?q=a,\"b\""
    static let start = Date(timeIntervalSince1970: 1_700_000_000.25)

    /// `/items`: 100 GETs at 1, 2, ..., 100 ms, 500 bytes each, no failures.
    /// `commaName`: 50 POSTs at 200 ms, 7 answered 503 and 3 timed out.
    /// The run lasts 10 s.
    static func run() -> RunResult {
        var items = EndpointStatistics(key: EndpointKey(method: "GET", name: "/items"))
        for milliseconds in 1...100 {
            record(&items, microseconds: UInt64(milliseconds) * 1000, bytes: 500)
        }
        var search = EndpointStatistics(key: EndpointKey(method: "POST", name: commaName))
        for _ in 0..<50 { record(&search, microseconds: 200_000, bytes: 0) }
        search.failures = 10
        search.failuresByKind = [.httpStatus(503): 7, .timeout: 3]

        let config = LoadOpsConfig(
            host: "http://127.0.0.1:8000",
            environment: "test",
            load: LoadSettings(model: .closed, users: 5, spawnRate: 5, duration: 10, thinkTime: 0.5...1.5, timeout: 5),
            endpoints: [
                EndpointConfig(name: "/items", path: "/items", headers: [("Authorization", "Bearer SECRET123"), ("Accept", "application/json")]),
                EndpointConfig(name: commaName, method: "post", path: "/search", body: "{\"password\":\"hunter2\"}"),
            ],
            credentials: .basicFile(path: "/etc/loadops/keys.txt"),
            thresholds: ["aggregate": ["p95 < 500ms"]]
        )
        let series = [
            SecondSnapshot(timestamp: start.timeIntervalSince1970 + 1, elapsed: 1, users: 5, requests: 0, failures: 0,
                            requestsPerSecond: 0, failuresPerSecond: 0, p50: 0, p95: 0, p99: 0, totalRequests: 0, totalFailures: 0),
            SecondSnapshot(timestamp: start.timeIntervalSince1970 + 2.7, elapsed: 2.7, users: 5, requests: 100, failures: 4,
                            requestsPerSecond: 100, failuresPerSecond: 4, p50: 12.4, p95: 150.6, p99: 199.2, totalRequests: 100, totalFailures: 4),
            SecondSnapshot(timestamp: start.timeIntervalSince1970 + 10, elapsed: 10, users: 5, requests: 50, failures: 6,
                            requestsPerSecond: 50, failuresPerSecond: 6, p50: 60, p95: 200, p99: 200, totalRequests: 150, totalFailures: 10),
        ]
        return RunResult(status: .completed, startTime: start, endTime: start.addingTimeInterval(10), config: config,
                         endpoints: [items, search], coordinatedOmissionCorrected: false, timeSeries: series,
                         peakUsers: 5, droppedArrivals: 0, warnings: ["429 Too Many Requests seen: the load may be throttled"])
    }

    static func record(_ statistics: inout EndpointStatistics, microseconds: UInt64, bytes: UInt64) {
        statistics.requests += 1
        statistics.contentBytes += bytes
        _ = statistics.latency.record(microseconds)
        _ = statistics.uncorrected.record(microseconds)
    }

    /// A path for a new folder (not created); removed when the tests exit if a test leaves it
    /// (`written()` removes only the `nested/reports` inside it).
    static func temporaryFolder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loadops-results-\(UUID().uuidString)").path
        TemporaryFolders.shared.add(path)
        return path
    }
}

/// Within HdrHistogram's 3 significant digits.
private func close(_ value: Double, _ expected: Double) -> Bool {
    abs(value - expected) <= max(abs(expected) * 0.001, 0.001)
}

@Suite struct ResultsWriterTests {
    private func written() throws -> (folder: String, paths: [String]) {
        let folder = ResultsFixture.temporaryFolder() + "/nested/reports"
        let paths = try ResultsWriter.write(ResultsFixture.run(), to: folder)
        return (folder, paths)
    }

    private func readText(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test func writesTheFourLocustFilesAndResultsJSON() throws {
        let (folder, paths) = try written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(paths.map { ($0 as NSString).lastPathComponent } == [
            "load_test_stats.csv", "load_test_stats_history.csv", "load_test_failures.csv", "load_test_exceptions.csv", "results.json",
        ])
        for path in paths { #expect(FileManager.default.fileExists(atPath: path)) }
        // No temporary files are left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func statsCSVHasLocustColumnsFiguresAndAggregatedRowLast() throws {
        let (folder, paths) = try written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let text = try readText(paths[0])
        #expect(text.hasPrefix("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\r\n"))
        #expect(text.hasSuffix("\r\n"))
        let rows = try CSVText.parse(text).map(\.fields)
        #expect(rows.count == 4)
        let header = rows[0]
        func column(_ row: [String], _ name: String) -> String {
            guard let index = header.firstIndex(of: name), index < row.count else { return "(missing \(name))" }
            return row[index]
        }
        for row in rows { #expect(row.count == 22) }

        let items = rows[1]
        #expect(items[0] == "GET" && items[1] == "/items")
        #expect(column(items, "Request Count") == "100")
        #expect(column(items, "Failure Count") == "0")
        #expect(column(items, "Median Response Time") == "50")
        #expect(close(Double(column(items, "Average Response Time")) ?? -1, 50.5))
        #expect(column(items, "Min Response Time") == "1.0")
        #expect(column(items, "Max Response Time") == "100.0")
        #expect(column(items, "Average Content Size") == "500.0")
        #expect(column(items, "Requests/s") == "10.0")
        #expect(column(items, "Failures/s") == "0.0")
        #expect(column(items, "90%") == "90")
        #expect(column(items, "95%") == "95")
        #expect(column(items, "99.99%") == "100")
        #expect(column(items, "100%") == "100")

        let search = rows[2]
        #expect(search[0] == "POST" && search[1] == ResultsFixture.commaName)
        #expect(column(search, "Failure Count") == "10")
        #expect(column(search, "Failures/s") == "1.0")
        #expect(column(search, "Average Content Size") == "0.0")
        // The name holding a comma and quotes is quoted, its quotes doubled, as Python's csv module does.
        #expect(text.contains("\r\nPOST,\"/search?q=a,\"\"b\"\"\",50,10,200,"))

        let aggregated = rows[3]
        #expect(aggregated[0] == "" && aggregated[1] == "Aggregated")
        #expect(column(aggregated, "Request Count") == "150")
        #expect(column(aggregated, "Failure Count") == "10")
        #expect(column(aggregated, "Median Response Time") == "75")
        #expect(column(aggregated, "95%") == "200")
        #expect(column(aggregated, "Requests/s") == "15.0")
        #expect(text.hasSuffix(",200\r\n"))
    }

    @Test func anEndpointWithoutRequestsGetsLocustsZerosAndNA() throws {
        var run = ResultsFixture.run()
        run.endpoints.append(EndpointStatistics(key: EndpointKey(method: "DELETE", name: "/unused")))
        let rows = try CSVText.parse(LocustCSVWriter.stats(run)).map(\.fields)
        let unused = rows.first { $0.count > 1 && $0[1] == "/unused" }
        #expect(unused.map { Array($0[2...10]) } == ["0", "0", "0", "0.0", "0", "0", "0", "0.0", "0.0"])
        #expect(unused.map { Array($0[11...]) } == Array(repeating: "N/A", count: 11))
    }

    @Test func statsHistoryHasOneAggregatedRowPerPoint() throws {
        let (folder, paths) = try written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let rows = try CSVText.parse(readText(paths[1])).map(\.fields)
        #expect(rows.first == LocustCSVWriter.statsHistoryColumns)
        #expect(rows.count == 4)
        let header = rows[0]
        func column(_ row: [String], _ name: String) -> String {
            guard let index = header.firstIndex(of: name), index < row.count else { return "(missing \(name))" }
            return row[index]
        }
        let empty = rows[1], busy = rows[2], last = rows[3]
        #expect(column(empty, "Timestamp") == "1700000001")
        #expect(column(empty, "50%") == "N/A")
        #expect(Array(empty[17...]) == ["0", "0", "0", "0.0", "0", "0", "0"])

        #expect(column(busy, "Timestamp") == "1700000002")
        #expect(column(busy, "User Count") == "5")
        #expect(column(busy, "Type") == "" && column(busy, "Name") == "Aggregated")
        #expect(column(busy, "Requests/s") == "100.000000")
        #expect(column(busy, "Failures/s") == "4.000000")
        #expect(column(busy, "50%") == "12")
        #expect(column(busy, "66%") == "N/A")
        #expect(column(busy, "95%") == "151")
        #expect(column(busy, "99%") == "199")
        #expect(column(busy, "Total Request Count") == "100")
        #expect(column(busy, "Total Median Response Time") == "N/A")

        // The last point's totals are the run's: the whole-run figures are known there.
        #expect(column(last, "Total Request Count") == "150")
        #expect(column(last, "Total Failure Count") == "10")
        #expect(column(last, "Total Median Response Time") == "75")
        #expect(column(last, "Total Max Response Time") == "200.0")
        for row in rows { #expect(row.count == 24) }
    }

    @Test func failuresCSVHasOneRowPerEndpointAndKind() throws {
        let (folder, paths) = try written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let rows = try CSVText.parse(readText(paths[2])).map(\.fields)
        #expect(rows == [
            ["Method", "Name", "Error", "Occurrences", "First Seen", "Last Seen"],
            ["POST", ResultsFixture.commaName, "HTTPError: 503 Service Unavailable", "7", "", ""],
            ["POST", ResultsFixture.commaName, "Timeout: no response within the request timeout", "3", "", ""],
        ])
        #expect(try readText(paths[3]) == "Count,Message,Traceback,Nodes\r\n")
    }

    @Test func resultsJSONCarriesTheFiguresTheGuideReads() throws {
        let (folder, paths) = try written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let data = try Data(contentsOf: URL(fileURLWithPath: paths[4]))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["success_rate"] as? Double == 140.0 / 150.0 * 100)
        #expect(close(json["p95_latency"] as? Double ?? -1, 200))
        #expect(json["schema_version"] as? Int == 1)
        #expect(json["tool"] as? String == "loadops")
        #expect(json["status"] as? String == "completed")
        #expect(json["started_at"] as? String == "2023-11-14T22:13:20.250Z")
        #expect(json["duration_seconds"] as? Double == 10)
        #expect(json["model"] as? String == "closed")

        let endpoints = try #require(json["endpoints"] as? [[String: Any]])
        #expect(endpoints.count == 2)
        #expect(endpoints[0]["requests"] as? Int == 100)
        #expect(endpoints[0]["rps"] as? Double == 10)
        let percentiles = try #require(endpoints[0]["percentiles"] as? [String: Double])
        #expect(Set(percentiles.keys) == ["50", "66", "75", "80", "90", "95", "98", "99", "99.9", "99.99", "100"])
        #expect(close(percentiles["95"] ?? -1, 95))
        #expect(close(percentiles["99.9"] ?? -1, 100))
        #expect(endpoints[1]["failures_by_kind"] as? [String: Int] == ["http_503": 7, "timeout": 3])
        #expect(endpoints[1]["error_rate"] as? Double == 20)
        let aggregate = try #require(json["aggregate"] as? [String: Any])
        #expect(aggregate["name"] as? String == "Aggregated")
        #expect(aggregate["requests"] as? Int == 150)
        #expect((json["time_series"] as? [Any])?.count == 3)
        #expect((json["failures"] as? [Any])?.count == 2)

        // The effective config names where secrets live, never the secrets.
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("SECRET123"))
        #expect(!text.contains("hunter2"))
        let config = try #require(json["config"] as? [String: Any])
        #expect(config["credentials"] as? [String: String] == ["kind": "basic_file", "path": "/etc/loadops/keys.txt"])
        // Stable output: sorted keys, pretty printed.
        let aggregatePosition = try #require(text.range(of: "\"aggregate\""))
        let configPosition = try #require(text.range(of: "\"config\""))
        #expect(aggregatePosition.lowerBound < configPosition.lowerBound)
        #expect(text.contains("\n  \"p95_latency\" : "))
    }

    @Test func resultsJSONRoundTrips() throws {
        let (folder, paths) = try written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let document = try ResultsDocument.load(from: paths[4])
        #expect(document == ResultsDocument.make(from: ResultsFixture.run()))
        #expect(document.endpoints[1].name == ResultsFixture.commaName)
        #expect(document.config.credentials == ResultsDocument.Credentials(kind: "basic_file", path: "/etc/loadops/keys.txt", variable: nil))
        #expect(document.config.endpoints[0].headers[0] == ResultsDocument.Header(name: "Authorization", value: "[redacted]"))
        #expect(document.config.endpoints[0].headers[1] == ResultsDocument.Header(name: "Accept", value: "application/json"))
        #expect(document.config.load.thinkTime == ResultsDocument.ThinkTime(min: 0.5, max: 1.5))
        #expect(try document.encoded() == Data(contentsOf: URL(fileURLWithPath: paths[4])))
    }

    /// Writes `results.json` after `edit` changed its JSON object, and loads it.
    private func loadEdited(_ edit: (inout [String: Any]) -> Void) throws -> Result<ResultsDocument, ResultsDocumentError> {
        let (folder, paths) = try written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: paths[4]))) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: paths[4]))
        return Result { () throws(ResultsDocumentError) in try ResultsDocument.load(from: paths[4]) }
    }

    @Test func aWrongFieldIsNamedWithItsPath() throws {
        let result = try loadEdited { json in
            var endpoints = json["endpoints"] as? [[String: Any]] ?? []
            endpoints[1]["requests"] = "many"
            json["endpoints"] = endpoints
        }
        guard case .failure(let error) = result, case .malformed(let path, let field, let reason) = error else {
            Issue.record("expected a malformed-field error, got \(result)")
            return
        }
        #expect(path.hasSuffix("results.json"))
        #expect(field == "endpoints[1].requests")
        #expect(reason.contains("integer"))
        #expect(error.description.contains("results.json: field `endpoints[1].requests`: expected an integer"))
    }

    @Test func aMissingFieldIsNamed() throws {
        let result = try loadEdited { json in json["p95_latency"] = nil }
        guard case .failure(.malformed(_, let field, let reason)) = result else {
            Issue.record("expected a malformed-field error, got \(result)")
            return
        }
        #expect(field == "p95_latency")
        #expect(reason == "required field is missing")
    }

    @Test func aNestedPercentileOfTheWrongTypeIsNamed() throws {
        let result = try loadEdited { json in
            var aggregate = json["aggregate"] as? [String: Any] ?? [:]
            aggregate["percentiles"] = ["99.9": "slow"]
            json["aggregate"] = aggregate
        }
        guard case .failure(.malformed(_, let field, _)) = result else {
            Issue.record("expected a malformed-field error, got \(result)")
            return
        }
        #expect(field == "aggregate.percentiles[\"99.9\"]")
    }

    @Test func aBadDateAndANewerSchemaAreReported() throws {
        let badDate = try loadEdited { json in json["started_at"] = "yesterday" }
        guard case .failure(.malformed(_, let field, let reason)) = badDate else {
            Issue.record("expected a malformed-field error, got \(badDate)")
            return
        }
        #expect(field == "started_at")
        #expect(reason.contains("ISO 8601"))

        let newer = try loadEdited { json in json["schema_version"] = 7 }
        guard case .failure(.unsupportedSchemaVersion(_, 7)) = newer else {
            Issue.record("expected an unsupported-version error, got \(newer)")
            return
        }
    }

    @Test func textThatIsNotJSONAndAMissingFileAreReported() throws {
        let folder = ResultsFixture.temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/baseline.json"
        try Data("{\"success_rate\": 99.5,".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try ResultsDocument.load(from: path)
            Issue.record("a truncated file was accepted")
        } catch {
            guard case .malformed(path, nil, let reason) = error else {
                Issue.record("expected a not-JSON error, got \(error)")
                return
            }
            #expect(reason.hasPrefix("not valid JSON"))
        }
        do {
            _ = try ResultsDocument.load(from: folder + "/absent.json")
            Issue.record("a missing file was accepted")
        } catch {
            guard case .unreadable(let errorPath, _) = error else {
                Issue.record("expected an unreadable-file error, got \(error)")
                return
            }
            #expect(errorPath.hasSuffix("absent.json"))
            #expect(error.description.contains("absent.json"))
        }
    }

    @Test func writingIntoAFileInsteadOfAFolderFailsWithThePath() throws {
        let folder = ResultsFixture.temporaryFolder()
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let blocker = folder + "/reports"
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: blocker))
        #expect(throws: ResultsWriteError(path: blocker, reason: "it exists and is not a folder")) {
            try ResultsWriter.write(ResultsFixture.run(), to: blocker)
        }
    }

    @Test func rewritingReplacesEveryFileWhole() throws {
        let (folder, _) = try written()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var shorter = ResultsFixture.run()
        shorter.endpoints.removeLast()
        shorter.timeSeries = []
        let paths = try ResultsWriter.write(shorter, to: folder)
        #expect(try CSVText.parse(readText(paths[0])).map(\.fields).count == 3)
        #expect(try readText(paths[1]) == LocustCSVWriter.statsHistoryColumns.joined(separator: ",") + "\r\n")
        #expect(try ResultsDocument.load(from: paths[4]).endpoints.count == 1)
    }

    @Test func summaryTextIsAlignedPlainASCII() {
        let text = RunSummaryText.render(ResultsFixture.run())
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "\n" || $0.value >= 0x20) })
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("Run completed after 10.0 s against http://127.0.0.1:8000"))
        #expect(lines[0].contains("150 requests, 93.33% succeeded, p95 200 ms"))

        // Each table: from its header to the blank line, every line ends in the same column
        // (the last column is right-aligned).
        for title in ["Requests (response times in ms)", "Response time percentiles (ms)"] {
            guard let start = lines.firstIndex(of: title) else {
                Issue.record("no table titled \(title) in\n\(text)")
                continue
            }
            let table = lines[(start + 1)...].prefix { !$0.isEmpty }
            #expect(table.count == 6)  // header, dashes, 2 endpoints, dashes, Aggregated
            #expect(Set(table.map(\.count)).count == 1, "misaligned table:\n\(table.joined(separator: "\n"))")
        }
        #expect(text.contains("POST  /search?q=a,\"b\""))
        #expect(text.contains("10(20.00%)"))
        #expect(lines.contains { $0.hasPrefix("            7  POST  /search?q=a,\"b\"") && $0.hasSuffix("HTTPError: 503 Service Unavailable") })
        #expect(text.contains("- 429 Too Many Requests seen"))
    }
}
