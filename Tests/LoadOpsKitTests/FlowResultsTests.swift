import Foundation
import Testing
@testable import LoadOpsKit

/// A run with user flows and request phases built by hand, with figures we know.
enum FlowFixture {
    static let start = Date(timeIntervalSince1970: 1_760_000_000)

    /// Ten seconds. Flow `checkin` (steps `login`, `pay`): 100 iterations started, 80 completed in
    /// 100, 101, ..., 179 ms, 15 failed (5 at `login`, 10 at `pay`). Flow `browse` (two steps both
    /// named `list`): 3 started, none completed, 2 failed at its second step.
    /// Endpoints: `POST login` (100 requests, 10 new connections at 2 ms, TTFB 20 ms, receive 1 ms),
    /// `POST pay` (90 requests, 10 failed, TTFB 45 ms, receive 5 ms, no new connection) and `GET /health`
    /// (no phases: as the Locust engine or an import would leave it).
    static func run(withFlows: Bool = true) -> RunResult {
        var login = EndpointStatistics(key: EndpointKey(method: "POST", name: "login"))
        for _ in 0..<100 {
            record(&login, microseconds: 22_000)
            _ = login.phases.timeToFirstByte.record(20_000)
            _ = login.phases.receive.record(1_000)
        }
        for _ in 0..<10 { _ = login.phases.connect.record(2_000) }
        var pay = EndpointStatistics(key: EndpointKey(method: "POST", name: "pay"))
        for _ in 0..<90 {
            record(&pay, microseconds: 50_000)
            _ = pay.phases.timeToFirstByte.record(45_000)
            _ = pay.phases.receive.record(5_000)
        }
        pay.failures = 10
        pay.failuresByKind = [.httpStatus(502): 10]
        var health = EndpointStatistics(key: EndpointKey(method: "GET", name: "/health"))
        for _ in 0..<10 { record(&health, microseconds: 1_000) }

        var config = LoadOpsConfig(host: "http://127.0.0.1:8000", environment: "test",
                                   load: LoadSettings(model: .closed, users: 5, spawnRate: 5, duration: 10),
                                   endpoints: [EndpointConfig(name: "/health", path: "/health")],
                                   thresholds: [:])
        var result = RunResult(status: .completed, startTime: start, endTime: start.addingTimeInterval(10), config: config,
                               endpoints: [login, pay, health], coordinatedOmissionCorrected: false, timeSeries: [],
                               peakUsers: 5, droppedArrivals: 0, warnings: [])
        guard withFlows else { return result }
        config.flows = [
            FlowConfig(name: "checkin", steps: [
                FlowStep(request: EndpointConfig(name: "login", method: "post", path: "/login", headers: [("Authorization", "Bearer SECRET123")])),
                FlowStep(request: EndpointConfig(name: "pay", method: "post", path: "/pay", body: "{}")),
            ]),
            FlowConfig(name: "browse", steps: [
                FlowStep(request: EndpointConfig(name: "list", path: "/items")),
                FlowStep(request: EndpointConfig(name: "list", path: "/items")),
            ]),
        ]
        result.config = config
        var checkin = FlowStatistics(name: "checkin")
        checkin.started = 100
        checkin.completed = 80
        checkin.failed = 15
        checkin.failedAtStep = [0: 5, 1: 10]
        for milliseconds in 100..<180 { _ = checkin.duration.record(UInt64(milliseconds) * 1000) }
        var browse = FlowStatistics(name: "browse")
        browse.started = 3
        browse.failed = 2
        browse.failedAtStep = [1: 2]
        result.flows = [checkin, browse]
        return result
    }

    static func record(_ statistics: inout EndpointStatistics, microseconds: UInt64) {
        statistics.requests += 1
        _ = statistics.latency.record(microseconds)
        _ = statistics.uncorrected.record(microseconds)
    }

    static func document(withFlows: Bool = true) -> ResultsDocument {
        ResultsDocument.make(from: run(withFlows: withFlows))
    }

