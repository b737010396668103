import Foundation

/// Values given on the command line; nil means "not given". Durations and rates stay text
/// so the flags accept `10m` and `50/s` and are checked by the same rules as the file.
///
/// A `--duration`, `--users-max` (closed model) or `--rate` (open model), like the variables
/// `LOAD_TEST_DURATION_SECONDS`, `LOAD_TEST_USERS_MAX` and `LOAD_TEST_RATE`, asks for a flat run,
/// so it replaces a stage profile from the file rather than being silently ignored.
public struct ConfigOverrides: Sendable, Equatable {
    public var host: String?
    public var usersMax: Int?
    public var spawnRate: Double?
    public var duration: String?
    public var output: String?
    public var model: LoadModel?
    public var rate: String?
    public var insecure: Bool?
    public var environment: String?
    /// `--engine builtin|locust`.
    public var engine: LoadEngine?
    /// `--requests N`: stop after N requests; text, checked by the same rule as `load.requests`.
    public var requests: String?

    public init(
        host: String? = nil, usersMax: Int? = nil, spawnRate: Double? = nil, duration: String? = nil,
        output: String? = nil, model: LoadModel? = nil, rate: String? = nil, insecure: Bool? = nil,
        environment: String? = nil, engine: LoadEngine? = nil, requests: String? = nil
    ) {
        self.host = host
        self.usersMax = usersMax
        self.spawnRate = spawnRate
        self.duration = duration
        self.output = output
        self.model = model
        self.rate = rate
        self.insecure = insecure
        self.environment = environment
        self.engine = engine
        self.requests = requests
    }
}

/// Builds the effective configuration: defaults, then `loadops.yml`, then the environment
/// (`.env.load-testing`, overridden by the process environment), then the command-line flags.
public enum ConfigLoader {
    public static let defaultFileName = "loadops.yml"

    /// The `LOAD_TEST_*` variables of the operations guide's `.env.load-testing` that loadops reads.
    public static let environmentVariables = [
        "LOAD_TEST_HOST", "LOAD_TEST_USERS_MAX", "LOAD_TEST_SPAWN_RATE", "LOAD_TEST_DURATION_SECONDS",
        "LOAD_TEST_OUTPUT", "LOAD_TEST_MODEL", "LOAD_TEST_RATE", "LOAD_TEST_ENVIRONMENT", "LOAD_TEST_REQUESTS",
    ]

    /// - Parameters:
    ///   - path: the configuration file; nil means `loadops.yml` in `workingDirectory` when there is one.
    ///   - environment: the process environment (`ProcessInfo.processInfo.environment`).
    public static func load(
        path: String?, environment: [String: String], overrides: ConfigOverrides = ConfigOverrides(), workingDirectory: String
    ) throws -> LoadOpsConfig {
        var config = LoadOpsConfig()
        var provenance = ConfigProvenance()
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()

        if let file = try locateFile(path: path, workingDirectory: workingDirectory) {
            let parser = ConfigFileParser(
                displayPath: file.displayPath, baseDirectory: (file.fullPath as NSString).deletingLastPathComponent,
                homeDirectory: home)
            try parser.apply(
                try YAMLFile.load(fullPath: file.fullPath, displayPath: file.displayPath), to: &config, provenance: &provenance)
            config.sourceDescription = file.displayPath
        }

        let variables = try environmentValues(environment, workingDirectory: workingDirectory)
        try applyEnvironment(variables, to: &config, provenance: &provenance)
        try applyOverrides(overrides, to: &config, provenance: &provenance)
        try finish(&config, provenance: provenance)
        return config
    }

    // MARK: file

    private struct LocatedFile {
        var fullPath: String
        var displayPath: String
    }

    private static func locateFile(path: String?, workingDirectory: String) throws -> LocatedFile? {
        guard let path else {
            let fullPath = (workingDirectory as NSString).appendingPathComponent(defaultFileName)
            return FileManager.default.fileExists(atPath: fullPath)
                ? LocatedFile(fullPath: fullPath, displayPath: defaultFileName) : nil
        }
        let fullPath = UserPath.resolve(path, relativeTo: workingDirectory)
        guard FileManager.default.fileExists(atPath: fullPath) else { throw ConfigError.missingFile(path) }
        return LocatedFile(fullPath: fullPath, displayPath: path)
    }

    // MARK: environment

