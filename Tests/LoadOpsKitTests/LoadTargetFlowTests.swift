import Foundation
import Testing

@testable import LoadTarget

private let firstSession = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
private let secondSession = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
private let thirdSession = "16fd2706-8baf-433b-82eb-8c7fada847da"

private let accounts = [
    TargetAccount(username: "alice", password: "s3cret-alice"),
    TargetAccount(username: "bob", password: "pa:ss"),
]

/// Starts a target on a free loopback port, runs `body`, and always stops it.
@discardableResult
private func withFlowTarget<Result>(
    _ behaviour: TargetBehaviour,
    threads: Int = 1,
    _ body: (LoadTargetServer) async throws -> Result
) async throws -> Result {
    let server = try await LoadTargetServer.start(behaviour: behaviour, threads: threads)
    do {
        let result = try await body(server)
        try await server.stop()
        return result
    } catch {
        try? await server.stop()
        throw error
    }
}

private func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}

private func loginBody(_ username: String, _ password: String) -> String {
    #"{"username":"\#(username)","password":"\#(password)"}"#
}

/// Logs in and returns the token.
private func login(_ connection: RawHTTPConnection, _ username: String, _ password: String) async throws -> String {
    let response = try await connection.request("POST", "/login", body: loginBody(username, password))
    #expect(response.status == 200, "login as \(username): \(response.body)")
    return try #require(try jsonObject(response.body)["token"] as? String)
}

@Suite(.serialized, .timeLimit(.minutes(1)))
struct LoadTargetSessionTests {
    @Test func answersOnlySessionsCreatedBefore() async throws {
        try await withFlowTarget(TargetBehaviour(rememberSessions: true)) { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                let unknown = try await connection.request("GET", "/sessions/\(firstSession)")
                #expect(unknown.status == 404)
                #expect(unknown.body == #"{"error":"no such session"}"#)
                #expect(unknown.header("content-type") == "application/json")
                #expect(try await connection.request("POST", "/patient_checkin/\(firstSession)", body: "{}").status == 404)
                #expect(try await connection.request("GET", "/pre_checkin/\(firstSession)").status == 404)

                let created = try await connection.request("POST", "/sessions/\(firstSession)", body: #"{"dob":"1950-01-27"}"#)
                #expect(created.status == 201)
                #expect(created.body == #"{"id":"\#(firstSession)","status":"created"}"#)
                #expect(created.header("content-type") == "application/json")

                // The id is compared whatever the case of its hex digits; the answer repeats it as sent.
                let upper = firstSession.uppercased()
                let read = try await connection.request("GET", "/sessions/\(upper)")
                #expect(read.status == 200)
                #expect(read.body == #"{"id":"\#(upper)","status":"authorized"}"#)
                let checkin = try await connection.request("POST", "/patient_checkin/\(firstSession)?from=test", body: "{}")
                #expect(checkin.status == 200)
                #expect(checkin.body == #"{"id":"\#(firstSession)","status":"checked_in"}"#)
                #expect(try await connection.request("GET", "/pre_checkin/\(firstSession)").body.contains(#""status":"ready""#))

                // Another session is still unknown; everything else answers as without sessions.
                #expect(try await connection.request("GET", "/patient_checkin/\(secondSession)").status == 404)
                #expect(try await connection.request("GET", "/sessions/not-a-uuid").status == 400)
                #expect(try await connection.request("DELETE", "/sessions/\(firstSession)").status == 405)
                #expect(try await connection.request("GET", "/elsewhere").status == 200)
                #expect(try await connection.request("GET", "/health").status == 200)

                let stats = try jsonObject(try await connection.request("GET", "/__target/stats").body)
                #expect(stats["sessions"] as? [String: Int] == ["created": 1, "unknown": 4, "remembered": 1])
                #expect(stats["by_status"] as? [String: Int] == ["200": 5, "201": 1, "400": 1, "404": 4, "405": 1])
                #expect(stats["auth"] == nil)
            }
            let counts = server.counts()
            #expect(counts.sessions == TargetSessionCounts(created: 1, unknown: 4, remembered: 1))
            #expect(counts.auth == nil)
            #expect(counts.byStatus[404] == 4)
            #expect(counts.byRoute["POST /sessions/{id}"] == 1)
            #expect(counts.description == "requests served: 12 (200: 5, 201: 1, 400: 1, 404: 4, 405: 1); sessions: 1 created, 4 unknown")
        }
    }

