import Foundation
import Testing

@testable import LoadOpsKit

/// `flows:` in loadops.yml: the syntax read into `FlowConfig`, every mistake refused at its own
/// line and column before anything is sent, data files read when the configuration is, and the
/// rendered configuration that names a data file without its rows.
@Suite("Flow configuration")
struct FlowConfigTests {
    /// The message of the `ConfigError` loading `yaml` gives (after `host:` on line 1), with `files` beside it.
    private func message(
        _ yaml: String, files: [String: String] = [:], overrides: ConfigOverrides = ConfigOverrides()
    ) throws -> String? {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try write(files, in: folder)
        return try folder.error(loading: "host: http://127.0.0.1:9\n" + yaml, overrides: overrides)?.description
    }

    private func loaded(_ yaml: String, files: [String: String] = [:], overrides: ConfigOverrides = ConfigOverrides())
        throws -> (config: LoadOpsConfig, folder: String)
    {
        let folder = try ConfigTestFolder()
        try write(files, in: folder)
        try folder.write("loadops.yml", "host: http://127.0.0.1:9\n" + yaml)
        return (try folder.load(overrides: overrides), folder.path)
    }

    private func write(_ files: [String: String], in folder: ConfigTestFolder) throws {
        for (name, text) in files {
            let directory = (name as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: folder.path + "/" + directory, withIntermediateDirectories: true)
            }
            try folder.write(name, text)
        }
    }

    private func path(_ text: String) throws -> JSONPath { try JSONPathParser.parse(text) }

    // MARK: the full syntax

    @Test func theFullSyntaxReadsIntoFlowConfig() throws {
        let (config, folder) = try loaded("""
            load: { model: open }
            flows:
              - name: checkin
                weight: 2
                rate: 3005/min
                think_time: 1s-3s
                cookies: false
                data: { file: accounts.csv, pick: per_iteration, columns: [username, password] }
                vars:
                  id: "{uuid}"
                  visit: "v-{id}-{username}-{int:1-9}"
                steps:
                  - post /sessions/{id}
                  - "get /sessions/{id}":
                      name: read session
                      headers: { X-Trace: "{id}" }
                      expect: 200
                      check:
                        - status: 200
                        - status: [200, 201]
                        - json: $.id
                        - { json: $.id, equals: "{id}" }
                        - body_contains: authorized
                        - body_under: 64KB
                        - { status: 200, name: session readable }
                      extract:
                        token: $.data.token
                        session: { header: X-Session-Id }
                        csrf: { regex: 'name="csrf" value="([^"]+)"' }
                  - { method: POST, path: "/patient_checkin/{id}", headers: { Authorization: "Bearer {token}" },
                      body: { id: "{id}", csrf: "{csrf}", by: "{username}" }, check: [{ status: 200 }] }
              - name: browse
                data: people.csv
                rate: 1/s
                steps: ["get /people/{name}"]
            """, files: ["accounts.csv": "username,password,role\nalice,s3cret-a,admin\n\"bob, jr\",s3cret-b,user\n",
                         "people.csv": "name\nann\n"])
        defer { try? FileManager.default.removeItem(atPath: folder) }

        #expect(config.endpoints.isEmpty, "flows alone need no endpoint")
        let checkin = FlowConfig(
            name: "checkin", weight: 2, rate: 3005.0 / 60, thinkTime: 1...3,
            variables: [FlowVariable(name: "id", template: "{uuid}"), FlowVariable(name: "visit", template: "v-{id}-{username}-{int:1-9}")],
            data: FlowData(path: folder + "/accounts.csv", pick: .perIteration, columns: ["username", "password"],
                           rows: [["alice", "s3cret-a"], ["bob, jr", "s3cret-b"]]),
            cookies: false,
            steps: [
                FlowStep(request: EndpointConfig(name: "POST /sessions/{id}", method: "POST", path: "/sessions/{id}")),
                FlowStep(
                    request: EndpointConfig(name: "read session", method: "GET", path: "/sessions/{id}", headers: [("X-Trace", "{id}")],
                                            expectedStatus: [200]),
                    extractions: [
                        Extraction(variable: "token", source: .jsonPath(try path("$.data.token"))),
                        Extraction(variable: "session", source: .header("X-Session-Id")),
                        Extraction(variable: "csrf", source: .regex(#"name="csrf" value="([^"]+)""#)),
                    ],
                    checks: [
                        ResponseCheck(name: "status is 200", condition: .status([200])),
                        ResponseCheck(name: "status is 200 or 201", condition: .status([200, 201])),
                        ResponseCheck(name: "$.id exists", condition: .jsonPathExists(try path("$.id"))),
                        ResponseCheck(name: "$.id equals \"{id}\"", condition: .jsonPathEquals(try path("$.id"), template: "{id}")),
                        ResponseCheck(name: "body contains \"authorized\"", condition: .bodyContains(template: "authorized")),
                        ResponseCheck(name: "body smaller than 65536 bytes", condition: .bodySmallerThan(bytes: 65536)),
                        ResponseCheck(name: "session readable", condition: .status([200])),
                    ]),
                FlowStep(
                    request: EndpointConfig(
                        name: "POST /patient_checkin/{id}", method: "POST", path: "/patient_checkin/{id}",
                        headers: [("Authorization", "Bearer {token}")], body: #"{"id":"{id}","csrf":"{csrf}","by":"{username}"}"#),
                    checks: [ResponseCheck(name: "status is 200", condition: .status([200]))]),
            ])
        #expect(config.flows.count == 2)
        #expect(config.flows.first == checkin)
        #expect(config.flows.first?.variableNames == ["username", "password", "id", "visit", "token", "session", "csrf"])
        let browse = try #require(config.flows.last)
        #expect(browse.weight == 1 && browse.rate == 1 && browse.cookies && browse.variables.isEmpty)
        #expect(browse.data == FlowData(path: folder + "/people.csv", pick: .perUser, columns: ["name"], rows: [["ann"]]))
        #expect(browse.steps.map(\.request.name) == ["GET /people/{name}"])
    }

    @Test func byteSizesAndSingleChecks() throws {
        let (config, folder) = try loaded("""
            flows:
              - name: f
                steps:
                  - "get /a":
                      check: { body_under: 1MB }
                  - "get /b":
                      check: [{ body_under: 512B }, { body_under: 100 }, { body_under: 2kb }]
            """)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sizes = config.flows[0].steps.flatMap(\.checks).map(\.condition)
        #expect(sizes == [.bodySmallerThan(bytes: 1_048_576), .bodySmallerThan(bytes: 512), .bodySmallerThan(bytes: 100),
                          .bodySmallerThan(bytes: 2048)])
    }

    /// A variable may be used from the step after the one that extracts it, and a step may extract
    /// again what an earlier one did (a refreshed token).
    @Test func extractedVariablesServeLaterSteps() throws {
        let (config, folder) = try loaded("""
            flows:
              - name: login
                steps:
                  - "post /login":
                      body: { username: alice }
                      extract: { token: $.token }
                  - "get /me":
                      headers: { Authorization: "Bearer {token}" }
                      check: [{ json: $.user, equals: "{token}" }]
                      extract: { token: { header: X-Refreshed-Token } }
                  - { method: GET, name: me again, path: /me, headers: { Authorization: "Bearer {token}" } }
            """)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(config.flows[0].variableNames == ["token"])
        #expect(config.flows[0].steps.map(\.request.name) == ["POST /login", "GET /me", "me again"])
    }

    // MARK: mistakes, each at its own line and column

    @Test(arguments: [
        // Variables never set, or set too late.
        ("flows:\n  - name: f\n    steps:\n      - post /a\n      - { method: GET, path: \"/b/{token}\" }\n",
         "loadops.yml:6:34: flows[0].steps[1].path: variable {token} is used but never set (set it under vars, extract it in an earlier step, or name a data column)"),
        ("flows:\n  - name: f\n    steps:\n      - get /a/{tokn}\n      - \"post /login\":\n          extract: { token: $.token }\n",
         "loadops.yml:5:16: flows[0].steps[0].path: variable {tokn} is used but never set (set it under vars, extract it in an earlier step, or name a data column); did you mean {token}?"),
        ("flows:\n  - name: f\n    steps:\n      - get /a/{token}\n      - \"post /login\":\n          extract: { token: $.token }\n",
         "loadops.yml:5:16: flows[0].steps[0].path: variable {token} is used before it is set: it is extracted only in step 2 (flows[0].steps[1])"),
        ("flows:\n  - name: f\n    steps:\n      - \"post /login\":\n          headers: { X-T: \"t={token}\" }\n          extract: { token: $.token }\n",
         "loadops.yml:6:30: flows[0].steps[0].headers.X-T: variable {token} is used before it is set: it is extracted from this step's own answer, so only the steps after it can use it"),
        ("flows:\n  - name: f\n    steps:\n      - \"post /a\":\n          body: { id: \"{id}\" }\n",
         "loadops.yml:6:24: flows[0].steps[0].body.id: variable {id} is used but never set"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          check: [{ json: $.id, equals: \"{id}\" }]\n",
         "loadops.yml:6:42: flows[0].steps[0].check[0].equals: variable {id} is used but never set"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          check: [{ body_contains: \"{uid}\" }]\n",
         "loadops.yml:6:37: flows[0].steps[0].check[0].body_contains: variable {uid} is used but never set (set it under vars, extract it in an earlier step, or name a data column); did you mean {uuid}?"),
        ("flows:\n  - name: f\n    vars: { a: \"{b}\", b: \"{uuid}\" }\n    steps: [get /a]\n",
         "loadops.yml:4:17: flows[0].vars.a: variable {b} is used before it is set: vars are made in order, and b comes after a"),
        ("flows:\n  - name: f\n    vars: { a: \"x{a}\" }\n    steps: [get /a]\n",
         "loadops.yml:4:18: flows[0].vars.a: variable {a} is used before it is set: a variable cannot be made from itself"),
        ("flows:\n  - name: f\n    vars: { a: \"{t}\" }\n    steps:\n      - \"post /login\": { extract: { t: $.t } }\n",
         "loadops.yml:4:17: flows[0].vars.a: variable {t} is used before it is set: it is extracted only in step 1 (flows[0].steps[0]), and vars are made before the first step"),
        // Built-in placeholders still read as before.
        ("flows:\n  - name: f\n    steps: [\"get /a/{int:9-1}\"]\n",
         "loadops.yml:4:21: flows[0].steps[0].path: bad placeholder \"{int:9-1}\": the lower bound 9 is above 1"),
        // Names.
        ("flows:\n  - name: f\n    vars:\n      uuid: \"{seq}\"\n    steps: [get /a]\n",
         "loadops.yml:5:7: flows[0].vars.uuid: \"uuid\" is a built-in placeholder ({uuid}): give the variable another name"),
        ("flows:\n  - name: f\n    vars:\n      \"my id\": \"{seq}\"\n    steps: [get /a]\n",
         "loadops.yml:5:7: flows[0].vars.my id: \"my id\" cannot be a variable name: use letters, digits, _ and -, starting with a letter or _"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          extract: { seq: $.n }\n",
         "loadops.yml:6:22: flows[0].steps[0].extract.seq: \"seq\" is a built-in placeholder ({seq}): give the variable another name"),
        ("flows:\n  - name: f\n    vars: { id: \"{uuid}\" }\n    steps:\n      - \"get /a\":\n          extract: { id: $.n }\n",
         "loadops.yml:7:22: flows[0].steps[0].extract.id: id is already set under vars or by the data file: extract into a variable of its own"),
        // Extractions.
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          extract:\n            token: $.data..token\n",
         "loadops.yml:7:26: flows[0].steps[0].extract.token: \"..\" (any depth) is not supported: name each step of the path in \"$.data..token\""),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          extract:\n            token: { json: \"$.items[0\" }\n",
         "loadops.yml:7:38: flows[0].steps[0].extract.token.json: expected \"]\" in \"$.items[0\""),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          extract:\n            token: data.token\n",
         "loadops.yml:7:20: flows[0].steps[0].extract.token: expected a JSON path such as $.data.token, { header: NAME } or { regex: PATTERN } with one group, got \"data.token\""),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          extract:\n            csrf: { regex: 'value=\"[^\"]+\"' }\n",
         "loadops.yml:7:28: flows[0].steps[0].extract.csrf.regex: a regex extraction needs exactly one capture group"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          extract:\n            csrf: { regex: 'value=(' }\n",
         "loadops.yml:7:28: flows[0].steps[0].extract.csrf.regex: not a valid regular expression"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          extract:\n            csrf: { json: $.a, header: X-A }\n",
         "loadops.yml:7:32: flows[0].steps[0].extract.csrf.header: an extraction takes one value, and this one has json already"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          extract:\n            csrf: {}\n",
         "loadops.yml:7:19: flows[0].steps[0].extract.csrf: an extraction needs one of json, header or regex"),
        // Checks.
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          check: [{ name: ok }]\n",
         "loadops.yml:6:19: flows[0].steps[0].check[0]: a check needs a condition"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          check: [{ status: 200, json: $.id }]\n",
         "loadops.yml:6:34: flows[0].steps[0].check[0].json: a check has one condition, and this one has status already"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          check: [{ status: 200, equals: ok }]\n",
         "loadops.yml:6:34: flows[0].steps[0].check[0].equals: equals compares a JSON value: give json too"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          check: [{ stauts: 200 }]\n",
         "loadops.yml:6:21: flows[0].steps[0].check[0].stauts: unknown key (did you mean \"status\"?)"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          check: [{ body_under: 64GB }]\n",
         "loadops.yml:6:33: flows[0].steps[0].check[0].body_under: expected a size such as 512B, 64KB or 1MB"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\":\n          check: [{ status: 700 }]\n",
         "loadops.yml:6:29: flows[0].steps[0].check[0].status: expected an HTTP status code between 100 and 599"),
        // Steps and flows.
        ("flows:\n  - name: f\n    steps:\n      - { method: POST, body: {} }\n",
         "loadops.yml:5:9: flows[0].steps[0]: a step needs a path, e.g. { method: POST, path: /sessions/{id} }"),
        ("flows:\n  - name: f\n    steps:\n      - { path: /a, weight: 2 }\n",
         "loadops.yml:5:21: flows[0].steps[0].weight: a step has no weight: the flow's weight (closed model) or rate (open model) sets how often its steps are sent"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\": { rate: 5/s }\n",
         "loadops.yml:5:21: flows[0].steps[0].rate: a step has no rate"),
        ("flows:\n  - name: f\n    steps:\n      - \"get /a\": 5/s\n",
         "loadops.yml:5:19: flows[0].steps[0]: a step has no rate"),
        ("flows:\n  - name: f\n    steps:\n      - \"fetch /a\"\n",
         "loadops.yml:5:9: flows[0].steps[0]: expected \"METHOD PATH\" with METHOD one of GET POST PUT PATCH DELETE HEAD OPTIONS"),
        ("flows:\n  - name: f\n    steps:\n      - { path: /a, chek: [] }\n",
         "loadops.yml:5:21: flows[0].steps[0].chek: unknown key (did you mean \"check\"?)"),
        ("flows:\n  - name: f\n", "loadops.yml:3:5: flows[0]: a flow needs steps"),
        ("flows:\n  - name: f\n    steps: []\n", "loadops.yml:4:12: flows[0].steps: a flow needs at least one step"),
        ("flows:\n  - steps: [get /a]\n", "loadops.yml:3:5: flows[0]: a flow needs a name"),
        ("flows:\n  - { name: f, steps: [get /a] }\n  - { name: f, steps: [get /b] }\n",
         "loadops.yml:4:13: flows[1].name: flow \"f\" is already defined at loadops.yml:3:13 (flows[0].name): give each flow its own name"),
        ("flows:\n  - { name: f, step: [get /a] }\n", "loadops.yml:3:16: flows[0].step: unknown key (did you mean \"steps\"?)"),
        ("flows:\n  - { name: f, weight: 0, steps: [get /a] }\n", "loadops.yml:3:24: flows[0].weight: expected a number > 0"),
        // Results are kept per method and name: steps and endpoints must differ.
        ("endpoints: [\"get /a\"]\nflows:\n  - { name: f, steps: [get /b, { method: GET, path: /c, name: /a }] }\n",
         "loadops.yml:4:32: flows[0].steps[1]: GET /a is already the name of the endpoint at loadops.yml:2:13 (endpoints[0])"),
        ("flows:\n  - { name: f, steps: [get /a] }\n  - { name: g, steps: [get /a] }\n",
         "loadops.yml:4:24: flows[1].steps[0]: GET /a is already the name of the step at loadops.yml:3:24 (flows[0].steps[0]): results are kept per method and name, so give one of them a distinct `name:`"),
    ])
    func mistakesAreReportedWhereTheyAre(yaml: String, expected: String) throws {
        let found = try message(yaml)
        #expect(found?.hasPrefix(expected) == true, "\(found ?? "loaded")")
    }

    // MARK: after merging

    @Test func theModelAndTheEngineDecideWhatAFlowMayHave() throws {
        let withRate = "flows:\n  - name: f\n    rate: 10/s\n    steps: [get /a]\n"
        #expect(try message(withRate) == "loadops.yml:4:11: flows[0].rate: rate applies to the open model; in the closed model use weight to set the flow's share of the users' iterations")
        #expect(try message("load: { model: open }\n" + withRate) == nil)
        #expect(try message(withRate, overrides: ConfigOverrides(engine: .locust))?
            .hasPrefix("loadops.yml:3:3: flows: flows run on the built-in engine only") == true)

        let withoutRate = "load: { model: open }\nflows:\n  - name: f\n    steps: [get /a]\n"
        #expect(try message(withoutRate)?.hasPrefix("loadops.yml:4:5: flows[0]: flow \"f\" has no rate: the open model starts iterations at a set rate") == true)
        #expect(try message(withoutRate, overrides: ConfigOverrides(rate: "5/s")) == nil)
        #expect(try message("load: { model: open, stages: [{ duration: 1m, rate: 5/s }] }\nflows:\n  - name: f\n    steps: [get /a]\n") == nil)
        let mixed = "load: { model: open }\nendpoints: [\"get /e\": 5/s]\nflows:\n  - name: f\n    steps: [get /a]\n"
        #expect(try message(mixed)?.hasPrefix("loadops.yml:5:5: flows[0]: flow \"f\" has no rate while other flows or endpoints do") == true)
    }

    @Test func endpointsStayTheDefaultWithoutFlows() throws {
        let (config, folder) = try loaded("load: { users: 2 }\n")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(config.endpoints == [EndpointConfig(method: "GET", path: "/")])
        #expect(config.flows.isEmpty)
    }

    // MARK: data files

    @Test(arguments: [
        ("data: missing.csv", [String: String](), "loadops.yml:4:11: flows[0].data: the data file \"missing.csv\" ("),
        ("data: folder", ["folder/x": ""], "loadops.yml:4:11: flows[0].data: the data file \"folder\" ("),
        ("data: a.csv", ["a.csv": ""], "loadops.yml:4:11: flows[0].data: the data file \"a.csv\" is empty"),
        ("data: a.csv", ["a.csv": "username,password\n"], "has a header row but no data rows"),
        ("data: a.csv", ["a.csv": "username,password\nalice,s3cret\nbob\n\ncarol,s3cret,x\n"],
         "loadops.yml:4:11: flows[0].data: the data file \"a.csv\", line 3: 1 field where the header names 2"),
        ("data: { file: a.csv, columns: [username, pasword] }", ["a.csv": "username,password\nalice,s3cret\n"],
         "loadops.yml:4:46: flows[0].data.columns[1]: column \"pasword\" is not in the header of \"a.csv\" (did you mean \"password\"?); its columns: username, password"),
        ("data: { file: a.csv, pick: sometimes }", ["a.csv": "u\nx\n"],
         "loadops.yml:4:32: flows[0].data.pick: expected per_user, per_iteration or random, got \"sometimes\""),
        ("data: a.csv", ["a.csv": "user name,password\nalice,s3cret\n"],
         "loadops.yml:4:11: flows[0].data: column 1 of the header of \"a.csv\": \"user name\" cannot be a variable name"),
        ("data: a.csv", ["a.csv": "username,\"pass\nalice,s3cret\n"], "line 1: a quoted field is never closed"),
        ("data: { pick: random }", [:], "loadops.yml:4:11: flows[0].data: data needs a file"),
        ("data: a.csv\n    vars: { username: x }", ["a.csv": "username\nalice\n"],
         "loadops.yml:5:13: flows[0].vars.username: username is already a column of the data file"),
    ])
    func dataFileMistakes(data: String, files: [String: String], expected: String) throws {
        let found = try message("flows:\n  - name: f\n    \(data)\n    steps: [get /a]\n", files: files)
        #expect(found?.contains(expected) == true, "\(found ?? "loaded")")
        // Data rows are never shown.
        #expect(found?.contains("s3cret") == false)
        #expect(found?.contains("alice") == false)
    }

    @Test func dataFileMessagesSayWhatIsWrong() throws {
        let rows = try message("flows:\n  - name: f\n    data: a.csv\n    steps: [get /a]\n",
                               files: ["a.csv": "username,password\nalice,s3cret\nbob\n\ncarol,s3cret,x\n"])
        #expect(rows?.hasSuffix("line 3: 1 field where the header names 2 (a field that holds a comma must be in double quotes)") == true, "\(rows ?? "")")
        let missing = try message("flows:\n  - name: f\n    data: missing.csv\n    steps: [get /a]\n")
        #expect(missing?.hasSuffix("does not exist (a relative path is taken from the folder of the configuration file)") == true)
        let empty = try message("flows:\n  - name: f\n    data: a.csv\n    steps: [get /a]\n", files: ["a.csv": "\n"])
        #expect(empty?.contains("is empty: its first line names the columns") == true)
    }

    /// A spreadsheet's byte order mark, CRLF line ends and quoted fields; only the chosen columns kept.
    @Test func dataFilesReadAsSpreadsheetsWriteThem() throws {
        let (config, folder) = try loaded("""
            flows:
              - name: f
                data: { file: data/accounts.csv, columns: [password, username], pick: random }
                steps: ["post /login/{username}"]
            """, files: ["data/accounts.csv": "\u{FEFF}username, password ,note\r\nalice,\"s3,cret\",\"said \"\"hi\"\"\"\r\nbob,pw2,\r\n"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(config.flows[0].data == FlowData(
            path: folder + "/data/accounts.csv", pick: .random, columns: ["password", "username"],
            rows: [["s3,cret", "alice"], ["pw2", "bob"]]))
    }

    // MARK: loadops config show

    @Test func renderedFlowsLoadBackWithoutTheirRows() throws {
        let (config, folder) = try loaded("""
            redact_query: [visit]
            flows:
              - name: checkin
                think_time: 1s-3s
                data: { file: accounts.csv, pick: per_iteration }
                vars: { id: "{uuid}" }
                steps:
                  - "post /sessions/{id}?visit={id}":
                      headers: { Authorization: "Bearer x", X-Trace: "{id}" }
                      body: { id: "{id}" }
                      check: [{ status: [200, 201] }, { body_under: 64KB, name: small }]
                  - "get /sessions/{id}":
                      name: read session
                      expect: [200]
                      check: [{ json: $.id, equals: "{id}" }, { json: "$['a b'][0]" }, { body_contains: "ok" }]
                      extract: { token: $.data.token, session: { header: X-Session-Id }, csrf: { regex: 'v="([^"]+)"' } }
            """, files: ["accounts.csv": "username,password\nalice,s3cret\nbob,hunter22\n"])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let rendered = ConfigRenderer.yaml(config)
        #expect(!rendered.contains("s3cret") && !rendered.contains("hunter22") && !rendered.contains("alice"))
        #expect(rendered.contains("data: { file: \(folder)/accounts.csv, pick: per_iteration, columns: [username, password] }   # 2 rows, not shown"),
                "\(rendered)")
        #expect(!rendered.contains("endpoints:"), "flows alone: \(rendered)")
        #expect(rendered.contains("Authorization: '***'"))
        #expect(rendered.contains("path: '/sessions/{id}?visit=***'"))

        try rendered.write(toFile: folder + "/loadops.yml", atomically: true, encoding: .utf8)
        let reloaded = try ConfigLoader.load(path: nil, environment: [:], workingDirectory: folder)
        var expected = config.flows
        expected[0].steps[0].request.headers[0].1 = Redaction.mask
        expected[0].steps[0].request.path = "/sessions/{id}?visit=***"
        expected[0].steps[0].request.name = "POST /sessions/{id}?visit=***"
        #expect(reloaded.flows == expected, "rendered:\n\(rendered)")
    }

    // MARK: loadops init

    /// The commented flow `loadops init` writes loads once uncommented, beside the endpoints.
    @Test func theInitTemplatesFlowLoads() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        var inSection = false
        let uncommented = ProjectInitializer.template.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("# flows:") { inSection = true }
            if line.isEmpty { inSection = false }
            return inSection ? String(line.dropFirst(2)) : String(line)
        }
        try folder.write("loadops.yml", uncommented.joined(separator: "\n"))
        let config = try folder.load()
        #expect(config.endpoints.count == 6)
        let flow = try #require(config.flows.first)
        #expect(flow.name == "checkin" && flow.variables == [FlowVariable(name: "id", template: "{uuid}")])
        #expect(flow.steps.map(\.request.name) == ["POST /sessions/{id}", "GET /sessions/{id}", "POST /patient_checkin/{id}"])
        #expect(flow.steps.map(\.checks.count) == [1, 1, 1])
        // The open model's rates, uncommented, cover the flow too.
        let open = uncommented.joined(separator: "\n").replacingOccurrences(of: "model: closed", with: "model: open")
            .replacingOccurrences(of: "# rate:", with: "rate:")
        try folder.write("loadops.yml", open)
        #expect(try folder.load().flows.first?.rate == 588.0 / 60)
    }
}