    /// Each known variable with where it came from; the process environment wins over `.env.load-testing`.
    private static func environmentValues(
        _ environment: [String: String], workingDirectory: String
    ) throws -> [(name: String, value: String, location: SourceLocation)] {
        let dotEnvPath = (workingDirectory as NSString).appendingPathComponent(EnvironmentFile.fileName)
        var fromFile: [String: EnvironmentFile.Entry] = [:]
        if FileManager.default.fileExists(atPath: dotEnvPath) {
            fromFile = try EnvironmentFile.parse(YAMLFile.readText(dotEnvPath, displayPath: EnvironmentFile.fileName))
        }
        return environmentVariables.compactMap { name in
            // An empty value (`LOAD_TEST_RATE=`) means "not set", as it usually does in shell scripts.
            if let value = environment[name], !value.isEmpty {
                return (name, value, SourceLocation(file: SourceLocation.environmentFile, field: name))
            }
            if let entry = fromFile[name], !entry.value.isEmpty {
                return (name, entry.value, SourceLocation(file: EnvironmentFile.fileName, line: entry.line, field: name))
            }
            return nil
        }
    }

    private static func applyEnvironment(
        _ variables: [(name: String, value: String, location: SourceLocation)],
        to config: inout LoadOpsConfig, provenance: inout ConfigProvenance
    ) throws {
        for (name, value, location) in variables {
            switch name {
            case "LOAD_TEST_HOST": config.host = try read(value, .httpURL, at: location)
            case "LOAD_TEST_USERS_MAX":
                config.load.users = try read(value, .wholeNumber(in: 1...LoadLimits.maximumUsers), at: location)
                provenance.flatRun.users = true
            case "LOAD_TEST_SPAWN_RATE":
                config.load.spawnRate = try read(value, .positiveNumber(atMost: LoadLimits.maximumSpawnRate), at: location)
            case "LOAD_TEST_DURATION_SECONDS":
                config.load.duration = try read(value, .positiveDuration, at: location)
                provenance.flatRun.duration = true
            case "LOAD_TEST_OUTPUT": config.output = try read(value, .nonEmpty, at: location)
            case "LOAD_TEST_MODEL":
                config.load.model = try read(value, .model, at: location)
                provenance.model = location
            case "LOAD_TEST_RATE":
                config.load.rate = try read(value, .positiveRate, at: location)
                provenance.flatRun.rate = true
            case "LOAD_TEST_ENVIRONMENT": config.environment = value
            case "LOAD_TEST_REQUESTS":
                config.load.requests = try read(value, .wholeNumber(in: 1...LoadLimits.maximumRequests), at: location)
            default: break
            }
        }
    }

    // MARK: flags

    private static func applyOverrides(
        _ overrides: ConfigOverrides, to config: inout LoadOpsConfig, provenance: inout ConfigProvenance
    ) throws {
        if let host = overrides.host { config.host = try read(host, .httpURL, at: .commandLine("--host")) }
        if let users = overrides.usersMax {
            config.load.users = try read(
                String(users), .wholeNumber(in: 1...LoadLimits.maximumUsers), at: .commandLine("--users-max"))
            provenance.flatRun.users = true
        }
        if let spawnRate = overrides.spawnRate {
            let text = DecimalNumber.format(spawnRate)
            guard spawnRate.isFinite, spawnRate > 0, spawnRate <= LoadLimits.maximumSpawnRate else {
                throw ConfigError.invalid(
                    .commandLine("--spawn-rate"),
                    "expected a number > 0 and at most \(DecimalNumber.format(LoadLimits.maximumSpawnRate)), got \"\(text)\"")
            }
            config.load.spawnRate = spawnRate
        }
        if let duration = overrides.duration {
            config.load.duration = try read(duration, .positiveDuration, at: .commandLine("--duration"))
            provenance.flatRun.duration = true
        }
        if let output = overrides.output { config.output = try read(output, .nonEmpty, at: .commandLine("--output")) }
        if let model = overrides.model {
            config.load.model = model
            provenance.model = .commandLine("--model")
        }
        if let rate = overrides.rate {
            config.load.rate = try read(rate, .positiveRate, at: .commandLine("--rate"))
            provenance.flatRun.rate = true
        }
        if let insecure = overrides.insecure { config.insecure = insecure }
        if let environment = overrides.environment { config.environment = environment }
        if let engine = overrides.engine { config.engine = engine }
        if let requests = overrides.requests {
            config.load.requests = try read(
                requests, .wholeNumber(in: 1...LoadLimits.maximumRequests), at: .commandLine("--requests"))
        }
    }

