import Foundation
import Histogram
import Testing
@testable import LoadOpsKit

/// Runs built by hand for the history tests: latencies we choose, start times we choose.
enum HistoryFixture {
    static let baseTime = Date(timeIntervalSince1970: 1_750_000_000)

    /// `GET /items`: `count` requests at 1...count ms times `scale`; `POST /orders` (unless `withOrders` is false):
    /// 40 requests at 50 ms times `scale`, `orderFailures` of them 503. The open model corrects for
    /// coordinated omission, so the uncorrected histograms differ (they are 10% faster).
    static func run(start: Date = baseTime, scale: Double = 1, count: Int = 100, withOrders: Bool = true,
                    orderFailures: UInt64 = 2, model: LoadModel = .closed, host: String = "http://127.0.0.1:8000") -> RunResult {
        var items = EndpointStatistics(key: EndpointKey(method: "GET", name: "/items"))
        for milliseconds in 1...count {
            record(&items, microseconds: UInt64(Double(milliseconds) * 1000 * scale), open: model == .open)
        }
        var endpoints = [items]
        if withOrders {
            var orders = EndpointStatistics(key: EndpointKey(method: "POST", name: "/orders"))
            for _ in 0..<40 { record(&orders, microseconds: UInt64(50_000 * scale), open: model == .open) }
            orders.failures = orderFailures
            if orderFailures > 0 { orders.failuresByKind = [.httpStatus(503): orderFailures] }
            endpoints.append(orders)
        }
        let config = LoadOpsConfig(
            host: host, environment: "staging",
            load: LoadSettings(model: model, users: 5, spawnRate: 5, duration: 10, rate: model == .open ? 20 : nil),
            endpoints: [EndpointConfig(name: "/items", path: "/items", headers: [("Authorization", "Bearer SECRET123")]),
                        EndpointConfig(name: "/orders", method: "post", path: "/orders", body: "{}")])
        let series = (1...3).map { second in
            SecondSnapshot(timestamp: start.timeIntervalSince1970 + Double(second), elapsed: Double(second), users: 5,
                            requests: 40, failures: 1, requestsPerSecond: 40, failuresPerSecond: 1,
                            p50: 10 * scale, p95: 90 * scale, p99: 99 * scale,
                            totalRequests: UInt64(40 * second), totalFailures: UInt64(second))
        }
        return RunResult(status: .completed, startTime: start, endTime: start.addingTimeInterval(10), config: config,
                         endpoints: endpoints, coordinatedOmissionCorrected: model == .open, timeSeries: series,
                         peakUsers: 5, droppedArrivals: 0, warnings: ["a warning worth keeping"])
    }

    static func record(_ statistics: inout EndpointStatistics, microseconds: UInt64, open: Bool) {
        statistics.requests += 1
        statistics.contentBytes += 100
        _ = statistics.latency.record(microseconds)
        _ = statistics.uncorrected.record(open ? microseconds * 9 / 10 : microseconds)
    }

    static func folder() throws -> String { try TestSupport.temporaryDirectory("loadops-history") }

    static func bytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }
}

