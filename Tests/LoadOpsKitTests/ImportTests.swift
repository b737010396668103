import Foundation
import Testing
@testable import LoadOpsKit

/// Locust `--csv` files written by hand in Locust 2.x's format (CRLF, `N/A`, quoting, `Aggregated` last).
enum LocustCSVFixture {
    static let statsHeader = "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        + "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        + "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"

    static let stats = [
        statsHeader,
        "GET,/items,1000,10,42,48.71234,3.1,1310.5,512.0,16.66,0.166,42,51,58,63,78,110,180,250,900,1300,1300",
        "POST,\"/search?q=a,b\",200,0,120,131.5,20.2,820.0,128.0,3.33,0.0,120,130,140,150,180,210,260,310,820,820,820",
        "DELETE,/items/{id},0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
        ",Aggregated,1200,10,47,62.51,3.1,1310.5,448.0,19.99,0.166,47,58,66,72,100,140,210,280,900,1300,1300",
    ].joined(separator: "\r\n") + "\r\n"

    static let historyHeader = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
        + "99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,"
        + "Total Min Response Time,Total Max Response Time,Total Average Content Size"

    static let history = [
        historyHeader,
        "1750100001,10,,Aggregated,0.000000,0.000000,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0.0,0,0,0",
        "1750100002,20,,Aggregated,18.000000,0.000000,45,50,60,70,90,130,200,250,300,300,300,600,4,45,60.0,3.1,300.0,448.0",
        "1750100002,20,GET,/items,15.000000,0.000000,40,50,60,70,90,130,200,250,300,300,300,500,4,45,60.0,3.1,300.0,448.0",
        "1750100003,20,,Aggregated,20.000000,0.500000,47,58,66,72,100,140,210,280,900,1300,1300,1200,10,47,62.51,3.1,1310.5,448.0",
    ].joined(separator: "\r\n") + "\r\n"

    /// Writes `PREFIX_stats.csv` (and the history when asked) into `folder`; returns the prefix.
    static func write(in folder: String, stats: String = stats, history: String? = history) throws -> String {
        let prefix = folder + "/locust"
        try Data(stats.utf8).write(to: URL(fileURLWithPath: prefix + "_stats.csv"))
        if let history { try Data(history.utf8).write(to: URL(fileURLWithPath: prefix + "_stats_history.csv")) }
        return prefix
    }
}

@Suite struct ImportTests {
    @Test func aLocustCSVBecomesAResultsDocument() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let prefix = try LocustCSVFixture.write(in: folder)
        let document = try LocustCSVImporter.document(prefix: prefix, host: "https://api.example.test", environment: "staging")

        #expect(document.tool == "locust")
        #expect(document.host == "https://api.example.test" && document.environment == "staging")
        #expect(document.endpoints.map(\.name) == ["/items", "/search?q=a,b", "/items/{id}"])
        #expect(document.endpoints.map(\.method) == ["GET", "POST", "DELETE"])
        let items = document.endpoints[0]
        #expect(items.requests == 1000 && items.failures == 10)
        #expect(items.successRate == 99 && items.errorRate == 1)
        #expect(items.percentiles[.p95] == 110 && items.percentiles[.p99_9] == 900 && items.percentiles.count == 11)
        #expect(items.meanMs == 48.71234 && items.minMs == 3.1 && items.maxMs == 1310.5 && items.medianMs == 42)
        #expect(items.rps == 16.66 && items.avgContentSize == 512)
        #expect(document.endpoints[2].percentiles.isEmpty && document.endpoints[2].successRate == 100)

        #expect(document.aggregate.name == "Aggregated" && document.aggregate.method.isEmpty)
        #expect(document.aggregate.requests == 1200)
        #expect(document.p95Latency == 140)
        #expect(abs(document.successRate - 1190.0 / 1200 * 100) < 1e-9)

        // The history's Aggregated rows only; per-interval counts from the running totals.
        #expect(document.timeSeries.count == 3)
        #expect(document.timeSeries.map(\.requests) == [0, 600, 600])
        #expect(document.timeSeries.map(\.failures) == [0, 4, 6])
        #expect(document.timeSeries.map(\.elapsed) == [1, 2, 3])
        #expect(document.timeSeries[2].p95 == 140 && document.timeSeries[0].p95 == 0)
        #expect(document.peakUsers == 20)
        #expect(document.startedAt == Date(timeIntervalSince1970: 1_750_100_000))
        #expect(document.durationSeconds == 3)
        #expect(document.warnings.contains { $0.contains("rounded") && $0.contains("approximate") })