    static func near(_ value: Double?, _ expected: Double, within tolerance: Double) -> Bool {
        guard let value else { return false }
        return abs(value - expected) <= tolerance
    }
}

@Suite struct FlowResultsTests {
    // MARK: - results.json

    @Test func resultsJSONCarriesFlowsAndPhasesAndReadsBackEqual() throws {
        let document = FlowFixture.document()
        let data = try document.encoded()
        #expect(try ResultsDocument.decode(data, path: "results.json") == document)

        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let flows = try #require(json["flows"] as? [[String: Any]])
        #expect(flows.map { $0["name"] as? String } == ["checkin", "browse"])
        let checkin = flows[0]
        #expect(checkin["iterations_started"] as? Int == 100)
        #expect(checkin["iterations_completed"] as? Int == 80)
        #expect(checkin["iterations_failed"] as? Int == 15)
        #expect(FlowFixture.near(checkin["failure_rate"] as? Double, 1500.0 / 95, within: 1e-9))
        #expect(checkin["iterations_per_second"] as? Double == 9.5)
        #expect(checkin["failed_at_step"] as? [String: Int] == ["login": 5, "pay": 10])
        let duration = try #require(checkin["duration"] as? [String: Any])
        #expect(Set(duration.keys) == ["min_ms", "max_ms", "mean_ms", "median_ms", "percentiles"])
        let percentiles = try #require(duration["percentiles"] as? [String: Double])
        // The endpoints' keys, from the same code.
        #expect(Set(percentiles.keys) == Set(Percentile.allCases.map(\.rawValue)))
        #expect(FlowFixture.near(percentiles["50"], 139, within: 0.5))
        #expect(FlowFixture.near(percentiles["95"], 175, within: 0.5))
        #expect(FlowFixture.near(duration["max_ms"] as? Double, 179, within: 0.5))
        // A name two steps share gets the step's position; nothing completed, so no percentiles.
        #expect(flows[1]["failed_at_step"] as? [String: Int] == ["list (step 2)": 2])
        #expect((flows[1]["duration"] as? [String: Any])?["percentiles"] as? [String: Double] == [:])
        #expect(flows[1]["failure_rate"] as? Double == 100)

        let endpoints = try #require(json["endpoints"] as? [[String: Any]])
        let login = try #require(endpoints.first { $0["name"] as? String == "login" }?["phases"] as? [String: Any])
        #expect(Set(login.keys) == ["connect", "time_to_first_byte", "receive"])  // no TLS: plain HTTP
        let connect = try #require(login["connect"] as? [String: Any])
        #expect(Set(connect.keys) == ["count", "mean_ms", "p50", "p95", "p99", "max_ms"])
        #expect(connect["count"] as? Int == 10)
        #expect(FlowFixture.near(connect["p95"] as? Double, 2, within: 0.05))
        let ttfb = try #require(login["time_to_first_byte"] as? [String: Any])
        #expect(ttfb["count"] as? Int == 100)
        #expect(FlowFixture.near(ttfb["mean_ms"] as? Double, 20, within: 0.3))
        let pay = try #require(endpoints.first { $0["name"] as? String == "pay" }?["phases"] as? [String: Any])
        #expect(Set(pay.keys) == ["time_to_first_byte", "receive"])  // kept-alive connections: no connect
        #expect(endpoints.first { $0["name"] as? String == "/health" }?["phases"] == nil)
        let aggregate = try #require((json["aggregate"] as? [String: Any])?["phases"] as? [String: Any])
        #expect((aggregate["time_to_first_byte"] as? [String: Any])?["count"] as? Int == 190)

        // The steps as configured, their secret header masked.
        let config = try #require(json["config"] as? [String: Any])
        let configured = try #require(config["flows"] as? [[String: Any]])
        #expect(configured.map { $0["name"] as? String } == ["checkin", "browse"])
        #expect(String(decoding: data, as: UTF8.self).contains("SECRET123") == false)
    }