    /// Connections land on different event loops; a session made on one is known on all.
    @Test func sharesSessionsAcrossEventLoops() async throws {
        try await withFlowTarget(TargetBehaviour(rememberSessions: true), threads: 4) { server in
            try await withRawHTTPConnection(port: server.port) { (connection) async throws in
                #expect(try await connection.request("POST", "/sessions/\(firstSession)", body: "{}").status == 201)
            }
            for _ in 0..<8 {
                try await withRawHTTPConnection(port: server.port) { (connection) async throws in
                    #expect(try await connection.request("GET", "/patient_checkin/\(firstSession)").status == 200)
                }
            }
            #expect(server.counts().byStatus == [200: 8, 201: 1])
        }
    }

    @Test func forgetsTheOldestSessionPastTheLimit() async throws {
        try await withFlowTarget(TargetBehaviour(rememberSessions: true, rememberedLimit: 2)) { server in
            try await withRawHTTPConnection(port: server.port) { (connection) async throws in
                for id in [firstSession, secondSession, secondSession, thirdSession] {
                    #expect(try await connection.request("POST", "/sessions/\(id)", body: "{}").status == 201)
                }
                #expect(try await connection.request("GET", "/sessions/\(firstSession)").status == 404)
                #expect(try await connection.request("GET", "/sessions/\(secondSession)").status == 200)
                #expect(try await connection.request("GET", "/sessions/\(thirdSession)").status == 200)
            }
            #expect(server.counts().sessions == TargetSessionCounts(created: 4, unknown: 1, remembered: 2))
        }
    }

    /// A create that the error injection fails leaves no session behind.
    @Test func aFailedCreateRemembersNothing() async throws {
        // With a rate of 0.5 every second admitted request fails: the POST below is the second.
        try await withFlowTarget(TargetBehaviour(errorRate: 0.5, rememberSessions: true)) { server in
            try await withRawHTTPConnection(port: server.port) { (connection) async throws in
                #expect(try await connection.request("GET", "/elsewhere").status == 200)
                #expect(try await connection.request("POST", "/sessions/\(firstSession)", body: "{}").status == 500)
                #expect(try await connection.request("GET", "/sessions/\(firstSession)").status == 404)
            }
            #expect(server.counts().sessions == TargetSessionCounts(created: 0, unknown: 1, remembered: 0))
        }
    }

    @Test func rememberedIDsKeepTheNewest() throws {
        var remembered = RememberedIDs(limit: 3)
        let ids = (1...5).map { RememberedID(high: 0, low: UInt64($0)) }
        for id in ids {
            remembered.insert(id)
            remembered.insert(id)
        }
        #expect(remembered.count == 3)
        #expect(ids.map { remembered.contains($0) } == [false, false, true, true, true])

        let lower = try #require(RememberedID(uuid: Substring(firstSession)))
        #expect(RememberedID(uuid: Substring(firstSession.uppercased())) == lower)
        #expect(RememberedID(uuid: "1b4e28ba2fa111d2883f0016d3cca427") == nil)
        #expect(RememberedID(token: Substring(lower.tokenText)) == lower)
        #expect(lower.tokenText == "1b4e28ba2fa111d2883f0016d3cca427")
        for bad in ["", "1b4e28ba", lower.tokenText + "0", String(lower.tokenText.dropLast()) + "g", firstSession] {
            #expect(RememberedID(token: Substring(bad)) == nil, "\(bad)")
        }
    }
}