        // It records and reads back like any run.
        let store = try HistoryStore.open(path: folder + "/history.sqlite")
        let id = try store.record(imported: document, source: RunSource.importedLocustCSV)
        #expect(try store.document(runID: id) == document)
        #expect(try store.run(id: id)?.source == "import:locust-csv")
        #expect(try store.histogram(runID: id, endpoint: "Aggregated", method: "") == nil)
        #expect(try store.trend(metric: .p95, endpoint: "/items").map(\.value) == [110])
    }

    @Test func withoutAHistoryTheDurationComesFromTheRequestRate() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let prefix = try LocustCSVFixture.write(in: folder, history: nil)
        let document = try LocustCSVImporter.document(prefix: prefix)
        #expect(document.timeSeries.isEmpty)
        #expect(abs(document.durationSeconds - 1200 / 19.99) < 0.01)
    }

    @Test func malformedLocustCSVNamesFileLineAndColumn() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var lines = LocustCSVFixture.stats.components(separatedBy: "\r\n")
        lines[2] = lines[2].replacingOccurrences(of: "POST,\"/search?q=a,b\",200,", with: "POST,\"/search?q=a,b\",two hundred,")
        let prefix = try LocustCSVFixture.write(in: folder, stats: lines.joined(separator: "\r\n"))
        let path = prefix + "_stats.csv"
        #expect(throws: LocustCSVImportError.invalidValue(path: path, line: 3, column: "Request Count",
                                                          expected: "a whole number", found: "two hundred")) {
            try LocustCSVImporter.document(prefix: prefix)
        }
        let message = LocustCSVImportError.invalidValue(path: path, line: 3, column: "Request Count",
                                                        expected: "a whole number", found: "two hundred").description
        #expect(message.hasPrefix("\(path):3: column `Request Count`"))

        _ = try LocustCSVFixture.write(in: folder, stats: LocustCSVFixture.statsHeader + "\r\nGET,/x,1,0\r\n")
        #expect(throws: LocustCSVImportError.wrongFieldCount(path: path, line: 2, expected: 22, found: 4)) {
            try LocustCSVImporter.document(prefix: prefix)
        }
        let withoutP95 = LocustCSVFixture.stats.replacingOccurrences(of: ",95%,", with: ",95 percent,")
        _ = try LocustCSVFixture.write(in: folder, stats: withoutP95)
        #expect(throws: LocustCSVImportError.missingColumn(path: path, column: "95%")) {
            try LocustCSVImporter.document(prefix: prefix)
        }
        let withoutAggregate = LocustCSVFixture.stats.components(separatedBy: "\r\n").filter { !$0.contains("Aggregated") }
        _ = try LocustCSVFixture.write(in: folder, stats: withoutAggregate.joined(separator: "\r\n"))
        #expect(throws: LocustCSVImportError.missingAggregate(path: path)) { try LocustCSVImporter.document(prefix: prefix) }

        var history = LocustCSVFixture.history.components(separatedBy: "\r\n")
        history[3] = history[3].replacingOccurrences(of: ",GET,/items,15.000000,", with: ",GET,/items,fast,")
        _ = try LocustCSVFixture.write(in: folder, history: history.joined(separator: "\r\n"))
        // Per-endpoint history rows are skipped, so only a bad Aggregated row matters.
        #expect(try LocustCSVImporter.document(prefix: prefix).timeSeries.count == 3)
        history[4] = history[4].replacingOccurrences(of: "1750100003,20,", with: "1750100003,twenty,")
        _ = try LocustCSVFixture.write(in: folder, history: history.joined(separator: "\r\n"))
        #expect(throws: LocustCSVImportError.invalidValue(path: prefix + "_stats_history.csv", line: 5, column: "User Count",
                                                          expected: "a whole number", found: "twenty")) {
            try LocustCSVImporter.document(prefix: prefix)
        }
    }
}

/// `loadops import` and `loadops history` through the binary, on real files.
@Suite(.serialized) struct ImportCommandTests {
    static func writeResults(_ result: RunResult, to path: String) throws {
        try ResultsDocument.make(from: result).encoded().write(to: URL(fileURLWithPath: path))
    }