    private static func read<T>(_ text: String, _ rule: ValueRule<T>, at location: SourceLocation) throws -> T {
        do {
            return try rule(text)
        } catch {
            throw ConfigError.invalid(location, error.description)
        }
    }

    // MARK: checks across settings

    /// Checks that depend on the final model, which any layer may have changed, and on the
    /// settings together: stages against the model, the run's length, endpoint identities.
    private static func finish(_ config: inout LoadOpsConfig, provenance: ConfigProvenance) throws {
        let model = config.load.model
        let stageDrafts = provenance.flatRun.replacesStages(model: model) ? [] : provenance.stageDrafts
        config.load.stages = try stageDrafts.map { draft in
            switch model {
            case .closed:
                guard let users = draft.users else {
                    throw ConfigError.invalid(
                        draft.location,
                        "the load model is closed, so each stage needs users (e.g. { duration: 10m, users: 50 }); rate is for model: open")
                }
                return LoadStage(duration: draft.duration, target: Double(users), ramp: draft.ramp)
            case .open:
                guard let rate = draft.rate else {
                    throw ConfigError.invalid(
                        draft.location,
                        "the load model is open, so each stage needs a rate (e.g. { duration: 10m, rate: 100/min }); users is for model: closed")
                }
                return LoadStage(duration: draft.duration, target: rate, ramp: draft.ramp)
            }
        }
        if let first = stageDrafts.first, config.load.plannedDuration > LoadLimits.maximumDurationSeconds {
            var location = first.location
            location.field = "load.stages"
            throw ConfigError.invalid(
                location, "the stages add up to \(DurationParser.format(config.load.plannedDuration)); a run lasts at most \(LoadLimits.durationText)")
        }

        var endpointLocations = provenance.endpointLocations
        // Without endpoints or flows, the target's root is the one endpoint; flows alone need none.
        if config.endpoints.isEmpty && config.flows.isEmpty {
            config.endpoints = [EndpointConfig(method: "GET", path: "/")]
            endpointLocations = [.defaults("endpoints")]
        }
        func location(ofEndpoint index: Int) -> SourceLocation {
            endpointLocations.indices.contains(index) ? endpointLocations[index] : provenance.model
        }
        func location(ofFlow index: Int) -> FlowLocations {
            provenance.flowLocations.indices.contains(index)
                ? provenance.flowLocations[index]
                : FlowLocations(flow: provenance.model, name: provenance.model)
        }
        maskSecrets(in: &config)
        try checkRequestIdentities(config, endpointLocation: location(ofEndpoint:), flowLocation: location(ofFlow:))
        try checkFlows(config, provenance: provenance, location: location(ofFlow:))

        guard model == .open, config.load.stages.isEmpty, config.load.rate == nil else { return }
        guard config.endpoints.contains(where: { $0.rate != nil }) || config.flows.contains(where: { $0.rate != nil }) else {
            if let flow = config.flows.first {
                throw ConfigError.invalid(
                    location(ofFlow: 0).flow,
                    "flow \"\(flow.name)\" has no rate: the open model starts iterations at a set rate, so give each flow one "
                        + "(e.g. rate: 100/min) or set load.rate (e.g. rate: 100/s) or load.stages to share by weight, or pass --rate")
            }
            throw ConfigError.invalid(
                provenance.model,
                "the open model starts requests at a set rate, but no rate is given: give endpoints a rate "
                    + "(e.g. - \"get /health\": 50/s), set load.rate (e.g. rate: 100/s), add load.stages, or pass --rate")
        }
        if let missing = config.endpoints.indices.first(where: { config.endpoints[$0].rate == nil }) {
            let endpoint = config.endpoints[missing]
            let path = Redaction.maskQuery(endpoint.path, extraNames: config.redactQuery)
            throw ConfigError.invalid(
                location(ofEndpoint: missing),
                "\(endpoint.method) \(path) has no rate while other \(config.flows.isEmpty ? "endpoints" : "endpoints or flows") do: "
                    + "with the open model give it one (e.g. \"\(endpoint.method.lowercased()) \(path)\": 10/s) or set load.rate "
                    + "to share among the endpoints without one")
        }
        if let missing = config.flows.indices.first(where: { config.flows[$0].rate == nil }) {
            throw ConfigError.invalid(
                location(ofFlow: missing).flow,
                "flow \"\(config.flows[missing].name)\" has no rate while other \(config.endpoints.isEmpty ? "flows" : "flows or endpoints") do: "
                    + "with the open model give it one (e.g. rate: 100/min) or set load.rate to share among those without one by weight")
        }
    }

