import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// `loadops ui` in process, through real HTTP on loopback: who may use it (Host, Origin, token),
/// and a run started, changed and stopped from it being a normal run of the pipeline.
@Suite(.serialized) struct WebUITests {
    /// One answer as it came off the wire.
    struct Answer {
        var status: Int
        var head: String
        var body: String

        func header(_ name: String) -> String? {
            head.split(separator: "\r\n").dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }

        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
        }
    }

    /// A client of a UI on loopback that writes requests as given, with the UI's token at hand.
    struct UIClient {
        let port: Int
        let token: String

        func send(_ method: String, _ path: String, host: String? = nil, headers: [String] = [],
                  body: String? = nil) throws -> Answer {
            var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n"
            for header in headers { text += header + "\r\n" }
            if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
            text += "\r\n" + (body ?? "")
            let raw = try TestSupport.httpExchange(port: port, request: text)
            let parts = raw.components(separatedBy: "\r\n\r\n")
            let head = parts.first ?? ""
            let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            return Answer(status: status, head: head, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
        }

        /// A control posted as the page posts it: JSON, its own origin, the token in its header.
        func post(_ path: String, _ body: String) throws -> Answer {
            try send("POST", path, headers: ["Origin: http://127.0.0.1:\(port)", "X-LoadOps-Token: \(token)",
                                             "Content-Type: application/json"], body: body)
        }

        func state() throws -> [String: Any] {
            try send("GET", "/api/state", headers: ["X-LoadOps-Token: \(token)"]).json
        }

        /// Polls the state until `condition` holds, for at most `seconds`.
        func waitFor(_ seconds: Double, _ what: String, _ condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
            let deadline = Date().addingTimeInterval(seconds)
            while true {
                let state = try state()
                if condition(state) { return state }
                if Date() > deadline { throw TestFailure("waited \(seconds) s for \(what); the state is \(state)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// A UI server in this process on a free loopback port.
    struct UI {
        let server: WebUIServer
        let client: UIClient

        static func start(in directory: String) async throws -> UI {
            let port = TestSupport.freePort()
            let settings = WebUISettings(address: ListenAddress(host: "127.0.0.1", port: port), configPath: nil,
                                         environment: [:], workingDirectory: directory,
                                         databasePath: "\(directory)/history.sqlite")
            let server = try await WebUIServer.start(settings)
            let token = try #require(WebUIAccess.queryValue("token", in: server.url))
            return UI(server: server, client: UIClient(port: port, token: token))
        }
    }

    @Test func aForeignHostOrOriginIsRefusedAndEveryPageNeedsTheToken() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launched = try await UI.start(in: directory)
        let (ui, server) = (launched.client, launched.server)
        #expect(ui.token.count == 64 && ui.token.allSatisfy(\.isHexDigit))
        #expect(server.url == "http://127.0.0.1:\(ui.port)/?token=\(ui.token)")
        let own = "http://127.0.0.1:\(ui.port)"

        // Without the token: a page saying where to find it, and nothing else.
        let bare = try ui.send("GET", "/")
        #expect(bare.status == 401)
        #expect(bare.body.contains("token") && !bare.body.contains(ui.token))
        #expect(try ui.send("GET", "/api/state").status == 401)
        #expect(try ui.send("GET", "/events").status == 401)
        #expect(try ui.send("GET", "/", headers: ["X-LoadOps-Token: \(String(repeating: "0", count: 64))"]).status == 401)
        #expect(try ui.send("GET", "/?token=\(ui.token.dropLast())").status == 401)

        // The token in the URL becomes a cookie that scripts cannot read and other sites cannot send.
        let first = try ui.send("GET", "/?token=\(ui.token)")
        #expect(first.status == 303 && first.header("location") == "/")
        let cookie = try #require(first.header("set-cookie"))
        #expect(cookie.hasPrefix("loadops_ui_\(ui.port)=\(ui.token);") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        #expect(try ui.send("GET", "/api/state?token=\(ui.token)").header("location") == "/api/state")
        #expect(try ui.send("GET", "//evil.example/?token=\(ui.token)").header("location") == "/", "no redirect off the UI")
        let page = try ui.send("GET", "/", headers: ["Cookie: theme=dark; loadops_ui_\(ui.port)=\(ui.token)"])
        #expect(page.status == 200 && page.body.contains("id=\"start-form\""))
        #expect(!page.body.contains(ui.token), "the page never carries the token")
        #expect(page.header("content-security-policy")?.contains("script-src 'self'") == true)
        #expect(page.header("x-frame-options") == "DENY")
        #expect(try ui.send("GET", "/", headers: ["Authorization: token \(ui.token)"]).status == 200)
        // Any spelling of loopback with the UI's port is its own address.
        for host in ["localhost:\(ui.port)", "[::1]:\(ui.port)", "127.0.0.1:\(ui.port)"] {
            #expect(try ui.send("GET", "/api/state", host: host, headers: ["X-LoadOps-Token: \(ui.token)"]).status == 200, "\(host)")
        }

        // DNS rebinding: the right token, but a name that is not the UI's.
        for host in ["evil.example:\(ui.port)", "evil.example", "127.0.0.1:\(ui.port + 1)", "127.0.0.1"] {
            let rebound = try ui.send("GET", "/?token=\(ui.token)", host: host)
            #expect(rebound.status == 403, "\(host)")
            #expect(rebound.header("set-cookie") == nil)
        }
        #expect(try ui.send("GET", "/", headers: ["X-LoadOps-Token: \(ui.token)", "Host: second.example"]).status == 403,
                "two Host headers")

        // A cross-site POST, with the token even: refused, and nothing starts.
        for origin in ["http://evil.example", "null", "http://127.0.0.1:\(ui.port + 1)", "https://127.0.0.1:\(ui.port)"] {
            let crossSite = try ui.send("POST", "/api/start", headers: ["Origin: \(origin)", "X-LoadOps-Token: \(ui.token)",
                                                                        "Content-Type: application/json"], body: "{}")
            #expect(crossSite.status == 403, "\(origin)")
        }
        let fetchMetadata = try ui.send("POST", "/api/start", headers: ["Sec-Fetch-Site: cross-site", "X-LoadOps-Token: \(ui.token)",
                                                                         "Content-Type: application/json"], body: "{}")
        #expect(fetchMetadata.status == 403)
        // The page's own origin without the token, or with a body a cross-site form could send.
        #expect(try ui.send("POST", "/api/start", headers: ["Origin: \(own)", "Content-Type: application/json"], body: "{}").status == 401)
        let form = try ui.send("POST", "/api/start", headers: ["Origin: \(own)", "X-LoadOps-Token: \(ui.token)",
                                                               "Content-Type: application/x-www-form-urlencoded"], body: "users=5")
        #expect(form.status == 415)
        #expect(try ui.send("GET", "/api/start", headers: ["X-LoadOps-Token: \(ui.token)"]).status == 405)
        #expect(try ui.state()["phase"] as? String == "idle")

        // Only the last run's result files, by name.
        for path in ["/results/results.json", "/results/..%2Fresults.json", "/results/../../etc/passwd", "/results/load_test.log"] {
            #expect(try ui.send("GET", path, headers: ["X-LoadOps-Token: \(ui.token)"]).status == 404, "\(path)")
        }
        // A bad form value is the user's to fix (400), and no run starts.
        let bad = try ui.post("/api/start", #"{"users": "ten"}"#)
        #expect(bad.status == 400 && (bad.json["error"] as? String)?.contains("users: expected a whole number") == true)
        #expect(try ui.post("/api/stop", "{}").status == 409)
        #expect(try ui.post("/api/change", #"{"users": "3"}"#).status == 409)
        await server.close(reason: .signal("SIGTERM"))
    }

    @Test func theBindAddressAndTheUIsOwnNames() throws {
        #expect(try ListenAddress.parse("8089", flag: "--bind") == ListenAddress(host: "127.0.0.1", port: 8089))
        #expect(try ListenAddress.parse("[::1]:9000", flag: "--bind") == ListenAddress(host: "::1", port: 9000))
        #expect(try ListenAddress.parse("0.0.0.0:8089", flag: "--bind").isLoopback == false)
        for bad in ["", "host:", ":80", "::1:80", "127.0.0.1:70000", "a b:80"] {
            #expect(throws: ConfigError.self, "\(bad)") { try ListenAddress.parse(bad, flag: "--bind") }
        }
        #expect(throws: ConfigError.self) { try ListenAddress.parse("x", flag: "--bind") }

        let wildcard = WebUIAccess(address: ListenAddress(host: "0.0.0.0", port: 8089))
        #expect(wildcard.isOwn(authority: "192.168.1.20:8089"))
        #expect(wildcard.isOwn(authority: "[fe80::1]:8089"))
        #expect(!wildcard.isOwn(authority: "intranet.example:8089"), "a name is what DNS rebinding uses")
        let named = WebUIAccess(address: ListenAddress(host: "10.0.0.5", port: 8089))
        #expect(named.isOwn(authority: "10.0.0.5:8089"))
        #expect(!named.isOwn(authority: "127.0.0.1:8089"))
        #expect(WebUIAccess.makeToken() != WebUIAccess.makeToken())
    }

    @Test func aRunStartedFromTheUIIsANormalRunThatCanBeChangedAndStopped() async throws {
        let target = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // loadops.yml aims elsewhere: the form's host is the one used.
        try """
            host: http://127.0.0.1:1
            load: { users: 2, spawn_rate: 50, duration: 1m, think_time: 10ms }
            endpoints:
              - get /health
              - "get /sessions/{uuid}"
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let launched = try await UI.start(in: directory)
        let (ui, server) = (launched.client, launched.server)
        let page = try ui.send("GET", "/", headers: ["X-LoadOps-Token: \(ui.token)"])
        #expect(page.body.contains("value=\"http://127.0.0.1:1\"") && page.body.contains("value=\"1m\""), "prefilled from loadops.yml")

        // A host outside the allowlist is refused as `loadops run` refuses it.
        #expect(try ui.post("/api/start", #"{"host": "http://example.com"}"#).status == 200)
        let refused = try await ui.waitFor(10, "the refusal") { $0["phase"] as? String == "failed" }
        #expect((refused["error"] as? String)?.contains("allow_hosts") == true, "\(refused)")

        let started = try ui.post("/api/start", #"{"host": "http://127.0.0.1:\#(target.port)"}"#)
        #expect(started.status == 200, "\(started.body)")
        #expect(try ui.post("/api/start", "{}").status == 409, "one run at a time")
        _ = try await ui.waitFor(10, "requests") { ($0["totalRequests"] as? Int ?? 0) > 0 }
        let changed = try ui.post("/api/change", #"{"users": "6"}"#)
        #expect(changed.status == 200, "\(changed.body)")
        #expect(try ui.post("/api/change", #"{"rate": "5/s"}"#).status == 400, "the closed model changes users")
        let running = try await ui.waitFor(10, "six users") { $0["users"] as? Int == 6 }
        #expect((running["changes"] as? [String])?.first?.hasSuffix("users set to 6") == true)
        #expect((running["rows"] as? [[String: Any]])?.count == 3, "two endpoints and the aggregate")
        #expect((running["charts"] as? [String])?.count == 3)

        #expect(try ui.post("/api/stop", "{}").status == 200)
        let finished = try await ui.waitFor(30, "the end") { $0["phase"] as? String == "finished" }
        let outcome = try #require(finished["outcome"] as? [String: Any])
        #expect(outcome["verdict"] as? String == "FAIL")
        #expect((outcome["status"] as? String) == "interrupted by \(WebUISession.stopButton)")
        let links = (outcome["links"] as? [[String: Any]])?.compactMap { $0["href"] as? String } ?? []
        #expect(links.contains("/results/\(HTMLReport.fileName)") && links.contains("/results/results.json"), "\(links)")
        #expect(outcome["runID"] as? Int == 1, "recorded in the history")

        // The same files as `loadops run`, served by name; the target counted what the results count.
        let output = "\(directory)/load_test_reports"
        let results = try ui.send("GET", "/results/results.json", headers: ["X-LoadOps-Token: \(ui.token)"])
        #expect(results.status == 200 && results.header("content-type") == "application/json")
        let document = try ResultsDocument.load(from: "\(output)/results.json")
        #expect(document.aggregate.requests == UInt64(target.counts().total))
        #expect(Int(document.aggregate.requests) == finished["totalRequests"] as? Int)
        #expect(document.timeSeries.map(\.users).max() == 6, "the change is in the time series")
        let log = try String(contentsOfFile: "\(output)/load_test.log", encoding: .utf8)
        #expect(log.contains("users set to 6 from the web UI at"))
        #expect(!log.contains(ui.token))
        let report = try ui.send("GET", "/results/\(HTMLReport.fileName)", headers: ["X-LoadOps-Token: \(ui.token)"])
        #expect(report.status == 200 && report.header("content-security-policy")?.hasPrefix("sandbox") == true)

        #expect(await server.close(reason: .signal("SIGTERM")) == false, "no run was under way")
        try await target.stop()
    }

    @Test func theOpenModelsRateChangedFromTheUIHoldsForTheRestOfTheRun() async throws {
        let target = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(target.port)
            load: { model: open, rate: 20/s, duration: 5s }
            endpoints: [get /health]
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let launched = try await UI.start(in: directory)
        let (ui, server) = (launched.client, launched.server)
        #expect(try ui.post("/api/start", "{}").status == 200)
        _ = try await ui.waitFor(10, "the first second") { ($0["totalRequests"] as? Int ?? 0) > 0 }
        #expect(try ui.post("/api/change", #"{"users": "5"}"#).status == 400, "the open model changes its rate")
        #expect(try ui.post("/api/change", #"{"rate": "12000/min"}"#).status == 200)
        let finished = try await ui.waitFor(30, "the end") { $0["phase"] as? String == "finished" }
        let document = try ResultsDocument.load(from: "\(directory)/load_test_reports/results.json")
        // 20/s for at most 2 s, then 200/s: far more than 5 s at 20/s would send.
        #expect(document.aggregate.requests > 400, "\(document.aggregate.requests)")
        #expect(document.aggregate.requests == UInt64(target.counts().total))
        #expect((finished["changes"] as? [String])?.first?.hasSuffix("rate set to 200/s") == true)
        #expect(await server.close(reason: .signal("SIGTERM")) == false)
        try await target.stop()
    }

    @Test func anAbortRuleThatStopsTheRunShowsOnThePage() async throws {
        let target = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(errorRate: 0.2))
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            host: http://127.0.0.1:\(target.port)
            load: { users: 4, spawn_rate: 100, duration: 60s }
            endpoints:
              - get /sessions/{uuid}
            abort: { grace: 1s, rules: ["error_rate > 5% over 2s"] }
            """.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        let launched = try await UI.start(in: directory)
        let (ui, server) = (launched.client, launched.server)
        #expect(try ui.post("/api/start", "{}").status == 200)
        let finished = try await ui.waitFor(30, "the abort") { $0["phase"] as? String == "finished" }
        let warnings = finished["warnings"] as? [String] ?? []
        #expect(warnings.contains { $0.hasPrefix("abort rule holds: error_rate > 5% over 2s") }, "\(warnings)")
        let outcome = try #require(finished["outcome"] as? [String: Any])
        #expect(outcome["verdict"] as? String == "FAIL")
        #expect((outcome["status"] as? String)?.hasPrefix("aborted: error_rate > 5% over 2s") == true)
        #expect(await server.close(reason: .signal("SIGTERM")) == false)
        try await target.stop()
    }

    @Test func theLivePercentilesAreReadFromTheLatencyBuckets() throws {
        var totals = EndpointRunningTotals()
        #expect(WebUIView.estimatedMilliseconds(totals, at: 0.5) == nil)
        // 100 requests of 26 ms, in the bucket from 25 ms to 50 ms: read near 26 ms, not halfway up the bucket.
        let bucket = try #require(EndpointRunningTotals.latencyBucketBounds.firstIndex(of: 0.05))
        totals.latencyCounts[bucket] = 100
        totals.latencySums[bucket] = 2.6
        let p50 = try #require(WebUIView.estimatedMilliseconds(totals, at: 0.5))
        let p99 = try #require(WebUIView.estimatedMilliseconds(totals, at: 0.99))
        #expect(abs(p50 - 26) < 0.01 && p99 > 26 && p99 <= 27, "\(p50) \(p99)")
        // Half at about 1 ms, half slower than the last bound (12 s on average).
        totals = EndpointRunningTotals()
        totals.latencyCounts[1] = 50
        totals.latencySums[1] = 0.05
        totals.latencyCounts[EndpointRunningTotals.latencyBucketBounds.count] = 50
        totals.latencySums[EndpointRunningTotals.latencyBucketBounds.count] = 600
        #expect(try #require(WebUIView.estimatedMilliseconds(totals, at: 0.25)) <= 1)
        let slow = try #require(WebUIView.estimatedMilliseconds(totals, at: 0.99))
        #expect(slow > 10_000 && slow <= 14_000, "\(slow)")
    }

    @Test func aRateChangeKeepsTheArrivalsAlreadyDue() {
        let schedule = ArrivalRateSchedule(rate: 10, duration: 10)
        let changed = schedule.changingRate(to: 100, at: 4)
        #expect(changed.duration == 10)
        #expect(changed.totalArrivals == 40 + 600)
        for n in 0..<40 { #expect(changed.time(ofArrival: n) == schedule.time(ofArrival: n)) }
        #expect(abs(changed.time(ofArrival: 40) - 4) < 1e-9)
        #expect(abs(changed.time(ofArrival: 140) - 5) < 1e-9)
        #expect(changed.rate(at: 3.9) == 10 && changed.rate(at: 4.1) == 100)
        // Within a ramp: the part before the change is kept as it was.
        let ramp = ArrivalRateSchedule(rate: 0, duration: 0, stages: [LoadStage(duration: 10, target: 100, ramp: true)])
        let cut = ramp.changingRate(to: 5, at: 5)
        for n in [0, 10, 100, 124] { #expect(abs(cut.time(ofArrival: n) - ramp.time(ofArrival: n)) < 1e-9) }
        #expect(cut.totalArrivals == 125 + 25)
        let users = UserCountSchedule(users: 10, spawnRate: 5, stages: [])
        #expect(users.next(current: 10, toward: 20, step: 0.05) == 10.25)
        #expect(users.next(current: 10, toward: 2, step: 1) == 5)
    }
}