    @Test func importedRunsAreListedShownAndTrended() async throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for index in 0..<3 {
            let result = HistoryFixture.run(start: HistoryFixture.baseTime.addingTimeInterval(Double(index) * 3600),
                                            scale: Double(index + 1))
            try Self.writeResults(result, to: folder + "/run\(index).json")
        }
        let prefix = try LocustCSVFixture.write(in: folder)
        let binary = TestSupport.binary
        let imported = try await ChildProcess.run(binary, ["import", "run0.json", "run1.json", "run2.json", "locust"],
                                                  directory: folder, timeout: 60)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("imported run0.json as run 1"))
        #expect(imported.stdout.contains("imported locust_stats.csv as run 4"))
        #expect(imported.stdout.contains("note: percentiles imported from Locust are its rounded"))
        #expect(FileManager.default.fileExists(atPath: folder + "/.loadops/history.sqlite"))
        _ = prefix

        let list = try await ChildProcess.run(binary, ["history", "--last", "3"], directory: folder, timeout: 30)
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(list.stdout)")
        #expect(lines[0].hasPrefix("ID") && lines[0].contains("Success") && lines[0].contains("p95 (ms)"))
        // Newest start first: run 3 started two hours after run 1; the Locust run, a day later, is newest.
        #expect(lines[2].hasPrefix(" 4") && lines[3].hasPrefix(" 3") && lines[4].hasPrefix(" 2"))
        #expect(lines[3].contains("closed 5 users") && lines[3].contains("98.57%") && lines[3].contains("http://127.0.0.1:8000"))

        let show = try await ChildProcess.run(binary, ["history", "show", "1"], directory: folder, timeout: 30)
        #expect(show.status == 0, "\(show.stderr)")
        #expect(show.stdout.contains("run 1 · completed · import:results.json"))
        #expect(show.stdout.contains("/orders") && show.stdout.contains("Aggregated"))
        #expect(show.stdout.contains("a warning worth keeping"))

        let trend = try await ChildProcess.run(binary, ["history", "trend", "--metric", "p95", "--endpoint", "/items",
                                                        "--all-configurations"],
                                               directory: folder, timeout: 30)
        #expect(trend.status == 0, "\(trend.stderr)")
        #expect(trend.stdout.contains("p95 of endpoint /items, last 4 runs"))
        // Runs 1-3 at 1x, 2x, 3x the latency, then Locust's 110 ms: lowest first, highest third.
        let sparkline = try #require(trend.stdout.split(separator: "\n").last.map(String.init))
        #expect(sparkline.hasPrefix("▁") && Array(sparkline)[2] == "█" && sparkline.contains("min "), "\(trend.stdout)")

        let badMetric = try await ChildProcess.run(binary, ["history", "trend", "--metric", "p97"], directory: folder, timeout: 30)
        #expect(badMetric.status == 2)
        #expect(badMetric.stderr.contains("--metric must be one of p50, p95, p99, success_rate, error_rate, rps"))
        let badRun = try await ChildProcess.run(binary, ["history", "show", "42"], directory: folder, timeout: 30)
        #expect(badRun.status == 2)
        #expect(badRun.stderr.contains("has no run 42"))
    }

    @Test func aMalformedFileRecordsNothingAndExitsWith2() async throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Self.writeResults(HistoryFixture.run(), to: folder + "/good.json")
        var lines = LocustCSVFixture.stats.components(separatedBy: "\r\n")
        lines[1] = lines[1].replacingOccurrences(of: ",48.71234,", with: ",fast,")
        _ = try LocustCSVFixture.write(in: folder, stats: lines.joined(separator: "\r\n"))
        let result = try await ChildProcess.run(TestSupport.binary, ["import", "good.json", "locust", "--db", "h.sqlite"],
                                                directory: folder, timeout: 60)
        #expect(result.status == 2)
        #expect(result.stderr.contains("locust_stats.csv:2: column `Average Response Time`: expected a number, found \"fast\""))
        #expect(!FileManager.default.fileExists(atPath: folder + "/h.sqlite"))

        let missing = try await ChildProcess.run(TestSupport.binary, ["import", "nothing-here", "--db", "h.sqlite"],
                                                 directory: folder, timeout: 60)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nothing-here: no such file"))

        try Data("{\"schema_version\": 1, \"tool\": 3}".utf8).write(to: URL(fileURLWithPath: folder + "/bad.json"))
        let badJSON = try await ChildProcess.run(TestSupport.binary, ["import", "bad.json", "--db", "h.sqlite"],
                                                 directory: folder, timeout: 60)
        #expect(badJSON.status == 2)
        #expect(badJSON.stderr.contains("bad.json: field `tool`"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/h.sqlite"))
    }

    @Test(.enabled(if: SmallTmpfs.isAvailable, "cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN), so a full disk cannot be made"))
    func aFullDiskFailsWithExitOneAndKeepsWhatWasRecorded() async throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let disk = try SmallTmpfs()
        defer { disk.unmount() }
        try Self.writeResults(HistoryFixture.run(), to: folder + "/first.json")
        try Self.writeResults(HistoryFixture.run(start: HistoryFixture.baseTime.addingTimeInterval(60)), to: folder + "/second.json")
        let database = disk.path + "/history.sqlite"
        let first = try await ChildProcess.run(TestSupport.binary, ["import", "first.json", "--db", database], directory: folder, timeout: 60)
        #expect(first.status == 0, "\(first.stderr)")

        // Fill what is left of the disk.
        let fillerPath = disk.path + "/filler"
        _ = FileManager.default.createFile(atPath: fillerPath, contents: nil)
        let filler = try #require(FileHandle(forWritingAtPath: fillerPath))
        let block = Data(repeating: 0x2e, count: 4096)
        while (try? filler.write(contentsOf: block)) != nil {}
        try? filler.close()

        let full = try await ChildProcess.run(TestSupport.binary, ["import", "second.json", "--db", database], directory: folder, timeout: 60)
        #expect(full.status == 1, "\(full)")
        // SQLite says "database or disk is full" or "disk I/O error", depending on which write found no room.
        #expect(full.stderr.contains("history.sqlite: cannot"), "\(full.stderr)")

        try FileManager.default.removeItem(atPath: fillerPath)
        let list = try await ChildProcess.run(TestSupport.binary, ["history", "--db", database], directory: folder, timeout: 30)
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[2].hasPrefix(" 1 "), "\(list.stdout)")  // header, rule, the first run only
    }

    @Test func twoProcessesImportingIntoOneDatabaseLoseNothing() async throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let perProcess = 25
        var expectedStarts: Set<Date> = []
        // Two rounds: a fresh database (both processes create and migrate it at once), then an existing
        // one, each round with runs of its own (a run already recorded is not recorded again).
        for round in 1...2 {
            var argumentsByProcess: [[String]] = [[], []]
            for process in 0..<2 {
                for index in 0..<perProcess {
                    let start = HistoryFixture.baseTime.addingTimeInterval(Double(round * 10_000 + process * 1000 + index))
                    let name = "r\(round)-p\(process)-\(index).json"
                    try Self.writeResults(HistoryFixture.run(start: start, scale: Double(index + 1)), to: folder + "/" + name)
                    argumentsByProcess[process].append(name)
                    expectedStarts.insert(start)
                }
            }
            let children = argumentsByProcess.map {
                ChildProcess(TestSupport.binary, ["import"] + $0 + ["--db", "shared/history.sqlite"], directory: folder)
            }
            for child in children { try child.start() }
            for child in children {
                let outcome = await child.wait(timeout: 60)
                #expect(outcome.status == 0, "round \(round): \(outcome.stderr)")
                #expect(outcome.stdout.components(separatedBy: "imported ").count - 1 == perProcess)
            }
            let store = try HistoryStore.open(path: folder + "/shared/history.sqlite")
            let runs = try store.runs()
            #expect(runs.count == 2 * perProcess * round)
            #expect(Set(runs.map(\.startedAt)) == expectedStarts)
            #expect(Set(runs.map(\.id)).count == runs.count)
            for run in runs.prefix(5) {
                #expect(try store.endpoints(runID: run.id).count == 3)
            }
        }
    }
}