    @Test func aRunWithoutFlowsOrPhasesWritesNeitherAndOldFilesStillRead() throws {
        var result = FlowFixture.run(withFlows: false)
        result.endpoints = result.endpoints.map { endpoint in
            var bare = endpoint
            bare.phases = RequestPhases()
            return bare
        }
        let text = String(decoding: try ResultsDocument.make(from: result).encoded(), as: UTF8.self)
        #expect(!text.contains("\"flows\""))
        #expect(!text.contains("\"phases\""))

        let old = try ResultsDocument.load(from: StoredResultsTests.fixture)
        #expect(old.flows == nil && old.config.flows == nil)
        #expect(old.endpoints.allSatisfy { $0.phases == nil } && old.aggregate.phases == nil)
        // Written again, its configuration has no `flows` key: the fingerprint of a configuration
        // without flows is what it was.
        #expect(!String(decoding: try JSONEncoder().encode(old.config), as: UTF8.self).contains("flows"))
    }

    @Test func aHandWrittenFlowWithImpossibleFiguresIsRefusedWithItsField() throws {
        var document = FlowFixture.document()
        document.flows?[0].failureRate = 250
        let data = try document.encoded()
        #expect(throws: ResultsDocumentError.malformed(path: "x.json", field: "flows[0].failure_rate",
                                                      reason: "expected a percentage from 0 to 100, found 250.0")) {
            try ResultsDocument.decode(data, path: "x.json")
        }
    }

    // MARK: - CSV

    @Test func theFlowCSVHasItsHeaderAndFiguresAndIsWrittenOnlyForRunsWithFlows() throws {
        let text = LocustCSVWriter.flowStats(FlowFixture.run())
        let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.count == 3)
        #expect(lines[0] == "Flow,Iterations Started,Iterations Completed,Iterations Failed,Failure Rate,Average Duration,"
                + "Min Duration,Max Duration,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,100%,Iterations/s")
        let checkin = lines[1].components(separatedBy: ",")
        #expect(checkin.count == 19)
        #expect(Array(checkin[0...3]) == ["checkin", "100", "80", "15"])
        #expect(FlowFixture.near(Double(checkin[4]), 1500.0 / 95, within: 1e-9))
        #expect(FlowFixture.near(Double(checkin[5]), 139.5, within: 0.2))
        #expect(FlowFixture.near(Double(checkin[6]), 100, within: 0.1))
        #expect(FlowFixture.near(Double(checkin[7]), 179, within: 0.2))
        #expect(checkin[8] == "139" && checkin[13] == "175" && checkin[15] == "179" && checkin[17] == "179")
        #expect(checkin[18] == "9.5")
        // No iteration completed: Locust's `N/A` and zeros, as for an endpoint without requests.
        #expect(lines[2] == "browse,3,0,2,100.0,0.0,0,0," + Array(repeating: "N/A", count: 10).joined(separator: ",") + ",0.2")

        let folder = ResultsFixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let flowFile = (folder as NSString).appendingPathComponent(LocustCSVWriter.flowStatsFileName)
        let paths = try LocustCSVWriter.write(FlowFixture.run(), to: folder)
        #expect(paths.last == flowFile)
        #expect(try String(contentsOfFile: flowFile, encoding: .utf8) == text)
        // The next run has no flows: no file of the earlier run's flows stays beside its results.
        let next = try LocustCSVWriter.write(FlowFixture.run(withFlows: false), to: folder)
        #expect(next.count == 4)
        #expect(!FileManager.default.fileExists(atPath: flowFile))
        #expect(!LocustCSVWriter.files(for: FlowFixture.run(withFlows: false)).contains { $0.name == LocustCSVWriter.flowStatsFileName })
    }

    // MARK: - History

    @Test func theHistoryRecordsFlowsAndPhasesAndShowsThem() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try HistoryStore.open(path: folder + "/history.sqlite")
        let result = FlowFixture.run()
        let document = ResultsDocument.make(from: result)
        let id = try store.record(result, document: document)

        let flows = try store.flows(runID: id)
        #expect(flows.map(\.name) == ["checkin", "browse"])
        let checkin = flows[0]
        #expect(checkin.iterationsStarted == 100 && checkin.iterationsCompleted == 80 && checkin.iterationsFailed == 15)
        #expect(checkin.failureRate == document.flows?[0].failureRate)
        #expect(checkin.iterationsPerSecond == 9.5)
        #expect(checkin.percentiles == document.flows?[0].duration.percentiles)
        #expect(checkin.maxMilliseconds == document.flows?[0].duration.maxMs)
        #expect(checkin.failedAtStep == ["login": 5, "pay": 10])
        #expect(flows[1].percentiles.isEmpty && flows[1].failedAtStep == ["list (step 2)": 2])

        let endpoints = try store.endpoints(runID: id)
        let login = try #require(endpoints.first { $0.name == "login" })
        #expect(FlowFixture.near(login.timeToFirstByteP50Milliseconds, 20, within: 0.3))
        #expect(FlowFixture.near(login.connectP95Milliseconds, 2, within: 0.05))
        let pay = try #require(endpoints.first { $0.name == "pay" })
        #expect(pay.timeToFirstByteP95Milliseconds != nil && pay.connectP50Milliseconds == nil)
        let health = try #require(endpoints.first { $0.name == "/health" })
        #expect(health.timeToFirstByteP50Milliseconds == nil && health.connectP95Milliseconds == nil)

        let text = try HistoryReport.runDetail(String(id), databasePath: store.path)
        #expect(text.contains("flows (iteration durations in ms)"))
        let checkinLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("checkin ") })
        #expect(checkinLine.contains("pay 10, login 5"))
        #expect(checkinLine.contains("15.79%"))
        #expect(text.contains("list (step 2) 2"))
        let lines = text.components(separatedBy: "\n")
        let phasesStart = try #require(lines.firstIndex(of: "request phases (ms)"))
        let phases = lines[phasesStart...].prefix { !$0.isEmpty }
        // Title, header, rule, the aggregate and the two endpoints that measured phases; not /health.
        #expect(phases.count == 6)
        #expect(phases.contains { $0.hasPrefix("POST    login") || $0.hasPrefix("POST  login") })
        #expect(!phases.contains { $0.contains("/health") })

        // A results.json imported from elsewhere keeps its flows too; one without flows stores none.
        var imported = document
        imported.startedAt = document.startedAt.addingTimeInterval(60)
        let importedID = try store.record(imported: imported, source: RunSource.importedResults)
        #expect(try store.flows(runID: importedID).map(\.name) == ["checkin", "browse"])
        let plain = FlowFixture.run(withFlows: false)
        let plainID = try store.record(plain, document: ResultsDocument.make(from: plain))
        #expect(try store.flows(runID: plainID).isEmpty)
        #expect(!(try HistoryReport.runDetail(String(plainID), databasePath: store.path)).contains("flows ("))
    }

    @Test func aDatabaseAnOlderLoadopsWroteGainsTheFlowTablesAndKeepsItsRuns() throws {
        let folder = try HistoryFixture.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/history.sqlite"
        let oldRun = HistoryFixture.run()
        let oldDocument = ResultsDocument.make(from: oldRun)
        let oldID: Int64
        var oldEndpoints: [HistoryEndpointRow] = []
        do {
            // What version 1 left: no run_flows table, no phase columns, its migration alone applied.
            let store = try HistoryStore.open(path: path)
            oldID = try store.record(oldRun, document: oldDocument)
            oldEndpoints = try store.endpoints(runID: oldID)
            try store.write("make a version 1 database") { db in
                try db.execute(sql: "DROP TABLE run_flows")
                for column in HistorySchema.phaseColumns {
                    try db.execute(sql: "ALTER TABLE endpoint_stats DROP COLUMN \(column)")
                }
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier != 'v1-runs'")
                try db.execute(sql: "PRAGMA user_version = 1")
            }
            #expect(try store.schemaVersion() == 1)
            #expect(!(try store.tableNames()).contains("run_flows"))
        }

        let store = try HistoryStore.open(path: path)
        #expect(try store.schemaVersion() == HistorySchema.version)
        #expect(try store.tableNames().contains("run_flows"))
        // Nothing stored is lost: the old run reads back as it was recorded, without flows or phases.
        #expect(try store.document(runID: oldID) == oldDocument.redacted())
        #expect(try store.endpoints(runID: oldID) == oldEndpoints)
        #expect(try store.flows(runID: oldID).isEmpty)
        #expect(try store.runs().map(\.id) == [oldID])
        // And new runs record their flows into it.
        let result = FlowFixture.run()
        let newID = try store.record(result, document: ResultsDocument.make(from: result))
        #expect(try store.flows(runID: newID).count == 2)
        #expect(try store.endpoints(runID: newID).first { $0.name == "login" }?.timeToFirstByteP50Milliseconds != nil)
    }

    // MARK: - Thresholds

    @Test func flowThresholdsJudgeIterationsAndAnUnknownFlowFails() throws {
        let document = FlowFixture.document()
        let set = try ThresholdSet.parse([
            "flow checkin": ["p95 < 2s", "error_rate < 1%", "rps >= 9", "requests == 95", "failures == 15", "max < 179ms"],
            "FLOW checkin": ["success_rate > 80%"],
            "flow browse": ["p95 < 1s", "error_rate < 50%"],
            "flow nope": ["p95 < 1s"],
        ])
        let outcomes = Dictionary(set.evaluate(document).map { ("\($0.scope): \($0.expression)", $0) }, uniquingKeysWith: { $1 })
        func outcome(_ key: String) throws -> ThresholdOutcome { try #require(outcomes[key], "\(key)") }

        let p95 = try outcome("flow checkin: p95 < 2s")
        #expect(p95.passed && FlowFixture.near(p95.observedValue, 175, within: 0.5))
        let errorRate = try outcome("flow checkin: error_rate < 1%")
        #expect(!errorRate.passed && FlowFixture.near(errorRate.observedValue, 1500.0 / 95, within: 1e-9))
        #expect(errorRate.observed == "15.79%")
        #expect(try outcome("flow checkin: rps >= 9").passed)
        #expect(try outcome("flow checkin: requests == 95").passed)
        #expect(try outcome("flow checkin: failures == 15").passed)
        #expect(try !outcome("flow checkin: max < 179ms").passed)
        #expect(try outcome("FLOW checkin: success_rate > 80%").passed)

        let neverCompleted = try outcome("flow browse: p95 < 1s")
        #expect(!neverCompleted.passed && neverCompleted.observedValue == nil)
        #expect(neverCompleted.observed == "no iteration completed (2 failed)")
        #expect(try outcome("flow browse: error_rate < 50%").observedValue == 100)

        let unknown = try outcome("flow nope: p95 < 1s")
        #expect(!unknown.passed && unknown.observedValue == nil)
        #expect(unknown.observed == "no such flow in this run (flows: checkin, browse)")
        // A run without flows says so.
        let none = try ThresholdSet.parse(["flow checkin": ["p95 < 1s"]]).evaluate(FlowFixture.document(withFlows: false))
        #expect(none.first?.observed == "no such flow in this run (flows: none)")

        // Measured over the whole run, never per flow.
        #expect(throws: ThresholdError.self) { try ThresholdSet.parse(["flow checkin": ["outage < 3s"]]) }
    }

    @Test func aThresholdOnAStepNameJudgesTheStepsRequests() throws {
        let outcomes = try ThresholdSet.parse([
            "login": ["p95 < 1s"],
            "post pay": ["error_rate < 5%"],
        ]).evaluate(FlowFixture.document())
        #expect(outcomes.count == 2)
        let login = try #require(outcomes.first { $0.scope == "login" })
        #expect(login.passed && FlowFixture.near(login.observedValue, 22, within: 0.1))
        let pay = try #require(outcomes.first { $0.scope == "post pay" })
        #expect(!pay.passed && FlowFixture.near(pay.observedValue, 1000.0 / 90, within: 1e-9))
    }

    // MARK: - Comparison

    @Test func flowsAreComparedByNameOnP95AndFailureRate() throws {
        let current = FlowFixture.document()
        var baseline = current
        baseline.startedAt = current.startedAt.addingTimeInterval(-86_400)
        var checkin = try #require(baseline.flows?[0])
        checkin.failureRate = 2
        checkin.duration.percentiles[.p95] = 150
        var legacy = checkin
        legacy.name = "legacy"
        baseline.flows = [checkin, legacy]

        let report = BaselineComparison.compare(current: current, baseline: baseline)
        #expect(report.flows.map(\.title) == ["flow checkin", "flow browse", "flow legacy"])
        #expect(report.flows.map(\.presence) == [.both, .currentOnly, .baselineOnly])
        let rows = report.flows[0].rows
        #expect(rows.map(\.metric) == [.errorRate, .p95])
        #expect(rows.map(\.flag) == [.regression, .regression])
        #expect(rows[0].baseline == 2 && FlowFixture.near(rows[0].current, 1500.0 / 95, within: 1e-9))
        #expect(report.regressions.map { "\($0.scope.title) \($0.row.metric.rawValue)" } == ["flow checkin error_rate", "flow checkin p95"])
        // The endpoints themselves are unchanged: only the flows regressed.
        #expect(report.endpoints.allSatisfy { $0.rows.allSatisfy { $0.flag == .ok } })

        // The other way round, both improved; within the tolerance, nothing is flagged.
        let reversed = BaselineComparison.compare(current: baseline, baseline: current)
        #expect(reversed.flows[0].rows.map(\.flag) == [.improvement, .improvement])
        var close = current
        close.flows?[0].duration.percentiles[.p95] = (current.flows?[0].duration.percentiles[.p95] ?? 0) * 1.03
        #expect(BaselineComparison.compare(current: close, baseline: current).flows[0].rows.map(\.flag) == [.ok, .ok])

        // A baseline from before flows were recorded: every flow listed, none a regression.
        var older = baseline
        older.flows = nil
        let againstOlder = BaselineComparison.compare(current: current, baseline: older)
        #expect(againstOlder.flows.map(\.presence) == [.currentOnly, .currentOnly])
        #expect(!againstOlder.hasRegression)

        let table = ComparisonRenderer.table(report)
        #expect(table.contains("flow browse: only in the current run (new flow, nothing to compare)"))
        #expect(table.contains("flow legacy: only in the baseline (not exercised by the current run)"))
        #expect(table.contains("flow checkin"))
        let json = try ComparisonRenderer.json(report)
        #expect(json.contains("\"flow\" : true"))
        #expect(json.components(separatedBy: "\"flow\" : true").count - 1 == 3)
        let junit = JUnitReport.render(document: current, thresholds: [], comparison: report)
        #expect(junit.contains("loadops.comparison.flow checkin"))
        // A flow that completed nothing on one side has no p95 to compare: said, not flagged.
        var nothingDone = current
        nothingDone.flows?[0].iterationsCompleted = 0
        nothingDone.flows?[0].duration.percentiles = [:]
        let undone = BaselineComparison.compare(current: nothingDone, baseline: current)
        #expect(undone.flows[0].rows.map(\.flag) == [.ok, .notComparable])
        #expect(ComparisonRenderer.table(undone).contains("none completed"))
    }

    // MARK: - Summaries

    @Test func theSummaryHasAFlowsTableAndWhereTheTimeWent() throws {
        let document = FlowFixture.document()
        let assessment = RunAssessment.assess(document, outcomes: [], baseline: nil, tolerance: ComparisonTolerance())
        let markdown = RunSummaryMarkdown.render(document: document, thresholds: [], comparison: nil,
                                                 verdict: assessment.verdict, warnings: [])
        #expect(markdown.contains("## Flows\n\n| Flow | Started | Completed | Failed | Failure Rate | p50 | p95 | p99 | Failed at step |"))
        let checkin = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("| checkin |") })
        #expect(checkin.hasPrefix("| checkin | 100 | 80 | 15 | 15.79% | 1"))
        #expect(checkin.hasSuffix("| pay: 10, login: 5 |"))
        #expect(markdown.contains("| browse | 3 | 0 | 2 | 100% | n/a | n/a | n/a | list (step 2): 2 |"))
        let phases = try #require(markdown.components(separatedBy: "## Where the time went").last)
        let login = try #require(phases.split(separator: "\n").first { $0.hasPrefix("| POST login |") })
        #expect(login.hasPrefix("| POST login | 10 | 2"))
        #expect(login.contains("| n/a | n/a |"))  // no TLS
        #expect(!markdown.contains("| GET /health | 0 |"))  // measured no phase: not in the table
        #expect(markdown.contains("| **Aggregated** | 10 |"))

        // A run without flows or phases has neither section.
        var plain = FlowFixture.run(withFlows: false)
        plain.endpoints = plain.endpoints.map { var bare = $0; bare.phases = RequestPhases(); return bare }
        let plainDocument = ResultsDocument.make(from: plain)
        let plainMarkdown = RunSummaryMarkdown.render(document: plainDocument, thresholds: [], comparison: nil,
                                                      verdict: assessment.verdict, warnings: [])
        #expect(!plainMarkdown.contains("## Flows") && !plainMarkdown.contains("## Where the time went"))

        let html = HTMLReport.render(assessment, history: nil)
        #expect(html.contains("id=\"flow-statistics\"") && html.contains("data-flow=\"checkin\""))
        #expect(html.contains("id=\"request-phases\"") && html.contains("href=\"#flows\""))
        let plainHTML = HTMLReport.render(RunAssessment.assess(plainDocument, outcomes: [], baseline: nil, tolerance: ComparisonTolerance()),
                                          history: nil)
        #expect(!plainHTML.contains("flow-statistics") && !plainHTML.contains("request-phases"))
    }

    @Test func theConsoleSummaryHasAShortFlowsBlockAndOneLinePerEndpointOfPhases() throws {
        let text = RunSummaryText.render(FlowFixture.run())
        let lines = text.components(separatedBy: "\n")
        let flowsStart = try #require(lines.firstIndex(of: "Flows (completed iterations' durations in ms)"))
        #expect(lines[flowsStart + 1].hasPrefix("Flow "))
        #expect(lines[flowsStart + 3].hasPrefix("checkin ") && lines[flowsStart + 3].hasSuffix("pay 10, login 5"))
        #expect(lines[flowsStart + 3].contains("15(15.79%)"))
        #expect(lines[flowsStart + 4].hasPrefix("browse ") && lines[flowsStart + 4].contains("N/A"))
        let phasesStart = try #require(lines.firstIndex(of: "Where the time went (ms, mean/p95)"))
        let block = lines[phasesStart...].prefix { !$0.isEmpty }
        // Title, header, dashes, login, pay, the separator and the aggregate: /health measured none.
        #expect(block.count == 7)
        #expect(block.contains { $0.hasPrefix("POST  login") })
        #expect(!block.contains { $0.contains("/health") })
        #expect(block.allSatisfy { $0.count <= 100 })
        #expect(!RunSummaryText.render(FlowFixture.run(withFlows: false)).contains("Flows ("))
    }
}