@Suite struct HistoryStoreTests {
    @Test func aFreshFileGetsItsFolderTablesWALModeAndSchemaVersion() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/nested/.loadops/history.sqlite"
        do {
            let store = try HistoryStore.open(path: path)
            #expect(FileManager.default.fileExists(atPath: path))
            let tables = Set(try store.tableNames())
            for table in ["runs", "endpoint_stats", "time_series", "histograms", "thresholds", "archives", "run_flows"] {
                #expect(tables.contains(table), "missing table \(table)")
            }
            #expect(try store.schemaVersion() == HistorySchema.version)
            #expect(try store.runs().isEmpty)
            #expect(try store.latestRunID() == nil)
        }
        // Header bytes 18 and 19 are 2 in WAL mode (SQLite file format, "File format version numbers").
        let header = try HistoryFixture.bytes(path)
        #expect(header[18] == 2 && header[19] == 2)
        // Opening again applies nothing twice and keeps what was there.
        let again = try HistoryStore.open(path: path)
        #expect(try again.schemaVersion() == HistorySchema.version)
        #expect(try again.runs().isEmpty)
    }

    @Test func aRecordedRunReadsBackWholeWithItsHistograms() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try HistoryStore.open(path: folder + "/history.sqlite")
        let result = HistoryFixture.run(model: .open, host: "https://ops:hunter2@api.example.test/v1?token=abc")
        let document = ResultsDocument.make(from: result)
        let id = try store.record(result, document: document)

        // Stored whole, except the password and token in the host URL: they never reach the database.
        #expect(try store.document(runID: id) == document.redacted())
        #expect(try store.document(runID: id).host == "https://ops:***@api.example.test/v1?token=***")
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            #expect(bytes.range(of: Data("hunter2".utf8)) == nil, "\(file)")
        }
        let rows = try store.runs(limit: 10)
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row.id == id)
        #expect(row.host == "https://ops:***@api.example.test/v1?token=***")
        #expect(row.source == "loadops")
        #expect(row.status == "completed")
        #expect(row.model == "open" && row.rate == 20 && row.users == 0)
        #expect(row.requests == 140 && row.failures == 2)
        #expect(abs(row.successRate - 138.0 / 140 * 100) < 1e-9)
        #expect(row.p95Milliseconds == document.p95Latency)
        #expect(row.startedAt == document.startedAt)
        #expect(row.configHash.count == 16)
        #expect(try store.run(id: id) == row)
        #expect(try store.run(id: id + 1) == nil)

        let endpoints = try store.endpoints(runID: id)
        #expect(endpoints.map(\.name) == ["Aggregated", "/items", "/orders"])
        #expect(endpoints[0].isAggregate && !endpoints[1].isAggregate)
        #expect(endpoints[1].percentiles == document.endpoints[0].percentiles)
        #expect(endpoints[2].failures == 2)

        #expect(try store.timeSeries(runID: id) == document.timeSeries)

        // Histograms come back equal, so percentiles can be recomputed; uncorrected ones are kept apart.
        let items = try #require(try store.histogram(runID: id, endpoint: "/items", method: "GET"))
        #expect(items == result.endpoints[0].latency)
        let uncorrected = try #require(try store.histogram(runID: id, endpoint: "/items", method: "GET", kind: "uncorrected"))
        #expect(uncorrected == result.endpoints[0].uncorrected)
        #expect(uncorrected.valueAtPercentile(95) < items.valueAtPercentile(95))
        let aggregate = try #require(try store.histogram(runID: id, endpoint: "Aggregated", method: ""))
        #expect(aggregate == result.aggregate.latency)

        // The same configuration gives the same fingerprint; another load does not.
        let twin = try store.record(result, document: document)
        #expect(try store.run(id: twin)?.configHash == row.configHash)
        let other = HistoryFixture.run(model: .closed)
        let otherID = try store.record(other, document: ResultsDocument.make(from: other))
        #expect(try store.run(id: otherID)?.configHash != row.configHash)
        #expect(try store.histogram(runID: otherID, endpoint: "/items", method: "GET", kind: "uncorrected") == nil)
    }

    @Test func thresholdsAndArchivesAreStoredPerRun() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try HistoryStore.open(path: folder + "/history.sqlite")
        let result = HistoryFixture.run()
        let id = try store.record(result, document: ResultsDocument.make(from: result))
        try store.record(thresholds: [(scope: "aggregate", expression: "p95 < 1s", observed: 95, passed: true),
                                      (scope: "/orders", expression: "error_rate < 1%", observed: 5, passed: false),
                                      (scope: "aggregate", expression: "rps > 100", observed: nil, passed: false)], runID: id)
        // Recording again replaces, it does not add.
        try store.record(thresholds: [(scope: "aggregate", expression: "p95 < 1s", observed: 95, passed: true),
                                      (scope: "/orders", expression: "error_rate < 1%", observed: 5, passed: false)], runID: id)
        #expect(try store.thresholds(runID: id) == [
            ThresholdRow(scope: "aggregate", expression: "p95 < 1s", observed: 95, passed: true),
            ThresholdRow(scope: "/orders", expression: "error_rate < 1%", observed: 5, passed: false),
        ])
        try store.recordArchive(runID: id, name: "2025-06-15_staging", path: "archive/2025-06-15_staging")
        #expect(try store.archives(runID: id).map(\.path) == ["archive/2025-06-15_staging"])
        #expect(throws: HistoryError.runNotFound(path: store.path, runID: id + 7)) {
            try store.record(thresholds: [], runID: id + 7)
        }
        #expect(throws: HistoryError.runNotFound(path: store.path, runID: id + 7)) {
            try store.recordArchive(runID: id + 7, name: "x", path: "y")
        }
    }

    @Test func latestAndPreviousFollowStartTimesAndTheLocatorFindsRunsAndFiles() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let databasePath = ".loadops/history.sqlite"
        let store = try HistoryStore.open(path: folder + "/" + databasePath)
        // Recorded out of order: run 3 (an import of older results) started first.
        let starts = [100.0, 200, 50, 300]
        var ids: [Int64] = []
        for (index, offset) in starts.enumerated() {
            let result = HistoryFixture.run(start: HistoryFixture.baseTime.addingTimeInterval(offset), scale: Double(index + 1))
            ids.append(try store.record(result, document: ResultsDocument.make(from: result)))
        }
        #expect(try store.latestRunID() == ids[3])
        #expect(try store.previousRunID(before: ids[3]) == ids[1])
        #expect(try store.previousRunID(before: ids[1]) == ids[0])
        #expect(try store.previousRunID(before: ids[0]) == ids[2])
        #expect(try store.previousRunID(before: ids[2]) == nil)
        #expect(throws: HistoryError.runNotFound(path: store.path, runID: 99)) { try store.previousRunID(before: 99) }
        #expect(try store.runs().map(\.id) == [ids[3], ids[1], ids[0], ids[2]])
        #expect(try store.runs(limit: 2).map(\.id) == [ids[3], ids[1]])

        let latest = try ResultsLocator.resolve("latest", databasePath: databasePath, workingDirectory: folder)
        #expect(latest.runID == ids[3] && latest.label == "run \(ids[3])")
        #expect(latest.document == (try store.document(runID: ids[3])))
        let previous = try ResultsLocator.resolve("previous", databasePath: databasePath, workingDirectory: folder)
        #expect(previous.runID == ids[1])
        let beforeFirst = try ResultsLocator.resolve("previous", databasePath: databasePath, workingDirectory: folder,
                                                     relativeTo: ids[0])
        #expect(beforeFirst.runID == ids[2])
        let byID = try ResultsLocator.resolve(String(ids[2]), databasePath: databasePath, workingDirectory: folder)
        #expect(byID.runID == ids[2] && byID.label == "run \(ids[2])")
        #expect(throws: HistoryError.noPreviousRun(path: folder + "/" + databasePath, runID: ids[2])) {
            try ResultsLocator.resolve("previous", databasePath: databasePath, workingDirectory: folder, relativeTo: ids[2])
        }

        // A file wins over a run id of the same name.
        let baseline = ResultsDocument.make(from: HistoryFixture.run(scale: 9))
        try FileManager.default.createDirectory(atPath: folder + "/baselines", withIntermediateDirectories: true)
        try baseline.encoded().write(to: URL(fileURLWithPath: folder + "/baselines/baseline.json"))
        try baseline.encoded().write(to: URL(fileURLWithPath: folder + "/\(ids[0])"))
        let file = try ResultsLocator.resolve("baselines/baseline.json", databasePath: databasePath, workingDirectory: folder)
        #expect(file.runID == nil && file.label == "baselines/baseline.json" && file.document == baseline)
        let shadowed = try ResultsLocator.resolve(String(ids[0]), databasePath: databasePath, workingDirectory: folder)
        #expect(shadowed.runID == nil && shadowed.document == baseline)

        #expect(throws: HistoryError.self) {
            try ResultsLocator.resolve("baselines/missing.json", databasePath: databasePath, workingDirectory: folder)
        }
        #expect(throws: HistoryError.runNotFound(path: folder + "/" + databasePath, runID: 77)) {
            try ResultsLocator.resolve("77", databasePath: databasePath, workingDirectory: folder)
        }
    }

    @Test func readingAMissingDatabaseIsAnErrorAndCreatesNothing() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/.loadops/history.sqlite"
        #expect(throws: HistoryError.databaseMissing(path: path)) {
            try ResultsLocator.resolve("latest", databasePath: ".loadops/history.sqlite", workingDirectory: folder)
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/.loadops"))
        let empty = try HistoryStore.open(path: path)
        #expect(throws: HistoryError.noRuns(path: path)) {
            try ResultsLocator.resolve("latest", databasePath: path, workingDirectory: "/")
        }
        _ = empty
    }

    // MARK: - Files that must be left alone

    @Test func aFileThatIsNotSQLiteIsRefusedAndLeftUntouched() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/history.sqlite"
        let original = Data(String(repeating: "these are my notes, not a database\n", count: 20).utf8)
        try original.write(to: URL(fileURLWithPath: path))
        do {
            _ = try HistoryStore.open(path: path)
            Issue.record("a text file was opened as a history")
        } catch {
            #expect(error == .notADatabase(path: path))
            #expect(error.description.contains(path) && error.description.contains("not an SQLite database"))
        }
        #expect(try HistoryFixture.bytes(path) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["history.sqlite"])
        #expect(throws: HistoryError.notADatabase(path: path)) {
            try ResultsLocator.resolve("latest", databasePath: path, workingDirectory: folder)
        }
        #expect(try HistoryFixture.bytes(path) == original)
    }

    @Test func aCorruptedDatabaseIsRefusedAndLeftUntouched() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/history.sqlite"
        do {
            let store = try HistoryStore.open(path: path)
            for scale in 1...5 {
                let result = HistoryFixture.run(scale: Double(scale))
                try store.record(result, document: ResultsDocument.make(from: result))
            }
        }
        // Keep the header page, overwrite the pages after it with a pattern no b-tree page has.
        var bytes = try HistoryFixture.bytes(path)
        #expect(bytes.count > 4 * 4096)
        for index in 4096..<bytes.count { bytes[index] = index % 2 == 0 ? 0xA5 : 0x5A }
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            _ = try HistoryStore.open(path: path)
            Issue.record("a damaged database was opened")
        } catch {
            guard case .corrupted(let reported, _) = error else {
                Issue.record("expected .corrupted, got \(error)")
                return
            }
            #expect(reported == path)
            #expect(error.description.contains("damaged") && error.description.contains(path))
        }
        #expect(try HistoryFixture.bytes(path) == bytes)
    }

    @Test func aDatabaseFromANewerLoadopsIsRefusedAndLeftUntouched() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/history.sqlite"
        do {
            let store = try HistoryStore.open(path: path)
            let result = HistoryFixture.run()
            try store.record(result, document: ResultsDocument.make(from: result))
        }
        // What a newer loadops would leave: `PRAGMA user_version` (header offset 60, big-endian) at 7.
        var bytes = try HistoryFixture.bytes(path)
        bytes.replaceSubrange(60..<64, with: [0, 0, 0, 7])
        try bytes.write(to: URL(fileURLWithPath: path))
        do {
            _ = try HistoryStore.open(path: path)
            Issue.record("a newer schema was opened")
        } catch {
            #expect(error == .newerSchema(path: path, found: 7, supported: HistorySchema.version))
            #expect(error.description.contains("newer") && error.description.contains(path))
        }
        #expect(try HistoryFixture.bytes(path) == bytes)
    }

    // MARK: - Trend

    @Test func trendFollowsAMetricAcrossRunsOldestFirst() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try HistoryStore.open(path: folder + "/history.sqlite")
        var documents: [ResultsDocument] = []
        for index in 0..<5 {
            // Run 3 (index 2) has no /orders endpoint.
            let result = HistoryFixture.run(start: HistoryFixture.baseTime.addingTimeInterval(Double(index) * 60),
                                            scale: 1 + Double(index) / 2, withOrders: index != 2, orderFailures: UInt64(index))
            let document = ResultsDocument.make(from: result)
            try store.record(result, document: document)
            documents.append(document)
        }
        let p95 = try store.trend(metric: .p95, last: 10)
        #expect(p95.map(\.runID) == [1, 2, 3, 4, 5])
        #expect(p95.map(\.value) == documents.map { $0.aggregate.percentiles[.p95] })
        #expect(p95.map(\.requests) == documents.map(\.aggregate.requests))

        let lastTwo = try store.trend(metric: .p99, last: 2)
        #expect(lastTwo.map(\.runID) == [4, 5])
        #expect(lastTwo.map(\.value) == documents.suffix(2).map { $0.aggregate.percentiles[.p99] })

        let orders = try store.trend(metric: .errorRate, endpoint: "/orders")
        let expectedErrorRates: [Double?] = [0, 2.5, nil, 7.5, 10]
        #expect(orders.map(\.value) == expectedErrorRates)
        let success = try store.trend(metric: .successRate, endpoint: "POST /orders")
        let expectedSuccessRates: [Double?] = [100, 97.5, nil, 92.5, 90]
        #expect(success.map(\.value) == expectedSuccessRates)
        let rps = try store.trend(metric: .rps)
        #expect(rps.map(\.value) == documents.map { $0.aggregate.rps })

        #expect(throws: HistoryError.self) { try store.trend(metric: .p95, endpoint: "/nowhere") }

        let text = HistoryReport.trend(orders, metric: .errorRate, endpoint: "/orders", timeZone: TimeZone(identifier: "UTC")!)
        #expect(text.contains("error_rate of endpoint /orders, last 5 runs"))
        #expect(text.contains("▁▃ ▆█"))
        #expect(text.contains("2.5"))
    }

    @Test func sparklineScalesBetweenTheSmallestAndLargestValue() {
        #expect(HistoryReport.sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█")
        #expect(HistoryReport.sparkline([1, nil, 8, 4.5]) == "▁ █▅")
        #expect(HistoryReport.sparkline([3, 3, 3]) == "▄▄▄")
        #expect(HistoryReport.sparkline([nil, nil]) == "  ")
        #expect(HistoryReport.sparkline([]) == "")
    }
}

