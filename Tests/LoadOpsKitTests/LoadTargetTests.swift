import Foundation
import Testing

@testable import LoadTarget

private let sessionID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"

/// Starts a target on a free loopback port, runs `body`, and always stops it.
@discardableResult
private func withTarget<Result>(
    _ behaviour: TargetBehaviour = .healthy,
    _ body: (LoadTargetServer) async throws -> Result
) async throws -> Result {
    let server = try await LoadTargetServer.start(behaviour: behaviour)
    do {
        let result = try await body(server)
        try await server.stop()
        return result
    } catch {
        try? await server.stop()
        throw error
    }
}

private func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

@Suite(.serialized, .timeLimit(.minutes(1)))
struct LoadTargetTests {
    @Test func answersEachRouteWithItsStatusAndBody() async throws {
        try await withTarget { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                let health = try await connection.request("GET", "/health")
                #expect(health.status == 200)
                #expect(health.body == #"{"status":"ok"}"#)
                #expect(health.header("content-type") == "application/json")

                let session = try await connection.request("GET", "/sessions/\(sessionID)")
                #expect(session.status == 200)
                #expect(session.body == #"{"id":"\#(sessionID)","status":"authorized"}"#)

                let created = try await connection.request("POST", "/sessions/\(sessionID)", body: #"{"dob":"1950-01-27","last4":"1234"}"#)
                #expect(created.status == 200)
                #expect(created.body == #"{"id":"\#(sessionID)","status":"created"}"#)

                let upper = sessionID.uppercased()
                let checkin = try await connection.request("POST", "/patient_checkin/\(upper)?from=test", body: "{}")
                #expect(checkin.status == 200)
                #expect(checkin.body == #"{"id":"\#(upper)","status":"checked_in"}"#)

                let preCheckin = try await connection.request("GET", "/pre_checkin/\(sessionID)")
                #expect(preCheckin.status == 200)
                #expect(preCheckin.body.contains(#""status":"ready""#))

                let echo = try await connection.request("PUT", "/some/\"other\"/path?x=1", body: "hello")
                #expect(echo.status == 200)
                #expect(echo.body == #"{"method":"PUT","path":"/some/\"other\"/path?x=1","body_bytes":5}"#)

                let healthByPost = try await connection.request("POST", "/health", body: "")
                #expect(healthByPost.status == 405)
                #expect(healthByPost.header("allow") == "GET")
            }
        }
    }