@Suite(.serialized, .timeLimit(.minutes(1)))
struct LoadTargetAuthTests {
    @Test func logsInAndAcceptsOnlyItsOwnTokens() async throws {
        try await withFlowTarget(TargetBehaviour(accounts: accounts)) { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                // Without a token: 401 on API and echo routes, control routes as always.
                let refused = try await connection.request("GET", "/sessions/\(firstSession)")
                #expect(refused.status == 401)
                #expect(refused.body == #"{"error":"missing or invalid token"}"#)
                #expect(refused.header("www-authenticate") == "Bearer")
                #expect(try await connection.request("PUT", "/anything", body: "x").status == 401)
                #expect(try await connection.request("GET", "/health").status == 200)

                let wrong = try await connection.request("POST", "/login", body: loginBody("alice", "guess"))
                #expect(wrong.status == 401)
                #expect(wrong.body == #"{"error":"invalid credentials"}"#)
                #expect(try await connection.request("POST", "/login", body: loginBody("mallory", "s3cret-alice")).status == 401)
                for unreadable in ["", "not json", #"{"username":"alice"}"#, #"{"username":"alice","password":42}"#, #"["alice","s3cret-alice"]"#] {
                    let response = try await connection.request("POST", "/login", body: unreadable)
                    #expect(response.status == 400, "\(unreadable)")
                    #expect(response.body.contains("expected a JSON body"))
                }
                let getLogin = try await connection.request("GET", "/login")
                #expect(getLogin.status == 405)
                #expect(getLogin.header("allow") == "POST")

                let answer = try await connection.request("POST", "/login", body: loginBody("alice", "s3cret-alice"))
                #expect(answer.status == 200)
                #expect(answer.header("content-type") == "application/json")
                let decoded = try jsonObject(answer.body)
                #expect(decoded["user"] as? String == "alice")
                let token = try #require(decoded["token"] as? String)
                #expect(token.count == 32 && token.allSatisfy(\.isHexDigit))

                let authorised = try await connection.request("GET", "/sessions/\(firstSession)", headers: ["Authorization: Bearer \(token)"])
                #expect(authorised.status == 200)
                #expect(authorised.body == #"{"id":"\#(firstSession)","status":"authorized"}"#)
                #expect(try await connection.request("POST", "/pre_checkin/\(firstSession)", body: "{}", headers: ["authorization: bearer  \(token.uppercased()) "]).status == 200)
                #expect(try await connection.request("PUT", "/anything", body: "x", headers: ["Authorization: Bearer \(token)"]).status == 200)

                // A password with a colon in it; each login gets its own token.
                let bobsToken = try await login(connection, "bob", "pa:ss")
                #expect(bobsToken != token)
                #expect(try await connection.request("GET", "/patient_checkin/\(firstSession)", headers: ["Authorization: Bearer \(bobsToken)"]).status == 200)

                let forged = String(repeating: "0", count: 32)
                for header in ["Authorization: Bearer \(forged)", "Authorization: Bearer", "Authorization: Basic \(token)",
                               "Authorization: Bearer \(token)x", "Authorization: \(token)"] {
                    #expect(try await connection.request("GET", "/sessions/\(firstSession)", headers: [header]).status == 401, "\(header)")
                }

                let stats = try jsonObject(try await connection.request("GET", "/__target/stats").body)
                #expect(stats["auth"] as? [String: Int] == ["logins_accepted": 2, "logins_refused": 2, "requests_refused": 7])
                #expect(stats["sessions"] == nil)
            }
            let counts = server.counts()
            #expect(counts.auth == TargetAuthCounts(loginsAccepted: 2, loginsRefused: 2, requestsRefused: 7))
            #expect(counts.byStatus == [200: 7, 400: 5, 401: 9, 405: 1])
            #expect(counts.byRoute["POST /login"] == 9)
            #expect(counts.byRoute["GET /login"] == 1)
            #expect(counts.description.hasSuffix("; logins: 2 accepted, 2 refused; requests without a valid token: 7"))
        }
    }

    @Test func tokensWorkOnEveryEventLoop() async throws {
        try await withFlowTarget(TargetBehaviour(accounts: accounts), threads: 4) { server in
            let token = try await withRawHTTPConnection(port: server.port) { connection in
                try await login(connection, "alice", "s3cret-alice")
            }
            for _ in 0..<8 {
                try await withRawHTTPConnection(port: server.port) { (connection) async throws in
                    #expect(try await connection.request("GET", "/sessions/\(firstSession)", headers: ["Authorization: Bearer \(token)"]).status == 200)
                }
            }
            #expect(server.counts().auth == TargetAuthCounts(loginsAccepted: 1))
        }
    }

    /// A login the error injection fails hands out no token and counts as neither accepted nor refused.
    @Test func aFailedLoginGetsNoToken() async throws {
        try await withFlowTarget(TargetBehaviour(errorRate: 0.5, accounts: accounts)) { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                #expect(try await connection.request("POST", "/login", body: loginBody("alice", "nope")).status == 401)
                let failed = try await connection.request("POST", "/login", body: loginBody("alice", "s3cret-alice"))
                #expect(failed.status == 500)
                #expect(!failed.body.contains("token"))
            }
            #expect(server.counts().auth == TargetAuthCounts(loginsAccepted: 0, loginsRefused: 1))
        }
    }

    /// The whole flow with both options on: log in, create a session, use it; not one 401 or 404.
    @Test func aCompleteUserFlowMeetsNoRefusal() async throws {
        try await withFlowTarget(TargetBehaviour(rememberSessions: true, accounts: accounts), threads: 2) { server in
            for user in 0..<4 {
                try await withRawHTTPConnection(port: server.port) { connection in
                    let token = try await login(connection, "alice", "s3cret-alice")
                    let authorization = ["Authorization: Bearer \(token)"]
                    let session = UUID().uuidString
                    #expect(try await connection.request("POST", "/sessions/\(session)", body: "{}", headers: authorization).status == 201)
                    #expect(try await connection.request("GET", "/sessions/\(session.lowercased())", headers: authorization).status == 200)
                    #expect(try await connection.request("POST", "/patient_checkin/\(session)", body: "{}", headers: authorization).status == 200)
                    #expect(try await connection.request("GET", "/pre_checkin/\(session)", headers: authorization).status == 200, "user \(user)")
                }
            }
            let counts = server.counts()
            #expect(counts.byStatus == [200: 16, 201: 4])
            #expect(counts.sessions == TargetSessionCounts(created: 4, unknown: 0, remembered: 4))
            #expect(counts.auth == TargetAuthCounts(loginsAccepted: 4, loginsRefused: 0, requestsRefused: 0))
        }
    }

    /// Without accounts and session memory, /login is echoed, tokens mean nothing and the counters
    /// carry no session or login keys: the target is what it was before these options.
    @Test func withTheOptionsOffNothingChanges() async throws {
        try await withFlowTarget(.healthy) { server in
            try await withRawHTTPConnection(port: server.port) { connection in
                let body = loginBody("alice", "s3cret-alice")
                let echoed = try await connection.request("POST", "/login", body: body)
                #expect(echoed.status == 200)
                #expect(echoed.body == #"{"method":"POST","path":"/login","body_bytes":\#(body.utf8.count)}"#)
                #expect(try await connection.request("GET", "/sessions/\(firstSession)").status == 200)
                #expect(try await connection.request("POST", "/sessions/\(firstSession)", body: "{}").status == 200)
                #expect(try await connection.request("GET", "/pre_checkin/\(secondSession)", headers: ["Authorization: Bearer nonsense"]).status == 200)
                let stats = try await connection.request("GET", "/__target/stats")
                #expect(!stats.body.contains("sessions\":{") && !stats.body.contains("auth"))
                #expect(try jsonObject(stats.body).keys.sorted() == ["by_route", "by_status", "total"])
            }
            let counts = server.counts()
            #expect(counts.sessions == nil && counts.auth == nil)
            #expect(counts.description == "requests served: 4 (200: 4)")
        }
    }
}