    /// Flows run on loadops's own generator, and their share of the load is a weight in the closed
    /// model and a rate in the open one.
    private static func checkFlows(
        _ config: LoadOpsConfig, provenance: ConfigProvenance, location: (Int) -> FlowLocations
    ) throws {
        guard !config.flows.isEmpty else { return }
        if config.engine == .locust {
            throw ConfigError.invalid(
                provenance.flowsSection ?? location(0).flow,
                "flows run on the built-in engine only: leave out engine: locust (or --engine locust) to run them")
        }
        if config.load.model == .closed, let index = config.flows.indices.first(where: { config.flows[$0].rate != nil }) {
            let flow = location(index)
            throw ConfigError.invalid(
                flow.rate ?? flow.flow,
                "rate applies to the open model; in the closed model use weight to set the flow's share of the users' iterations")
        }
    }

    /// Endpoint names are what every output shows (CSVs, results.json, the summary, the log, the
    /// history), so the values of secret query parameters are masked in them here, once; the path
    /// keeps them, and the request still sends them. Threshold scopes are masked the same way, so
    /// one written with the real value still finds its endpoint.
    private static func maskSecrets(in config: inout LoadOpsConfig) {
        let names = config.redactQuery
        for index in config.endpoints.indices {
            config.endpoints[index].name = Redaction.maskQuery(config.endpoints[index].name, extraNames: names)
        }
        for flow in config.flows.indices {
            for step in config.flows[flow].steps.indices {
                config.flows[flow].steps[step].request.name = Redaction.maskQuery(
                    config.flows[flow].steps[step].request.name, extraNames: names)
            }
        }
        var thresholds: [String: [String]] = [:]
        for (scope, expressions) in config.thresholds {
            thresholds[Redaction.maskQuery(scope, extraNames: names), default: []] += expressions
        }
        config.thresholds = thresholds
    }

    /// Results are kept per method and name (the CSVs' Type and Name, the history's keys), so two
    /// endpoints, or flow steps, with both the same would be counted as one and could not be recorded.
    private static func checkRequestIdentities(
        _ config: LoadOpsConfig, endpointLocation: (Int) -> SourceLocation, flowLocation: (Int) -> FlowLocations
    ) throws {
        struct Identity: Hashable {
            var method: String
            var name: String
        }
        var requests: [(identity: Identity, location: SourceLocation, kind: String)] = config.endpoints.enumerated().map { index, endpoint in
            (Identity(method: endpoint.method, name: endpoint.name), endpointLocation(index), "endpoint")
        }
        for (flowIndex, flow) in config.flows.enumerated() {
            let locations = flowLocation(flowIndex)
            for (stepIndex, step) in flow.steps.enumerated() {
                let location = locations.steps.indices.contains(stepIndex) ? locations.steps[stepIndex] : locations.flow
                requests.append((Identity(method: step.request.method, name: step.request.name), location, "step"))
            }
        }
        var seen: [Identity: Int] = [:]
        for (index, request) in requests.enumerated() {
            guard let first = seen[request.identity] else {
                seen[request.identity] = index
                continue
            }
            let earlier = requests[first]
            // A step's default name already starts with its method (`GET /a`).
            let name = request.identity.name
            let subject = request.kind == "step" && name.hasPrefix(request.identity.method + " ")
                ? name : "\(request.identity.method) \(name)"
            var position = earlier.location.file
            if let line = earlier.location.line { position += ":\(line)" + (earlier.location.column.map { ":\($0)" } ?? "") }
            throw ConfigError.invalid(
                request.location,
                "\(subject) is already the name of the \(earlier.kind) at \(position)"
                    + (earlier.location.field.map { " (\($0))" } ?? "") + ": results are kept per method and name, "
                    + "so give one of them a distinct `name:`")
        }
    }
}
