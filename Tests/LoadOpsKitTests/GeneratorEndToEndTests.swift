import Foundation
import LoadTarget
import Testing
@testable import LoadOpsKit

/// The generator against real servers over loopback. Serialized: load tests share two cores.
@Suite(.serialized) struct GeneratorEndToEndTests {
    private func plan(port: Int, endpoints: [EndpointConfig], load: LoadSettings) -> LoadPlan {
        LoadPlan(target: TargetAddress(useTLS: false, host: "127.0.0.1", port: port), endpoints: endpoints, load: load)
    }

    @Test func closedModelCountMatchesBuiltInTarget() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let endpoints = [
            EndpointConfig(method: "GET", path: "/sessions/{uuid}", weight: 3),
            EndpointConfig(method: "POST", path: "/patient_checkin/{uuid}", body: #"{"status":"arrived"}"#, weight: 1),
        ]
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, endpoints: endpoints, load: LoadSettings(model: .closed, users: 8, spawnRate: 100, duration: 2)),
            stop: StopSignal())
        let counts = server.counts()
        try await server.stop()
        let total = outcome.endpoints.reduce(0) { $0 + $1.requests }
        #expect(total > 100)
        #expect(Int(total) == counts.total)
        #expect(outcome.endpoints.allSatisfy { $0.failures == 0 })
        // Weights 3:1, interleaved exactly by the chooser (each user's next pick comes from the shared sequence).
        let ratio = Double(outcome.endpoints[0].requests) / Double(max(outcome.endpoints[1].requests, 1))
        #expect(ratio > 2.7 && ratio < 3.3)
        #expect(outcome.timeSeries.count >= 2)
    }

    @Test func closedModelCountMatchesNginx() async throws {
        let nginx = try NginxServer()
        try await nginx.waitUntilReady()
        let before = try nginx.requestCount()
        let outcome = try await LoadGenerator.run(
            plan: plan(port: nginx.port, endpoints: [EndpointConfig(path: "/")],
                       load: LoadSettings(model: .closed, users: 20, spawnRate: 1000, duration: 2)),
            stop: StopSignal())
        let after = try nginx.requestCount()
        await nginx.stop()
        let sent = outcome.endpoints[0].requests
        #expect(sent > 1000)
        #expect(outcome.endpoints[0].failures == 0)
        // stub_status counts its own requests: one per reading.
        #expect(Int(sent) == after - before - 1)
    }

    /// A step down (as in a step load profile): the users who leave close their connections and send
    /// nothing more, while the others go on; every request sent is one nginx counted.
    @Test func usersWhoLeaveCloseTheirConnections() async throws {
        let nginx = try NginxServer()
        let load = LoadSettings(model: .closed, users: 1, spawnRate: 1000,
                                stages: [LoadStage(duration: 2, target: 40), LoadStage(duration: 3, target: 10)])
        let before: Int, after: Int
        var readings = 0
        var reachedForty = false, settledAtTen = false
        var seen: [Int] = []
        let outcome: GeneratorOutcome
        do {
            try await nginx.waitUntilReady()
            before = try nginx.requestCount()
            let started = ContinuousClock.now
            let generator = Task {
                try await LoadGenerator.run(plan: plan(port: nginx.port, endpoints: [EndpointConfig(path: "/")], load: load),
                                            stop: StopSignal())
            }
            // Poll nginx's count of open connections: 40 during the first stage, then 10 once the
            // step down has closed the others. Deadlines, not fixed sleeps, so a busy machine only waits longer.
            while !reachedForty && ContinuousClock.now - started < .milliseconds(1800) {
                let active = try nginx.activeConnections()
                readings += 1
                seen.append(active)
                reachedForty = active == 40
                if !reachedForty { try await Task.sleep(for: .milliseconds(50)) }
            }
            while !settledAtTen && ContinuousClock.now - started < .milliseconds(4800) {
                if ContinuousClock.now - started >= .milliseconds(2000) {
                    let active = try nginx.activeConnections()
                    readings += 1
                    seen.append(active)
                    settledAtTen = active == 10
                }
                if !settledAtTen { try await Task.sleep(for: .milliseconds(50)) }
            }
            outcome = try await generator.value
            after = try nginx.requestCount()
        } catch {
            await nginx.stop()  // a failing test must not leave its nginx behind
            throw error
        }
        await nginx.stop()

        #expect(reachedForty, "open connections seen: \(seen)")
        #expect(settledAtTen, "open connections seen: \(seen)")
        #expect(outcome.timeSeries.contains { $0.elapsed > 3 && $0.elapsed < 5 && $0.users == 10 }, "\(outcome.timeSeries.map(\.users))")
        #expect(outcome.timeSeries.allSatisfy { $0.elapsed < 2.5 || $0.users <= 10 }, "\(outcome.timeSeries.map(\.users))")
        #expect(outcome.endpoints[0].requests > 1000 && outcome.endpoints[0].failures == 0)
        // stub_status counts its own requests: every reading between the two counts, and the last count itself.
        #expect(Int(outcome.endpoints[0].requests) == after - before - readings - 1)
    }

    @Test func httpsWithInsecureAgainstSelfSignedNginx() async throws {
        let nginx = try NginxServer(tls: true)
        try await nginx.waitUntilReady()
        let tlsPort = try #require(nginx.tlsPort)
        let before = try nginx.requestCount()
        let target = TargetAddress(useTLS: true, host: "127.0.0.1", port: tlsPort)
        let load = LoadSettings(model: .closed, users: 4, spawnRate: 100, duration: 1)
        let insecure = try await LoadGenerator.run(
            plan: LoadPlan(target: target, endpoints: [EndpointConfig(path: "/")], load: load, insecure: true), stop: StopSignal())
        let verified = try await LoadGenerator.run(
            plan: LoadPlan(target: target, endpoints: [EndpointConfig(path: "/")], load: load, insecure: false), stop: StopSignal())
        let after = try nginx.requestCount()
        await nginx.stop()
        #expect(insecure.endpoints[0].requests > 100)
        #expect(insecure.endpoints[0].failures == 0)
        // Where the time went: each of the 4 connections did one TCP connect and one TLS handshake,
        // counted with its first request; every answered request has its time to first byte.
        let phases = insecure.endpoints[0].phases
        #expect(phases.connect.totalCount == 4)
        #expect(phases.tlsHandshake.totalCount == 4)
        #expect(phases.tlsHandshake.mean > 0)
        #expect(phases.timeToFirstByte.totalCount == insecure.endpoints[0].requests)
        // Without --insecure a self-signed certificate is refused: every attempt fails, none reaches nginx.
        #expect(verified.endpoints[0].requests > 0)
        #expect(verified.endpoints[0].failures == verified.endpoints[0].requests)
        #expect(verified.endpoints[0].failuresByKind.keys.allSatisfy { if case .tls = $0 { true } else { false } },
                "\(verified.endpoints[0].failuresByKind)")
        #expect(Int(insecure.endpoints[0].requests) == after - before - 1)
    }

    @Test func openModelHoldsItsRate() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let rate = 300.0
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, endpoints: [
                EndpointConfig(path: "/sessions/{uuid}", rate: rate * 2 / 3),
                EndpointConfig(path: "/pre_checkin/{uuid}", rate: rate / 3),
            ], load: LoadSettings(model: .open, duration: 10, maxConnections: 100)),
            stop: StopSignal())
        let counts = server.counts()
        try await server.stop()
        let total = Double(outcome.endpoints.reduce(0) { $0 + $1.requests })
        let achieved = total / 10
        #expect(abs(achieved - rate) / rate < 0.02, "achieved \(achieved) req/s against \(rate)")
        #expect(Int(total) == counts.total)
        // Every full second of the series is within 2% of the rate, too.
        let fullSeconds = outcome.timeSeries.dropFirst().dropLast(2)
        for point in fullSeconds {
            #expect(abs(point.requestsPerSecond - rate) / rate < 0.05, "second \(point.elapsed): \(point.requestsPerSecond) req/s")
        }
        #expect(Double(outcome.endpoints[0].requests) / total > 0.65 && Double(outcome.endpoints[0].requests) / total < 0.68)
    }

    #if os(Linux)
    /// At 200 arrivals/s the answers wait for the next arrival's wake-up instead of waking the loop
    /// themselves: the loop's thread sleeps about once per arrival, not twice, and an answer read up
    /// to 5 ms late is still timed by when it arrived.
    @Test func answersWaitForTheNextArrivalAndKeepTheirTime() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: .healthy)
        let rate = 200.0
        async let run = LoadGenerator.run(
            plan: plan(port: server.port, endpoints: [EndpointConfig(path: "/sessions/{uuid}")],
                       load: LoadSettings(model: .open, duration: 2.5, rate: rate, maxConnections: 20)),
            stop: StopSignal())
        try await Task.sleep(for: .milliseconds(700))
        let first = Self.loopSleeps()
        let clock = ContinuousClock()
        let start = clock.now
        try await Task.sleep(for: .milliseconds(1200))
        let window = clock.now - start
        let second = Self.loopSleeps()
        let outcome = try await run
        try await server.stop()

        let arrivals = rate * (Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18)
        let sleeps = Double(second - first)
        #expect(first > 0)
        #expect(sleeps < arrivals * 1.5, "the loop slept \(sleeps) times for \(arrivals) arrivals")
        #expect(outcome.endpoints[0].failures == 0)
        let p50 = Double(outcome.endpoints[0].uncorrected.valueAtPercentile(50)) / 1000
        #expect(p50 < 2, "median \(p50) ms: answers are timed by their arrival, not by the read 5 ms later")
    }

    /// How many times the generator's loop thread has gone to sleep (its voluntary context switches).
    private static func loopSleeps() -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for task in tasks {
            let comm = (try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)) ?? ""
            guard comm.trimmingCharacters(in: .whitespacesAndNewlines) == "loadops-loop",
                  let status = try? String(contentsOfFile: "/proc/self/task/\(task)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("voluntary_ctxt_switches:") }),
                  let count = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) else { continue }
            return count
        }
        return 0
    }
    #endif

    @Test func stallShowsInOpenModelButNotInClosedUncorrected() async throws {
        // The target stalls 1 s every 5 s; each run lasts 10 s, so it meets at least one stall.
        // (/health ignores the behaviour knobs, so the check-in route is used.)
        let stall = TargetStall(every: .seconds(5), duration: .seconds(1))
        let openServer = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(stall: stall))
        let open = try await LoadGenerator.run(
            plan: plan(port: openServer.port, endpoints: [EndpointConfig(path: "/sessions/{uuid}")],
                       load: LoadSettings(model: .open, duration: 10, rate: 200, maxConnections: 400)),
            stop: StopSignal())
        try await openServer.stop()

        let closedServer = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(stall: stall))
        let closed = try await LoadGenerator.run(
            plan: plan(port: closedServer.port, endpoints: [EndpointConfig(path: "/sessions/{uuid}")],
                       load: LoadSettings(model: .closed, users: 4, spawnRate: 100, duration: 10)),
            stop: StopSignal())
        try await closedServer.stop()

        let openP99 = Double(open.endpoints[0].latency.valueAtPercentile(99)) / 1000
        let openUncorrectedP99 = Double(open.endpoints[0].uncorrected.valueAtPercentile(99)) / 1000
        let closedP99 = Double(closed.endpoints[0].uncorrected.valueAtPercentile(99)) / 1000
        #expect(openP99 > 500, "open model p99 \(openP99) ms should show the 1 s stall")
        #expect(openP99 >= openUncorrectedP99)
        #expect(closedP99 < 100, "closed model uncorrected p99 \(closedP99) ms hides the stall")
        #expect(Double(closed.endpoints[0].uncorrected.max) / 1000 > 500, "but its max still saw it")
    }

    @Test func thinkTimeHoldsWhenTheServerClosesEveryConnection() async throws {
        // Every answer carries Connection: close; the user must still think 100 ms between requests.
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(closeEvery: 1))
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, endpoints: [EndpointConfig(path: "/sessions/{uuid}"), EndpointConfig(path: "/pre_checkin/{uuid}")],
                       load: LoadSettings(model: .closed, users: 1, spawnRate: 100, duration: 2, thinkTime: 0.1...0.1)),
            stop: StopSignal())
        let counts = server.counts()
        try await server.stop()
        let total = outcome.endpoints.reduce(0) { $0 + $1.requests }
        #expect(total >= 10 && total <= 21, "\(total) requests in 2 s with 100 ms think time")
        #expect(Int(total) == counts.total)
        #expect(outcome.endpoints.allSatisfy { $0.failures == 0 })
        // Reconnecting keeps the endpoint it was going to call: the shares stay exact.
        #expect(abs(Int(outcome.endpoints[0].requests) - Int(outcome.endpoints[1].requests)) <= 1)
    }

    @Test func refusedConnectionsAreCountedAsFailures() async throws {
        let port = TestSupport.freePort()
        let outcome = try await LoadGenerator.run(
            plan: plan(port: port, endpoints: [EndpointConfig(path: "/")],
                       load: LoadSettings(model: .closed, users: 2, spawnRate: 100, duration: 1)),
            stop: StopSignal())
        #expect(outcome.endpoints[0].requests > 0)
        #expect(outcome.endpoints[0].failures == outcome.endpoints[0].requests)
        #expect(outcome.endpoints[0].failuresByKind[.connectionRefused] == outcome.endpoints[0].requests)
    }

    @Test func httpErrorsAndRateLimitAreClassified() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(rateLimit: 50))
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, endpoints: [EndpointConfig(path: "/pre_checkin/{uuid}")],
                       load: LoadSettings(model: .open, duration: 2, rate: 200, maxConnections: 20)),
            stop: StopSignal())
        let counts = server.counts()
        try await server.stop()
        let throttled = outcome.endpoints[0].failuresByKind[.httpStatus(429)] ?? 0
        #expect(throttled > 0)
        #expect(Int(throttled) == counts.byStatus[429] ?? -1)
    }
}
