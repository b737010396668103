import Foundation
import NIOCore
import LoadTarget
import Testing
@testable import LoadOpsKit

/// Flows through the generator against the built-in target with session memory and logins, over
/// loopback. Serialized: load tests share two cores.
@Suite(.serialized) struct FlowGeneratorTests {
    private func plan(port: Int, flows: [FlowConfig], load: LoadSettings) -> LoadPlan {
        LoadPlan(target: TargetAddress(useTLS: false, host: "127.0.0.1", port: port), endpoints: [], flows: flows, load: load)
    }

    private func path(_ text: String) throws -> JSONPath {
        try JSONPathParser.parse(text)
    }

    /// Create a session for a UUID, read it back (its id must be the one sent), check in.
    private func checkinFlow() throws -> FlowConfig {
        FlowConfig(name: "checkin", variables: [FlowVariable(name: "id", template: "{uuid}")], steps: [
            FlowStep(request: EndpointConfig(name: "POST /sessions/{id}", method: "POST", path: "/sessions/{id}"),
                     checks: [ResponseCheck(name: "session created", condition: .status([201]))]),
            FlowStep(request: EndpointConfig(name: "GET /sessions/{id}", method: "GET", path: "/sessions/{id}"),
                     checks: [ResponseCheck(name: "same session", condition: .jsonPathEquals(try path("$.id"), template: "{id}"))]),
            FlowStep(request: EndpointConfig(name: "POST /patient_checkin/{id}", method: "POST", path: "/patient_checkin/{id}"),
                     checks: [ResponseCheck(name: "checked in", condition: .status([200]))]),
        ])
    }