@Suite struct HistoryHistogramCodingTests {
    /// Latencies spread like real ones: log-normal around `medianMilliseconds`, a tail up to a few seconds.
    static func realistic(samples: Int, seed: UInt64, medianMilliseconds: Double = 20, sigma: Double = 0.6) -> LatencyHistogram {
        var histogram = LatencyHistograms.make()
        var state = seed
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (Double(state >> 11) + 0.5) / Double(UInt64(1) << 53)
        }
        for _ in 0..<samples {
            let normal = (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
            let microseconds = medianMilliseconds * 1000 * exp(sigma * normal)
            histogram.record(min(UInt64(microseconds), LatencyHistograms.highestTrackableMicroseconds))
        }
        return histogram
    }

    @Test(arguments: [1, 10, 10_000, 200_000])
    func decodingGivesBackAnEqualHistogramAndItsPercentiles(samples: Int) throws {
        let original = Self.realistic(samples: samples, seed: UInt64(samples))
        let data = HistogramCoding.encode(original)
        let decoded = try HistogramCoding.decode(data)
        #expect(decoded == original)
        #expect(decoded.totalCount == original.totalCount)
        #expect(decoded.min == original.min)
        #expect(decoded.maxRecorded == original.maxRecorded)
        #expect(decoded.mean == original.mean)
        for percentile in Percentile.allCases {
            #expect(decoded.valueAtPercentile(percentile.percent) == original.valueAtPercentile(percentile.percent))
        }
        // Decoded histograms merge like the originals.
        var merged = decoded
        merged.add(original)
        #expect(merged.totalCount == 2 * original.totalCount)
        #expect(merged.valueAtPercentile(99) == original.valueAtPercentile(99))
    }

