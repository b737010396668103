import Foundation

/// Facts about where merged values came from, for the checks that can only run after
/// the file, the environment and the flags have all been applied.
struct ConfigProvenance {
    /// Where `load.model` was chosen.
    var model = SourceLocation.defaults("load.model")
    /// Stages as written; whether `users` or `rate` is the target depends on the final model.
    var stageDrafts: [StageDraft] = []
    /// Position of each endpoint in the file, parallel to `LoadOpsConfig.endpoints`.
    var endpointLocations: [SourceLocation] = []
    /// Where the `flows:` section is, when there is one.
    var flowsSection: SourceLocation?
    /// Each flow's positions, parallel to `LoadOpsConfig.flows`.
    var flowLocations: [FlowLocations] = []
    /// What the environment and the flags set that asks for a flat run instead of the file's stages.
    var flatRun = FlatRunRequest()
}

/// A duration (`--duration`, `LOAD_TEST_DURATION_SECONDS`), a user count in the closed model
/// (`--users-max`, `LOAD_TEST_USERS_MAX`) or a rate in the open model (`--rate`, `LOAD_TEST_RATE`)
/// given outside the file replaces the file's stages rather than being silently ignored. Decided
/// once every layer is applied, since the model may change last.
struct FlatRunRequest {
    var duration = false
    var users = false
    var rate = false

    func replacesStages(model: LoadModel) -> Bool {
        duration || (model == .closed && users) || (model == .open && rate)
    }
}

struct StageDraft {
    var duration: Double
    var users: Int?
    var rate: Double?
    var ramp: Bool
    var location: SourceLocation
}

/// Reads `loadops.yml` onto a configuration that already holds the defaults. One function per section.
struct ConfigFileParser {
    /// The file as the user named it, for messages.
    let displayPath: String
    /// Folder of the file: relative credential paths are taken from there.
    let baseDirectory: String
    /// For `~` in paths.
    let homeDirectory: String

    static let topLevelKeys = [
        "host", "allow_hosts", "environment", "insecure", "follow_redirects", "output", "load", "endpoints", "flows", "credentials",
        "thresholds",
        "redact_query", "monitor", "abort", "warnings", "incident", "engine",
    ]
    static let loadKeys = [
        "model", "users", "spawn_rate", "duration", "think_time", "rate", "max_connections", "timeout", "stages", "requests",
    ]
    static let stageKeys = ["duration", "users", "rate", "ramp"]
    static let credentialKeys = ["file", "bearer_env"]

    /// `document` is the file as `YAMLFile` read it; nil (an empty file) means "all defaults".
    func apply(_ document: ConfigNode?, to config: inout LoadOpsConfig, provenance: inout ConfigProvenance) throws {
        guard let document else { return }
        let top = try document.mapping(
            allowedKeys: Self.topLevelKeys, expected: "a mapping of settings (host, load, endpoints, ...)")

        if let host = top["host"] { config.host = try host.parse(.httpURL) }
        if let hosts = top["allow_hosts"] {
            config.allowHosts = try hosts.listOrSingle(expected: "a list of host names").map { try $0.parse(.allowedHost) }
        }
        if let environment = top["environment"] { config.environment = try environment.string() }
        if let insecure = top["insecure"] { config.insecure = try insecure.bool() }
        if let follow = top["follow_redirects"] { config.followRedirects = try follow.bool() }
        if let output = top["output"] { config.output = try output.string(expected: "a folder name") }
        if let load = top["load"] { try parseLoad(load, into: &config.load, provenance: &provenance) }
        if let endpoints = top["endpoints"] {
            let parsed = try EndpointParser.parse(endpoints)
            config.endpoints = parsed.map(\.endpoint)
            provenance.endpointLocations = parsed.map(\.location)
        }
        if let flows = top["flows"] {
            let parsed = try FlowParser.parse(flows, resolvePath: resolvePath)
            config.flows = parsed.map(\.flow)
            provenance.flowsSection = flows.location
            provenance.flowLocations = parsed.map(\.locations)
        }
        if let credentials = top["credentials"] { config.credentials = try parseCredentials(credentials) }
        if let monitor = top["monitor"] {
            config.monitor = try MonitorSettings.parse(monitor, allowHosts: config.allowHosts, resolvePath: resolvePath)
        }
        if top["abort"] != nil || top["warnings"] != nil {
            config.watch = try WatchSettings.parse(abort: top["abort"], warnings: top["warnings"])
        }
        if let incident = top["incident"] {
            config.incidentCommands = try incident.listOrSingle(expected: "a list of commands such as - docker-compose logs backend --tail=100")
                .map { try $0.string(expected: "a shell command") }
        }
        if let thresholds = top["thresholds"] { config.thresholds = try parseThresholds(thresholds) }
        if let engine = top["engine"] {
            let name = try engine.string(expected: "builtin or locust")
            guard let parsed = LoadEngine(rawValue: name.lowercased()) else {
                throw engine.error("expected builtin or locust, got \"\(name)\"")
            }
            config.engine = parsed
        }
        if let names = top["redact_query"] {
            config.redactQuery = try names.listOrSingle(expected: "a list of query parameter names such as [sig, session_id]")
                .map { try $0.string(expected: "a query parameter name") }
        }
    }