@Suite struct LoadTargetAuthOptionTests {
    @Test func readsAccounts() throws {
        #expect(try parseTargetAccount("alice:secret") == TargetAccount(username: "alice", password: "secret"))
        #expect(try parseTargetAccount("bob:pa:ss") == TargetAccount(username: "bob", password: "pa:ss"))
    }

    @Test func refusesBadAccountsWithoutRepeatingThePassword() {
        let cases: [(text: String, message: String)] = [
            ("alicehunter2", "--auth: cannot use '(hidden)': expected USER:PASSWORD with a colon between them"),
            (":hunter2", "--auth: cannot use ':(password hidden)': expected USER:PASSWORD with a user name before the colon"),
            ("alice:", "--auth: cannot use 'alice:': expected a password after the colon"),
        ]
        for (text, message) in cases {
            do {
                _ = try parseTargetAccount(text)
                Issue.record("'\(text)' should not parse")
            } catch {
                #expect(error.description.hasPrefix(message), "\(error.description)")
                #expect(!error.description.contains("hunter2"), "\(error.description)")
            }
        }
        let twice = TargetBehaviour(accounts: [TargetAccount(username: "alice", password: "one"), TargetAccount(username: "alice", password: "two")])
        #expect(throws: TargetOptionError(option: "auth", value: "alice:(password hidden)", expected: "each user name once")) { try twice.validate() }
        #expect(throws: TargetOptionError.self) { try TargetBehaviour(rememberSessions: true, rememberedLimit: 0).validate() }
    }