    @Test func theEncodingIsFarSmallerThanTheCodableCountsArray() throws {
        let histogram = Self.realistic(samples: 200_000, seed: 42)
        let compact = HistogramCoding.encode(histogram)
        let codable = try JSONEncoder().encode(histogram)
        #expect(codable.count > 35_000)
        #expect(compact.count < 8_000, "compact encoding is \(compact.count) bytes")
        #expect(compact.count * 5 < codable.count)
        // Even a spread over five decades (every bucket from 0.1 ms to 10 s busy) stays below the dense form.
        let wide = Self.realistic(samples: 400_000, seed: 3, medianMilliseconds: 30, sigma: 2.2)
        let wideCompact = HistogramCoding.encode(wide)
        #expect(try HistogramCoding.decode(wideCompact) == wide)
        #expect(wideCompact.count < (try JSONEncoder().encode(wide)).count)
        let empty = HistogramCoding.encode(LatencyHistograms.make())
        #expect(empty.count < 16)
        #expect(try HistogramCoding.decode(empty) == LatencyHistograms.make())
    }

    @Test func aSingleValueKeepsItsExactMinimumAndMaximum() throws {
        var histogram = LatencyHistograms.make()
        histogram.record(123_456, count: 3)
        histogram.record(123_499)
        let decoded = try HistogramCoding.decode(HistogramCoding.encode(histogram))
        #expect(decoded == histogram)
        #expect(decoded.min == 123_456 && decoded.maxRecorded == 123_499)
    }

    @Test func damagedDataIsReportedNotTrusted() {
        let data = HistogramCoding.encode(Self.realistic(samples: 1000, seed: 7))
        #expect(throws: HistoryError.self) { try HistogramCoding.decode(data.prefix(data.count - 1)) }
        #expect(throws: HistoryError.self) { try HistogramCoding.decode(data + Data([1])) }
        #expect(throws: HistoryError.self) { try HistogramCoding.decode(Data([9, 1, 2])) }
        #expect(throws: HistoryError.self) { try HistogramCoding.decode(Data()) }
    }
}