    // MARK: load

    private func parseLoad(_ node: ConfigNode, into load: inout LoadSettings, provenance: inout ConfigProvenance) throws {
        let section = try node.mapping(allowedKeys: Self.loadKeys)
        if let model = section["model"] {
            load.model = try model.parse(.model)
            provenance.model = model.location
        }
        if let users = section["users"] { load.users = try users.parse(.wholeNumber(in: 1...LoadLimits.maximumUsers)) }
        if let spawnRate = section["spawn_rate"] {
            load.spawnRate = try spawnRate.parse(.positiveNumber(atMost: LoadLimits.maximumSpawnRate))
        }
        if let duration = section["duration"] { load.duration = try duration.parse(.positiveDuration) }
        if let thinkTime = section["think_time"] { load.thinkTime = try thinkTime.parse(.thinkTime) }
        if let rate = section["rate"] { load.rate = try rate.parse(.positiveRate) }
        if let connections = section["max_connections"] {
            load.maxConnections = try connections.parse(.wholeNumber(in: 1...LoadLimits.maximumUsers))
        }
        if let timeout = section["timeout"] { load.timeout = try timeout.parse(.positiveDuration) }
        if let stages = section["stages"] { provenance.stageDrafts = try parseStages(stages) }
        if let requests = section["requests"] {
            load.requests = try requests.parse(.wholeNumber(in: 1...LoadLimits.maximumRequests))
        }
    }

    private func parseStages(_ node: ConfigNode) throws -> [StageDraft] {
        try node.sequence(expected: "a list of stages such as - { duration: 10m, rate: 100/min }").map { item in
            let stage = try item.mapping(allowedKeys: Self.stageKeys, expected: "a stage such as { duration: 10m, users: 50 }")
            guard let duration = stage["duration"] else {
                throw item.error("a stage needs a duration, e.g. { duration: 10m, users: 50 }")
            }
            // Zero is a valid target: a ramp down to nothing.
            let users = try stage["users"]?.parse(.wholeNumber(in: 0...LoadLimits.maximumUsers))
            let rate = try stage["rate"]?.parse(.stageRate)
            guard users != nil || rate != nil else {
                throw item.error("a stage needs a target: users (closed model) or rate (open model)")
            }
            return StageDraft(
                duration: try duration.parse(.positiveDuration), users: users, rate: rate,
                ramp: try stage["ramp"]?.bool() ?? false, location: item.location)
        }
    }

    // MARK: credentials and thresholds

    private func parseCredentials(_ node: ConfigNode) throws -> CredentialsConfig {
        let section = try node.mapping(
            allowedKeys: Self.credentialKeys, expected: "a mapping with file: PATH or bearer_env: VARIABLE")
        switch (section["file"], section["bearer_env"]) {
        case (let file?, nil):
            return .basicFile(path: resolvePath(try file.string(expected: "a file path")))
        case (nil, let variable?):
            return .bearerEnv(variable: try variable.parse(.variableName))
        case (.some, .some):
            throw node.error("give either file (key:secret lines for basic auth) or bearer_env, not both")
        case (nil, nil):
            throw node.error("expected file: PATH (key:secret lines for basic auth) or bearer_env: VARIABLE")
        }
    }

    private func parseThresholds(_ node: ConfigNode) throws -> [String: [String]] {
        var thresholds: [String: [String]] = [:]
        for entry in try node.openMapping(expected: "a mapping of scope (aggregate or an endpoint) to a list of expressions") {
            guard !entry.value.isNull else { continue }
            thresholds[entry.key] = try entry.value
                .listOrSingle(expected: "a list of expressions such as [\"p95 < 1s\", \"error_rate < 5%\"]")
                .map { try $0.string(expected: "an expression such as \"p95 < 1s\"") }
        }
        return thresholds
    }

    /// `~` is the home folder; a relative path is relative to the configuration file, not to wherever loadops is run.
    func resolvePath(_ path: String) -> String {
        UserPath.resolve(path, relativeTo: baseDirectory, home: homeDirectory)
    }
}