    @Test func neverShowsPasswords() {
        let behaviour = TargetBehaviour(rememberSessions: true, accounts: accounts)
        #expect(behaviour.summary == "no latency, no errors, no rate limit, sessions remembered, auth: 2 accounts")
        #expect(TargetBehaviour(accounts: [accounts[0]]).summary.hasSuffix("auth: 1 account"))
        var dumped = ""
        dump(behaviour, to: &dumped)
        for text in [String(describing: behaviour), String(reflecting: behaviour), dumped, "\(accounts)"] {
            #expect(!text.contains("s3cret") && !text.contains("pa:ss"), "\(text)")
            #expect(text.contains("alice"), "\(text)")
        }
    }
}

/// `loadops target --sessions --auth …` through the built binary.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct LoadTargetFlowCommandTests {
    @Test func badAuthValuesExitWithTwo() async throws {
        for (arguments, expected) in [
            (["--auth", "alice"], "loadops target: error: --auth: cannot use '(hidden)'"),
            (["--auth", ":hunter2"], "loadops target: error: --auth: cannot use ':(password hidden)'"),
            (["--auth", "alice:hunter2", "--auth", "alice:other"], "loadops target: error: --auth: cannot use 'alice:(password hidden)': expected each user name once"),
        ] {
            let result = try await ChildProcess.run(TestSupport.binary, ["target", "--port", "0"] + arguments, timeout: 20)
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix(expected), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("hunter2") && !result.stdout.contains("hunter2"))
        }
        let help = try await ChildProcess.run(TestSupport.binary, ["target", "--help"], timeout: 20)
        #expect(help.stdout.contains("--sessions") && help.stdout.contains("--auth <user:password>"), "\(help.stdout)")
    }

    @Test func startsWithSessionsAndAccountsAndCountsTheFlow() async throws {
        let port = TestSupport.freePort()
        let target = ChildProcess(TestSupport.binary, ["target", "--port", String(port), "--sessions",
                                                       "--auth", "alice:hunter2", "--auth", "bob:other"])
        try target.start()
        let listening: Void? = try? await ServiceTestSupport.waitUntil("the target to listen", timeout: 20) {
            (try? TestSupport.httpGet(port: port, path: "/__target/stats"))?.contains("\"total\"") == true
        }
        var loginAnswer = ""
        var refusedAnswer = ""
        if listening != nil {
            let body = loginBody("alice", "hunter2")
            loginAnswer = (try? TestSupport.httpExchange(port: port, request: """
                POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)
                """)) ?? ""
            refusedAnswer = (try? TestSupport.httpGet(port: port, path: "/sessions/\(firstSession)")) ?? ""
        }
        // Stopped by its PID whether or not it started.
        target.signal(SIGTERM)
        let result = await target.wait(timeout: 10)
        #expect(listening != nil, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(loginAnswer.hasPrefix("HTTP/1.1 200") && loginAnswer.contains(#""user":"alice""#), "\(loginAnswer)")
        #expect(refusedAnswer.hasPrefix("HTTP/1.1 401"), "\(refusedAnswer)")
        let firstLine = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasSuffix("(no latency, no errors, no rate limit, sessions remembered, auth: 2 accounts)"), "\(firstLine)")
        #expect(result.stdout.contains("requests served: 2 (200: 1, 401: 1); sessions: 0 created, 0 unknown; logins: 1 accepted, 0 refused; requests without a valid token: 1"),
                "\(result.stdout)")
        #expect(!result.stdout.contains("hunter2") && !result.stderr.contains("hunter2"))
    }
}
