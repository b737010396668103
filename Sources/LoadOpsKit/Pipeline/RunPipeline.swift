import Foundation

/// What `loadops run` was asked to do.
public struct RunRequest: Sendable {
    public var configPath: String?
    public var overrides: ConfigOverrides
    public var environment: [String: String]
    public var workingDirectory: String
    public var threads: Int?

    public init(configPath: String?, overrides: ConfigOverrides, environment: [String: String],
                workingDirectory: String, threads: Int? = nil) {
        self.configPath = configPath
        self.overrides = overrides
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.threads = threads
    }
}

/// What a finished run leaves behind.
public struct RunReport: Sendable {
    public var result: RunResult
    public var outputFolder: String
    public var files: [String]
    public var exitStatus: ExitStatus
}

/// Errors of the run stage that are not the config's or the generator's own.
public enum RunError: Error, CustomStringConvertible, ExitStatusProviding {
    case missingBearerToken(variable: String)

    public var description: String {
        switch self {
        case .missingBearerToken(let variable):
            return "credentials.bearer_env: the environment variable \(variable) is not set (it should hold the bearer token)"
        }
    }

    public var exitStatus: ExitStatus { .badInput }
}

/// `loadops run`: config → host check → generator → results, in that order.
/// Later stages (preflight, history, comparison, summary, archive) hook in here.
public enum RunPipeline {
    public static func run(_ request: RunRequest, console: RunConsole, stop: StopSignal) async throws -> RunReport {
        // 1. Configuration and the hosts it may aim at.
        let config = try ConfigLoader.load(path: request.configPath, environment: request.environment,
                                           overrides: request.overrides, workingDirectory: request.workingDirectory)
        try HostPolicy.check(url: config.host, allowHosts: config.allowHosts)
        let target = try TargetAddress(url: config.host)
        let authorizations = try loadAuthorizations(config.credentials, environment: request.environment)
        let plan = LoadPlan(target: target, endpoints: config.endpoints, load: config.load,
                            authorizations: authorizations, insecure: config.insecure, threads: request.threads)
        if config.load.model == .open { _ = try plan.arrivalSchedule() }

        // 2. Output folder and log.
        let outputFolder = absolute(config.output, in: request.workingDirectory)
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        console.openLog(at: (outputFolder as NSString).appendingPathComponent("load_test.log"))
        defer { console.closeLog() }
        console.line(describe(config, target: target, plan: plan))

        // 3. The load.
        let outcome = try await LoadGenerator.run(plan: plan, stop: stop) { progress in
            console.progress(progress)
        }
        console.endProgress()

        // 4. Results.
        let status: RunStatus = outcome.stoppedEarly ? .interrupted : .completed
        var result = RunResult(
            status: status, startTime: outcome.startTime, endTime: outcome.endTime, config: config.redacted(),
            endpoints: outcome.endpoints, coordinatedOmissionCorrected: config.load.model == .open,
            timeSeries: outcome.timeSeries, peakUsers: outcome.peakUsers, droppedArrivals: outcome.droppedArrivals,
            warnings: [])
        result.warnings = RunWarnings.detect(in: result)
        let files = try ResultsWriter.write(result, to: outputFolder)

        console.line("")
        for line in RunSummaryText.render(result).split(separator: "\n", omittingEmptySubsequences: false) {
            console.line(String(line))
        }
        for warning in result.warnings { console.line("warning: \(warning)") }
        if status == .interrupted {
            console.line("Run interrupted: partial results saved (marked \"interrupted\").")
        }
        console.line("Results: \(outputFolder)/ (\(files.map { ($0 as NSString).lastPathComponent }.sorted().joined(separator: ", ")), load_test.log)")
        return RunReport(result: result, outputFolder: outputFolder, files: files,
                         exitStatus: status == .interrupted ? .interrupted : .success)
    }

    static func loadAuthorizations(_ credentials: CredentialsConfig?, environment: [String: String]) throws -> [String] {
        switch credentials {
        case nil:
            return []
        case .basicFile(let path):
            return try CredentialsFile.load(path: path).map { pair in
                "Basic " + Data("\(pair.key):\(pair.secret)".utf8).base64EncodedString()
            }
        case .bearerEnv(let variable):
            guard let token = environment[variable], !token.isEmpty else {
                throw RunError.missingBearerToken(variable: variable)
            }
            return ["Bearer \(token)"]
        }
    }

    static func absolute(_ path: String, in directory: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? expanded : (directory as NSString).appendingPathComponent(expanded)
    }

    static func describe(_ config: LoadOpsConfig, target: TargetAddress, plan: LoadPlan) -> String {
        let load = config.load
        var text = "loadops run: \(load.model.rawValue) model, "
        switch load.model {
        case .closed:
            text += load.stages.isEmpty
                ? "\(load.users) users (spawn \(format(load.spawnRate))/s)"
                : "\(load.stages.count) stages up to \(Int(load.stages.map(\.target).max() ?? 0)) users"
        case .open:
            if load.stages.isEmpty, let schedule = try? plan.arrivalSchedule() {
                text += "\(format(schedule.rate(at: 0))) req/s (\(format(schedule.rate(at: 0) * 60))/min), up to \(load.maxConnections) connections"
            } else {
                text += "\(load.stages.count) stages up to \(format(load.stages.map(\.target).max() ?? 0)) req/s"
            }
        }
        text += " for \(ProgressLine.clock(load.plannedDuration)) against \(target.displayURL)"
        text += ", \(config.endpoints.count) endpoint\(config.endpoints.count == 1 ? "" : "s")"
        return text
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }
}

/// Problems worth a line at the end of a run.
enum RunWarnings {
    static func detect(in result: RunResult) -> [String] {
        var warnings: [String] = []
        let aggregate = result.aggregate
        if let throttled = aggregate.failuresByKind[.httpStatus(429)], throttled > 0 {
            warnings.append("the target answered 429 Too Many Requests \(throttled) times: a rate limiter is throttling the load, so the figures describe the limiter, not the service (raise or lift the limit for the load-test source)")
        }
        if let refused = aggregate.failuresByKind[.connectionRefused], refused > 0 {
            warnings.append("\(refused) connections were refused: is the target running at \(result.config.host)?")
        }
        if result.droppedArrivals > 0 {
            warnings.append("\(result.droppedArrivals) scheduled requests were never sent (every connection busy, or the run ended first): raise load.max_connections or lower the rate")
        }
        if aggregate.requests == 0 {
            warnings.append("no request completed")
        }
        return warnings
    }
}