@Suite struct ImportedSecretsTests {
    /// A results.json written by another tool may carry a password or an API key: the history masks them.
    @Test func importedDocumentsAreStoredWithoutSecrets() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var document = ResultsDocument.make(from: HistoryFixture.run(host: "http://bench:s3cret-pw@127.0.0.1:8000/?api_key=k1"))
        document.config.endpoints.append(ResultsDocument.EndpointSettings(
            name: "/items", method: "GET", path: "/items",
            headers: [.init(name: "X-Api-Key", value: "key-0f1e2d"), .init(name: "Accept", value: "application/json")],
            hasBody: false, weight: 1, rate: nil, expectedStatus: []))
        let store = try HistoryStore.open(path: folder + "/history.sqlite")
        let id = try store.record(imported: document, source: RunSource.importedResults)

        let stored = try store.document(runID: id)
        #expect(stored.host == "http://bench:***@127.0.0.1:8000/?api_key=***")
        #expect(stored.config.host == stored.host)
        // Masked as a run's own results.json masks it, so a loadops document is stored unchanged.
        #expect(stored.config.endpoints.last?.headers == [.init(name: "X-Api-Key", value: "[redacted]"),
                                                         .init(name: "Accept", value: "application/json")])
        for file in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            for secret in ["s3cret-pw", "key-0f1e2d"] {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) in \(file)")
            }
        }
    }
}