    @Test func rejectsIdsThatAreNotUUIDsAndUnsupportedMethods() async throws {
        try await withTarget { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                for badID in ["42", "not-a-uuid", String(sessionID.dropLast()) + "g", sessionID + "0", "\(sessionID)/extra", ""] {
                    let response = try await connection.request("GET", "/sessions/\(badID)")
                    #expect(response.status == 400, "id '\(badID)'")
                    #expect(response.body == #"{"error":"id is not a UUID"}"#)
                }
                let deleted = try await connection.request("DELETE", "/pre_checkin/\(sessionID)")
                #expect(deleted.status == 405)
                #expect(deleted.header("allow") == "GET, POST")
                let patched = try await connection.request("PATCH", "/patient_checkin/\(sessionID)", body: "{}")
                #expect(patched.status == 405)
            }
            #expect(server.counts().byStatus == [400: 6, 405: 2])
        }
    }

    @Test func answersPipelinedRequestsInOrderEvenWhenDelayed() async throws {
        try await withTarget(TargetBehaviour(latency: .uniform(min: .milliseconds(1), max: .milliseconds(20)))) { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                let ids = (0..<5).map { index in "00000000-0000-0000-0000-00000000000\(index)" }
                let pipelined = ids.map { RawHTTPConnection.requestText("GET", "/sessions/\($0)") }.joined()
                try await connection.send(pipelined)
                for id in ids {
                    let response = try await connection.readResponse()
                    #expect(response.body.contains(id))
                }
            }
        }
    }

    @Test func countsEveryRequestButNotTheStatsRoute() async throws {
        try await withTarget { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                for _ in 0..<12 {
                    _ = try await connection.request("GET", "/sessions/\(sessionID)")
                }
                for _ in 0..<7 {
                    _ = try await connection.request("POST", "/pre_checkin/\(sessionID)", body: "{}")
                }
                for _ in 0..<3 {
                    _ = try await connection.request("GET", "/sessions/nope")
                }
                _ = try await connection.request("GET", "/health")
                _ = try await connection.request("GET", "/elsewhere")
                _ = try await connection.request("DELETE", "/elsewhere")

                let stats = try await connection.request("GET", "/__target/stats")
                #expect(stats.status == 200)
                let decoded = try JSONSerialization.jsonObject(with: Data(stats.body.utf8)) as? [String: Any]
                #expect(decoded?["total"] as? Int == 25)
                let byStatus = decoded?["by_status"] as? [String: Int]
                #expect(byStatus == ["200": 22, "400": 3])
                _ = try await connection.request("GET", "/__target/stats")
            }
            let counts = server.counts()
            #expect(counts.total == 25)
            #expect(counts.byStatus == [200: 22, 400: 3])
            #expect(counts.byRoute == ["GET /sessions/{id}": 15, "POST /pre_checkin/{id}": 7, "GET /health": 1, "echo": 2])
            #expect(counts.description == "requests served: 25 (200: 22, 400: 3)")
        }
    }

    @Test func failsExactlyTheConfiguredFractionOfRequests() async throws {
        try await withTarget(TargetBehaviour(errorRate: 0.1)) { server in
            var failedPositions: [Int] = []
            try await withRawHTTPConnection(port: server.port) { connection in
                for position in 1...100 {
                    let response = try await connection.request("GET", "/sessions/\(sessionID)")
                    if response.status == 500 {
                        failedPositions.append(position)
                        #expect(response.body == #"{"error":"injected failure"}"#)
                    } else {
                        #expect(response.status == 200)
                    }
                }
                // Control routes are never failed.
                for _ in 0..<20 {
                    #expect(try await connection.request("GET", "/health").status == 200)
                }
            }
            #expect(failedPositions == Array(stride(from: 10, through: 100, by: 10)))
            #expect(server.counts().byStatus == [200: 110, 500: 10])
        }
    }

    @Test func throttlesPastTheRateLimitWithRetryAfter() async throws {
        let limit = 20
        try await withTarget(TargetBehaviour(rateLimit: limit)) { server in
            var statuses: [Int] = []
            try await withRawHTTPConnection(port: server.port) { connection in
                for _ in 0..<(3 * limit) {
                    let response = try await connection.request("GET", "/pre_checkin/\(sessionID)")
                    statuses.append(response.status)
                    if response.status == 429 {
                        #expect(response.header("retry-after") == "1")
                    }
                }
                #expect(try await connection.request("GET", "/health").status == 200)
            }
            // The burst takes milliseconds; even if it straddles a window boundary,
            // at most two windows' worth of requests get through.
            let accepted = statuses.filter { $0 == 200 }.count
            #expect(statuses.first == 200)
            #expect(accepted >= limit && accepted <= 2 * limit)
            #expect(statuses.filter { $0 == 429 }.count == 3 * limit - accepted)
            #expect(server.counts().byStatus[429] == 3 * limit - accepted)
        }
    }

    @Test func rateLimitWindowResetsAfterOneSecond() async throws {
        try await withTarget(TargetBehaviour(rateLimit: 2)) { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                var first: [Int] = []
                for _ in 0..<4 {
                    first.append(try await connection.request("GET", "/x").status)
                }
                #expect(first.filter { $0 == 429 }.count >= 1)
                try await Task.sleep(for: .milliseconds(1100))
                #expect(try await connection.request("GET", "/x").status == 200)
            }
        }
    }

    @Test func fixedLatencyDelaysEveryAnswer() async throws {
        try await withTarget(TargetBehaviour(latency: .fixed(.milliseconds(120)))) { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                let clock = ContinuousClock()
                for _ in 0..<3 {
                    let started = clock.now
                    let response = try await connection.request("GET", "/sessions/\(sessionID)")
                    #expect(response.status == 200)
                    #expect(clock.now - started >= .milliseconds(120))
                }
                // Health checks are not slowed down.
                let started = clock.now
                _ = try await connection.request("GET", "/health")
                #expect(clock.now - started < .milliseconds(120))
            }
        }
    }

    @Test func latencyDistributionsStayWithinTheirShape() {
        var uniform = TargetLedger(behaviour: TargetBehaviour(latency: .uniform(min: .milliseconds(10), max: .milliseconds(50))))
        let uniformSamples = (0..<2000).map { _ in uniform.admit(slot: 0, routedStatus: 200, elapsedNanoseconds: 0).latencyNanoseconds }
        #expect(uniformSamples.allSatisfy { $0 >= 10_000_000 && $0 <= 50_000_000 })
        #expect(uniformSamples.contains { $0 < 15_000_000 } && uniformSamples.contains { $0 > 45_000_000 })

        var normal = TargetLedger(behaviour: TargetBehaviour(latency: .normal(mean: .milliseconds(50), stddev: .milliseconds(10))))
        let normalSamples = (0..<4000).map { _ in Double(normal.admit(slot: 0, routedStatus: 200, elapsedNanoseconds: 0).latencyNanoseconds) / 1e6 }
        let mean = normalSamples.reduce(0, +) / Double(normalSamples.count)
        let variance = normalSamples.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(normalSamples.count)
        #expect(abs(mean - 50) < 1.5)
        #expect(abs(variance.squareRoot() - 10) < 1.5)
        #expect(normalSamples.allSatisfy { $0 >= 0 })
    }

    @Test func stallHoldsRequestsUntilTheWindowEnds() async throws {
        // Windows are [2 s, 3 s), [4 s, 5 s), … after the server starts.
        let every = Duration.seconds(2), length = Duration.seconds(1)
        let clock = ContinuousClock()
        // The server's clock starts between these two readings: an instant on ours is at most
        // `spread` later than the same instant on the server's, and never earlier.
        let beforeStart = clock.now
        try await withTarget(TargetBehaviour(stall: TargetStall(every: every, duration: length))) { server in
            let spread = clock.now - beforeStart
            try await withRawHTTPConnection(port: server.port) { connection in
                // Before the first window: answered before it begins, not held.
                #expect(try await connection.request("GET", "/x").status == 200)
                #expect(clock.now - beforeStart < every)

                // Inside a window: held until it ends. After it: answered before the next one. When
                // the machine is too busy to send at those moments, try the next window, up to a deadline.
                var heldChecked = false, freeChecked = false
                var window = 1
                while !(heldChecked && freeChecked) && window <= 8 {
                    let windowStart = beforeStart + every * window
                    try await Task.sleep(until: windowStart + spread + .milliseconds(200), clock: clock)
                    let sent = clock.now
                    // Sent after the server's window began and before it can have ended.
                    if !heldChecked && sent < windowStart + length - .milliseconds(100) {
                        #expect(try await connection.request("GET", "/sessions/\(sessionID)").status == 200)
                        let answered = clock.now
                        #expect(answered >= windowStart + length,
                                "sent \(milliseconds(sent - windowStart)) ms into the window, answered \(milliseconds(answered - windowStart)) ms into it")
                        heldChecked = true
                    }
                    try await Task.sleep(until: windowStart + length + spread + .milliseconds(100), clock: clock)
                    if !freeChecked && clock.now < windowStart + every - .milliseconds(500) {
                        #expect(try await connection.request("GET", "/x").status == 200)
                        #expect(clock.now < windowStart + every, "held outside a window")
                        freeChecked = true
                    }
                    window += 1
                }
                #expect(heldChecked && freeChecked, "never managed to send inside and outside a window (server start took \(spread))")
            }
        }
    }

    @Test func stallWindowsFollowTheSchedule() {
        let stall = TargetStall(every: .seconds(5), duration: .seconds(1))
        let second: Int64 = 1_000_000_000
        #expect(stallAdjusted(dueNanoseconds: 500_000_000, stall: stall) == 500_000_000)
        #expect(stallAdjusted(dueNanoseconds: 5 * second, stall: stall) == 6 * second)
        #expect(stallAdjusted(dueNanoseconds: 5 * second + 999_999_999, stall: stall) == 6 * second)
        #expect(stallAdjusted(dueNanoseconds: 6 * second, stall: stall) == 6 * second)
        #expect(stallAdjusted(dueNanoseconds: 10 * second + 1, stall: stall) == 11 * second)
        #expect(stallAdjusted(dueNanoseconds: 7 * second, stall: nil) == 7 * second)
    }

    @Test func closesTheConnectionWhenAskedOrEveryNthResponse() async throws {
        try await withTarget(TargetBehaviour(closeEvery: 3)) { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                #expect(try await connection.request("GET", "/a").header("connection") == nil)
                #expect(try await connection.request("GET", "/b").header("connection") == nil)
                let third = try await connection.request("GET", "/c")
                #expect(third.header("connection") == "close")
                #expect(try await connection.readsEndOfStream())
            }
            try await withRawHTTPConnection(port: server.port) { connection in
                try await connection.send("GET /health HTTP/1.0\r\n\r\n")
                let response = try await connection.readResponse()
                #expect(response.status == 200)
                #expect(response.header("connection") == "close")
                #expect(try await connection.readsEndOfStream())
            }
        }
    }

    @Test func stopReleasesThePort() async throws {
        let server = try await LoadTargetServer.start(behaviour: .healthy)
        let port = server.port
        #expect(port > 0)
        let status = try await withRawHTTPConnection(port: port) { connection in
            try await connection.request("GET", "/health").status
        }
        #expect(status == 200)
        try await server.stop()
        try await server.stop()  // a second stop is harmless

        await #expect(throws: (any Error).self) {
            try await withRawHTTPConnection(port: port) { connection in
                _ = try await connection.request("GET", "/health")
            }
        }
        let again = try await LoadTargetServer.start(port: port, behaviour: .healthy)
        #expect(again.port == port)
        try await again.stop()
    }

    @Test func refusesAPortAlreadyInUse() async throws {
        try await withTarget { server in
            await #expect(throws: LoadTargetStartError.self) {
                let second = try await LoadTargetServer.start(port: server.port, behaviour: .healthy)
                try await second.stop()
            }
        }
    }
}

