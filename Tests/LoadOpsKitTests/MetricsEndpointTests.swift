import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// `loadops run --metrics-listen`: the live Prometheus page, scraped through the binary while the
/// built-in target answers (with injected failures) and after the results are written.
@Suite(.serialized) struct MetricsEndpointTests {
    /// The body of `GET /metrics`, or nil while nothing answers there.
    private func scrape(port: Int) -> String? {
        guard let response = try? TestSupport.httpGet(port: port, path: "/metrics"),
              response.hasPrefix("HTTP/1.1 200"), let end = response.range(of: "\r\n\r\n")
        else { return nil }
        return String(response[end.upperBound...])
    }

    /// Scrapes until `condition` holds of the page, within `timeout` seconds.
    private func scrape(port: Int, timeout: Double, until condition: (PrometheusExposition) -> Bool) async throws -> (PrometheusExposition, String) {
        let deadline = Date().addingTimeInterval(timeout)
        var last = "(nothing answered)"
        while Date() < deadline {
            if let page = scrape(port: port) {
                last = page
                let parsed = PrometheusExposition(parsing: page)
                if condition(parsed) { return (parsed, page) }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("no scrape of 127.0.0.1:\(port)/metrics met the condition within \(Int(timeout)) s; the last page:\n\(last)")
    }

    private func value(_ page: PrometheusExposition, _ metric: String, _ labels: [String: String] = [:]) -> Double {
        page.total(metric: metric, labels: labels) ?? -1
    }

    @Test func theLivePageGrowsDuringTheRunAndEndsEqualToResultsJSON() async throws {
        let server = try await LoadTargetServer.start(
            port: 0, behaviour: TargetBehaviour(latency: .fixed(.milliseconds(2)), errorRate: 0.1))
        defer { Task { try? await server.stop() } }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(server.port)
            load: {users: 4, spawn_rate: 100, duration: 5s}
            endpoints:
              - get /sessions/{uuid}
              - get /pre_checkin/{uuid}
            abort: []
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let port = TestSupport.freePort()
        let run = ChildProcess(TestSupport.binary, ["run", "--no-history", "--metrics-listen", "127.0.0.1:\(port)",
                                                    "--metrics-linger", "60s"], directory: directory)
        try run.start()
        var ended: (status: Int32, stdout: String, stderr: String)?
        defer { if ended == nil { run.signal(SIGKILL) } }

        // Mid-run: the load runs, the counters have started and keep growing.
        let sessions = ["method": "GET", "name": "/sessions/{uuid}"]
        let (first, firstText) = try await scrape(port: port, timeout: 30) { page in
            value(page, "loadops_running") == 1 && value(page, "loadops_requests_total", sessions) > 0
        }
        let (second, _) = try await scrape(port: port, timeout: 10) { page in
            value(page, "loadops_running") == 1
                && value(page, "loadops_requests_total", sessions) > value(first, "loadops_requests_total", sessions)
        }
        #expect(value(second, "loadops_elapsed_seconds") >= value(first, "loadops_elapsed_seconds"))
        #expect(value(first, "loadops_users") > 0 && value(first, "loadops_planned_duration_seconds") == 5)
        // Every line is a comment or a sample the project's own reader understands.
        let sampleLines = firstText.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
        #expect(first.samples.count == sampleLines.count, "\(firstText)")
        #expect(first.types["loadops_requests_total"] == "counter" && first.types["loadops_failures_total"] == "counter")
        #expect(first.types["loadops_request_duration_seconds"] == "histogram" && first.types["loadops_users"] == "gauge")

        // After the load: once results.json is there, a scrape shows exactly its figures.
        let resultsPath = "\(directory)/load_test_reports/results.json"
        try await ServiceTestSupport.waitUntil("results.json", timeout: 30) { FileManager.default.fileExists(atPath: resultsPath) }
        let document = try ResultsDocument.load(from: resultsPath)
        let (final, finalText) = try await scrape(port: port, timeout: 10) { value($0, "loadops_running") == 0 }
        #expect(document.aggregate.requests > 0 && document.aggregate.failures > 0)
        #expect(document.endpoints.count == 2)
        for endpoint in document.endpoints {
            let labels = ["method": endpoint.method, "name": endpoint.name]
            #expect(value(final, "loadops_requests_total", labels) == Double(endpoint.requests), "\(endpoint.name): \(finalText)")
            #expect(value(final, "loadops_failures_total", labels) == Double(endpoint.failures), "\(endpoint.name)")
            #expect(value(final, "loadops_request_duration_seconds_count", labels) == Double(endpoint.requests))
            #expect(value(final, "loadops_request_duration_seconds_bucket", labels.merging(["le": "+Inf"]) { $1 }) == Double(endpoint.requests))
            // Every answer took the target's 2 ms at least: none in the 1 ms bucket, a mean in seconds.
            #expect(value(final, "loadops_request_duration_seconds_bucket", labels.merging(["le": "0.001"]) { $1 }) == 0)
            let mean = value(final, "loadops_request_duration_seconds_sum", labels) / Double(endpoint.requests)
            #expect(mean >= 0.002 && mean < 0.5, "mean \(mean) s")
        }
        #expect(value(final, "loadops_requests_total") == Double(document.aggregate.requests))
        #expect(value(final, "loadops_failures_total") == Double(document.aggregate.failures))
        #expect(!document.aggregate.failuresByKind.isEmpty)
        for (kind, count) in document.aggregate.failuresByKind {
            #expect(value(final, "loadops_failures_by_kind_total", ["kind": kind]) == Double(count), "\(kind): \(finalText)")
        }
        #expect(value(final, "loadops_failures_by_kind_total") == Double(document.aggregate.failures))

        // Ctrl-C ends the linger at once; the run itself had completed.
        run.signal(SIGINT)
        let result = await run.wait(timeout: 20)
        ended = result
        #expect(result.status == 0 || result.status == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("Live metrics: http://127.0.0.1:\(port)/metrics"), "\(result.stdout)")
        #expect(document.status == .completed)
        #expect(scrape(port: port) == nil, "the endpoint closes with the run")
    }

    @Test func anActiveWarningSignShowsAsAGauge() async throws {
        // Past 20 requests a second the target answers 429: the throttling warning sign.
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(rateLimit: 20))
        defer { Task { try? await server.stop() } }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(server.port)
            load: {model: open, rate: 200/s, duration: 4s}
            endpoints:
              - get /sessions/{uuid}
            abort: {grace: 1s, rules: []}
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let port = TestSupport.freePort()
        let run = ChildProcess(TestSupport.binary, ["run", "--no-history", "--metrics-listen", "\(port)"], directory: directory)
        try run.start()
        var ended = false
        defer { if !ended { run.signal(SIGKILL) } }
        let (page, text) = try await scrape(port: port, timeout: 30) { value($0, "loadops_warning_active", ["key": "throttling"]) == 1 }
        #expect(value(page, "loadops_running") == 1, "\(text)")
        #expect(value(page, "loadops_target_requests_per_second") == 200 && page.types["loadops_connections"] == "gauge")
        #expect(value(page, "loadops_failures_by_kind_total", ["kind": "http_429"]) > 0)
        let result = await run.wait(timeout: 30)
        ended = true
        #expect(result.stdout.contains("⚠ warning: "), "\(result.stdout)")
    }

    @Test func aBadListenValueOrAPortInUseIsExitTwoBeforeAnyLoad() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        defer { Task { try? await server.stop() } }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(server.port)
            load: {users: 2, duration: 2s}
            endpoints:
              - get /sessions/{uuid}
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let cases: [(arguments: [String], message: String)] = [
            (["--metrics-listen", "nonsense"], "--metrics-listen: expected HOST:PORT"),
            (["--metrics-listen", "127.0.0.1:99999"], "the port is a number from 1 to 65535"),
            (["--metrics-listen", "::1:9464"], "expected HOST:PORT"),
            (["--metrics-listen", "127.0.0.1:\(server.port)"], "cannot listen there: the port is already in use"),
            (["--metrics-linger", "5s"], "--metrics-linger: keeps the live metrics up after the run, so it needs --metrics-listen"),
            (["--metrics-listen", "127.0.0.1:\(TestSupport.freePort())", "--metrics-linger", "soon"], "--metrics-linger: expected"),
        ]
        for (arguments, message) in cases {
            let run = try await ChildProcess.run(TestSupport.binary, ["run", "--no-history"] + arguments, directory: directory, timeout: 60)
            #expect(run.status == 2, "\(arguments): \(run.stdout)\n\(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(server.counts().total == 0, "no load was sent")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/load_test_reports/results.json"))
    }

    @Test func listenValuesAreReadAsHostAndPort() throws {
        func parse(_ text: String) throws -> ListenAddress? { try MetricsListenSettings.parse(listen: text, linger: nil)?.address }
        #expect(try parse("9464") == ListenAddress(host: "127.0.0.1", port: 9464))
        #expect(try parse("localhost:9464") == ListenAddress(host: "localhost", port: 9464))
        #expect(try parse("[::1]:9464") == ListenAddress(host: "::1", port: 9464))
        #expect(try MetricsListenSettings.parse(listen: "[::1]:9464", linger: nil)?.url == "http://[::1]:9464/metrics")
        #expect(try MetricsListenSettings.parse(listen: "0.0.0.0:9464", linger: "15s")?.linger == 15)
        #expect(try MetricsListenSettings.parse(listen: nil, linger: nil) == nil)
        for bad in ["", ":9464", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:+80", "[::1]9464", "a b:80"] {
            #expect(throws: ConfigError.self, "\(bad)") { try parse(bad) }
        }
        #expect(throws: ConfigError.self) { try MetricsListenSettings.parse(listen: "9464", linger: "2h") }
    }
}