    @Test func checkinFlowCarriesOneUUIDThroughItsSteps() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(rememberSessions: true))
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, flows: [try checkinFlow()],
                       load: LoadSettings(model: .closed, users: 6, spawnRate: 100, duration: 2)),
            stop: StopSignal())
        let counts = server.counts()
        try await server.stop()

        // The target's side: every session read or checked in was created first.
        #expect(counts.byStatus[404] == nil)
        #expect(counts.sessions?.unknown == 0)
        let flow = try #require(outcome.flows.first)
        #expect(flow.name == "checkin")
        #expect(flow.completed > 50)
        #expect(flow.failed == 0)
        #expect(outcome.endpoints.map(\.key.name) == ["POST /sessions/{id}", "GET /sessions/{id}", "POST /patient_checkin/{id}"])
        #expect(outcome.endpoints.allSatisfy { $0.failures == 0 })
        // Each step's count is the iterations that reached it: at most one iteration per user was cut by the end.
        let steps = outcome.endpoints.map { Int($0.requests) }
        #expect(steps[0] >= steps[1] && steps[1] >= steps[2])
        #expect(steps[0] - steps[2] <= 6)
        #expect(Int(flow.completed) == steps[2])
        #expect(Int(flow.started) - Int(flow.completed) <= 6)
        #expect(counts.total == steps.reduce(0, +))
        // Where the time went: every answered request has a time to first byte; each connection one connect.
        let first = outcome.endpoints[0].phases
        #expect(first.timeToFirstByte.totalCount == outcome.endpoints[0].requests)
        #expect(first.connect.totalCount >= 1 && first.connect.totalCount <= 6)
        #expect(first.tlsHandshake.totalCount == 0)
    }

    @Test func readingASessionNeverCreatedFailsTheCheckAndEndsTheIteration() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(rememberSessions: true))
        // The read uses a fresh UUID, not the one created: the target answers 404.
        let flow = FlowConfig(name: "broken", variables: [FlowVariable(name: "id", template: "{uuid}")], steps: [
            FlowStep(request: EndpointConfig(name: "create", method: "POST", path: "/sessions/{id}")),
            FlowStep(request: EndpointConfig(name: "read another", method: "GET", path: "/sessions/{uuid}"),
                     checks: [ResponseCheck(name: "session readable", condition: .status([200]))]),
            FlowStep(request: EndpointConfig(name: "check in", method: "POST", path: "/patient_checkin/{id}")),
        ])
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, flows: [flow], load: LoadSettings(model: .closed, users: 2, spawnRate: 100, duration: 1)),
            stop: StopSignal())
        try await server.stop()
        let stats = try #require(outcome.flows.first)
        #expect(stats.completed == 0)
        #expect(stats.failed > 10)
        #expect(stats.failedAtStep[1] == stats.failed)
        // The failure carries the check's name, and the step after it was never sent.
        #expect(outcome.endpoints[1].failuresByKind[.check("session readable")] == outcome.endpoints[1].requests)
        #expect(outcome.endpoints[2].requests == 0)
    }

    @Test func loginTokenIsSentOnEveryLaterStep() async throws {
        let account = TargetAccount(username: "alice", password: "wonderland")
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(accounts: [account]))
        func flow(password: String) throws -> FlowConfig {
            FlowConfig(name: "login", variables: [FlowVariable(name: "id", template: "{uuid}")], steps: [
                FlowStep(request: EndpointConfig(name: "login", method: "POST", path: "/login",
                                                 body: #"{"username":"alice","password":"\#(password)"}"#),
                         extractions: [Extraction(variable: "token", source: .jsonPath(try path("$.token")))],
                         checks: [ResponseCheck(name: "logged in", condition: .status([200]))]),
                FlowStep(request: EndpointConfig(name: "read", method: "GET", path: "/sessions/{id}",
                                                 headers: [("Authorization", "Bearer {token}")])),
                FlowStep(request: EndpointConfig(name: "check in", method: "POST", path: "/pre_checkin/{id}",
                                                 headers: [("Authorization", "Bearer {token}")])),
            ])
        }
        let good = try await LoadGenerator.run(
            plan: plan(port: server.port, flows: [try flow(password: "wonderland")],
                       load: LoadSettings(model: .closed, users: 2, spawnRate: 100, duration: 1)),
            stop: StopSignal())
        let afterGood = server.counts()
        #expect(good.flows[0].completed > 10)
        #expect(good.flows[0].failed == 0)
        #expect(afterGood.byStatus[401] == nil)
        #expect(afterGood.auth?.requestsRefused == 0)

        let wrong = try await LoadGenerator.run(
            plan: plan(port: server.port, flows: [try flow(password: "guess")],
                       load: LoadSettings(model: .closed, users: 2, spawnRate: 100, duration: 1)),
            stop: StopSignal())
        let afterWrong = server.counts()
        try await server.stop()
        #expect(wrong.flows[0].completed == 0)
        #expect(wrong.flows[0].failed > 10)
        #expect(wrong.endpoints[0].failuresByKind[.check("logged in")] == wrong.endpoints[0].requests)
        // Nothing after the refused login was sent.
        #expect(wrong.endpoints[1].requests == 0 && wrong.endpoints[2].requests == 0)
        #expect(afterWrong.total - afterGood.total == Int(wrong.endpoints[0].requests))
    }

    @Test func anExtractionThatFindsNothingFailsWithItsReason() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(rememberSessions: true))
        let flow = FlowConfig(name: "extract", variables: [FlowVariable(name: "id", template: "{uuid}")], steps: [
            FlowStep(request: EndpointConfig(name: "create", method: "POST", path: "/sessions/{id}"),
                     extractions: [Extraction(variable: "token", source: .jsonPath(try path("$.data.token")))]),
            FlowStep(request: EndpointConfig(name: "use", method: "GET", path: "/sessions/{token}")),
        ])
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, flows: [flow], load: LoadSettings(model: .closed, users: 1, spawnRate: 100, duration: 1)),
            stop: StopSignal())
        try await server.stop()
        let kinds = outcome.endpoints[0].failuresByKind
        #expect(kinds.count == 1)
        #expect(kinds.keys.first?.message == "ExtractionError: extraction of token failed: $.data.token not found")
        #expect(outcome.endpoints[1].requests == 0)
    }

    @Test func cookiesSetByAnAnswerGoBackOnLaterSteps() async throws {
        // A server that sets a cookie on /login; every request head is kept.
        let server = try await RecordingHTTPServer.start { path in
            path == "/login"
                ? "HTTP/1.1 200 OK\r\nSet-Cookie: sid=abc123; Path=/\r\nContent-Length: 2\r\n\r\n{}" : nil
        }
        let flow = FlowConfig(name: "cookies", steps: [
            FlowStep(request: EndpointConfig(name: "login", method: "POST", path: "/login")),
            FlowStep(request: EndpointConfig(name: "check", method: "GET", path: "/check")),
        ])
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, flows: [flow], load: LoadSettings(model: .closed, users: 1, spawnRate: 100, duration: 1)),
            stop: StopSignal())
        let heads = server.requests
        try await server.stop()
        let checks = heads.filter { $0.hasPrefix("GET /check ") }
        #expect(checks.count == Int(outcome.endpoints[1].requests))
        #expect(checks.count > 5)
        #expect(checks.allSatisfy { $0.contains("\r\nCookie: sid=abc123") })
        // The first login of the user had no cookie to send yet.
        #expect(heads.first.map { !$0.contains("Cookie:") } == true)
    }

    /// A server that closes every connection after its answer: the user reconnects while it thinks,
    /// and still sends its next step only when the pause is over.
    @Test func thinkTimeHoldsWhenTheServerClosesEveryConnection() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(closeEvery: 1, rememberSessions: true))
        var flow = try checkinFlow()
        flow.thinkTime = 0.2...0.2
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, flows: [flow], load: LoadSettings(model: .closed, users: 2, spawnRate: 100, duration: 2)),
            stop: StopSignal())
        let counts = server.counts()
        try await server.stop()
        // A request every 0.2 s per user, at most: about 10 per user in 2 s.
        let total = outcome.endpoints.reduce(0) { $0 + Int($1.requests) }
        #expect(total >= 12 && total <= 24, "\(total) requests")
        #expect(outcome.endpoints.allSatisfy { $0.failures == 0 })
        #expect(counts.byStatus[404] == nil)
        // Every request opened its own connection.
        #expect(outcome.endpoints.reduce(0) { $0 + Int($1.phases.connect.totalCount) } == total)
    }

    @Test func aSetCookieLineIsFoundInTheHeadOnly() {
        func sets(_ text: String) -> Bool { LoopFlows.setsCookie(ByteBuffer(string: text)) }
        #expect(sets("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nSET-COOKIE: a=1\r\n\r\n"))
        #expect(sets("HTTP/1.1 200 OK\r\nset-cookie:a=1\r\n\r\n"))
        #expect(!sets("HTTP/1.1 200 OK\r\nX-Set-Cookie: a=1\r\n\r\n"))
        #expect(!sets("HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\nSet-Cookie: a=1\r\n"))
        #expect(!sets("HTTP/1.1 200 OK\r\nSet-Cookie"))
    }

    /// Iterations start on the schedule; each step's count is the iterations that reached it.
    @Test func openModelStartsIterationsOnSchedule() async throws {
        let server = try await LoadTargetServer.start(port: 0, behaviour: TargetBehaviour(rememberSessions: true))
        var flow = try checkinFlow()
        flow.rate = 20
        let outcome = try await LoadGenerator.run(
            plan: plan(port: server.port, flows: [flow], load: LoadSettings(model: .open, duration: 3, maxConnections: 50)),
            stop: StopSignal())
        try await server.stop()
        let stats = try #require(outcome.flows.first)
        #expect(stats.started == 60)
        #expect(stats.completed == 60)
        #expect(outcome.endpoints.allSatisfy { $0.requests == 60 && $0.failures == 0 })
        #expect(outcome.droppedArrivals == 0)
    }
}