@Suite struct LoadTargetOptionTests {
    @Test func readsLatencySyntax() throws {
        #expect(try TargetLatency.parse("20ms") == .fixed(.milliseconds(20)))
        #expect(try TargetLatency.parse("1.5s") == .fixed(.milliseconds(1500)))
        #expect(try TargetLatency.parse("250us") == .fixed(.microseconds(250)))
        #expect(try TargetLatency.parse("10ms-50ms") == .uniform(min: .milliseconds(10), max: .milliseconds(50)))
        #expect(try TargetLatency.parse("normal:50ms,10ms") == .normal(mean: .milliseconds(50), stddev: .milliseconds(10)))
        #expect(try TargetLatency.parse("0") == TargetLatency.none)
        for bad in ["fast", "50ms-10ms", "normal:50ms", "-5ms", "infms", "10ms-", "1e3ms", "2d"] {
            #expect(throws: TargetOptionError.self, "\(bad)") { try TargetLatency.parse(bad) }
        }
        do {
            _ = try TargetLatency.parse("20 parsecs")
            Issue.record("'20 parsecs' should not parse")
        } catch {
            #expect(error.description.hasPrefix("--latency: cannot use '20 parsecs': expected a delay such as 20ms"))
        }
    }

    @Test func readsErrorRatesAndRateLimits() throws {
        #expect(try parseTargetErrorRate("0.05") == 0.05)
        #expect(try parseTargetErrorRate("5%") == 0.05)
        #expect(try parseTargetErrorRate("100%") == 1)
        for bad in ["1.5", "-0.1", "150%", "five", "nan"] {
            #expect(throws: TargetOptionError.self, "\(bad)") { try parseTargetErrorRate(bad) }
        }
        #expect(try parseTargetRateLimit("100") == 100)
        #expect(throws: TargetOptionError.self) { try parseTargetRateLimit("0") }
        #expect(throws: TargetOptionError.self) { try parseTargetRateLimit("10.5") }
        #expect(try parseTargetDuration("5s", option: "stall-every") == .seconds(5))
    }

    @Test func rejectsStallsThatNeverEnd() {
        let behaviour = TargetBehaviour(stall: TargetStall(every: .seconds(1), duration: .seconds(1)))
        #expect(throws: TargetOptionError.self) { try behaviour.validate() }
    }

    @Test func summarisesTheBehaviour() {
        let behaviour = TargetBehaviour(
            latency: .uniform(min: .milliseconds(10), max: .milliseconds(50)), errorRate: 0.05, rateLimit: 100,
            stall: TargetStall(every: .seconds(5), duration: .seconds(1)))
        #expect(behaviour.summary == "latency 10ms-50ms, error rate 5%, rate limit 100 req/s, stall 1s every 5s")
        #expect(TargetBehaviour.healthy.summary == "no latency, no errors, no rate limit")
    }
}
