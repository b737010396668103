import Foundation

/// What `loadops run` was asked to do.
public struct RunRequest: Sendable {
    public var configPath: String?
    public var overrides: ConfigOverrides
    public var environment: [String: String]
    public var workingDirectory: String
    public var threads: Int?
    /// The history database; nil records nothing.
    public var databasePath: String?
    /// What to compare against: a file, a run id or `previous`; nil means `baselines/baseline.json` when it exists.
    public var baseline: String?
    public var tolerance: ComparisonTolerance
    /// Run `checklists/preflight.yml` first and stop when it fails.
    public var preflight = false
    /// Run `checklists/cleanup.yml` before the load.
    public var cleanup = false
    /// Run `checklists/post-test.yml` after the load.
    public var postTest = false
    /// Confirmation and production settings for the cleanup steps.
    public var cleanupOptions = CleanupOptions()

    public init(configPath: String?, overrides: ConfigOverrides, environment: [String: String],
                workingDirectory: String, threads: Int? = nil,
                databasePath: String? = HistoryDefaults.databasePath, baseline: String? = nil,
                tolerance: ComparisonTolerance = ComparisonTolerance()) {
        self.configPath = configPath
        self.overrides = overrides
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.threads = threads
        self.databasePath = databasePath
        self.baseline = baseline
        self.tolerance = tolerance
    }
}

/// What a finished run leaves behind.
public struct RunReport: Sendable {
    public var result: RunResult
    public var document: ResultsDocument
    public var outputFolder: String
    public var files: [String]
    public var thresholds: [ThresholdOutcome]
    public var comparison: ComparisonReport?
    /// The run's id in the history database, when it was recorded.
    public var runID: Int64?
    public var exitStatus: ExitStatus
}

/// Errors of the run stage that are not the config's or the generator's own.
public enum RunError: Error, CustomStringConvertible, ExitStatusProviding {
    case missingBearerToken(variable: String)
    case preflightFailed
    case cleanupFailed(checklist: String)

    public var description: String {
        switch self {
        case .missingBearerToken(let variable):
            return "credentials.bearer_env: the environment variable \(variable) is not set (it should hold the bearer token)"
        case .preflightFailed:
            return "preflight failed: no load was sent"
        case .cleanupFailed(let checklist):
            return "cleanup (\(checklist)) failed: no load was sent"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .missingBearerToken: return .badInput
        case .preflightFailed, .cleanupFailed: return .checkFailed
        }
    }
}

/// `loadops run`: config → host check → (preflight, cleanup) → generator → results → thresholds →
/// history → comparison with the baseline → summary → (post-test cleanup), in that order.
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
        // A typo in a threshold fails before any load is sent.
        let thresholdSet = try ThresholdSet.parse(config.thresholds)
        let baselineSpec = try resolveBaselineSpec(request)
        if let explicit = request.baseline, !["previous", "latest"].contains(explicit.lowercased()) {
            // A mistyped or malformed --baseline is bad input (exit 2), found before any load is sent.
            _ = try ResultsLocator.resolve(explicit, databasePath: databasePath(request) ?? HistoryDefaults.databasePath,
                                           workingDirectory: request.workingDirectory)
        }

        // 2. The guide's pre-test checklist and resource cleanup, when asked for.
        if request.preflight {
            let report = try await PreflightRunner.run(checklist: PreflightChecklist.defaultPath, config: config,
                                                       environment: request.environment, workingDirectory: request.workingDirectory)
            for line in report.text(strict: false).split(separator: "\n", omittingEmptySubsequences: false) { console.line(String(line)) }
            guard report.isReady(strict: false) else { throw RunError.preflightFailed }
        }
        if request.cleanup {
            let report = try await CleanupRunner.run(checklist: CleanupChecklist.defaultPath, config: config, options: request.cleanupOptions,
                                                     environment: request.environment, workingDirectory: request.workingDirectory)
            for line in report.text.split(separator: "\n", omittingEmptySubsequences: false) { console.line(String(line)) }
            guard report.succeeded else { throw RunError.cleanupFailed(checklist: CleanupChecklist.defaultPath) }
        }

        // 3. Output folder and log.
        let outputFolder = absolute(config.output, in: request.workingDirectory)
        try FileManager.default.createDirectory(atPath: outputFolder, withIntermediateDirectories: true)
        console.openLog(at: (outputFolder as NSString).appendingPathComponent("load_test.log"))
        defer { console.closeLog() }
        console.line(describe(config, target: target, plan: plan))

        // 4. The load.
        let outcome = try await LoadGenerator.run(plan: plan, stop: stop) { progress in
            console.progress(progress)
        }
        console.endProgress()

        // 5. Results.
        let status: RunStatus = outcome.stoppedEarly ? .interrupted : .completed
        var result = RunResult(
            status: status, startTime: outcome.startTime, endTime: outcome.endTime, config: config.redacted(),
            endpoints: outcome.endpoints, coordinatedOmissionCorrected: config.load.model == .open,
            timeSeries: outcome.timeSeries, peakUsers: outcome.peakUsers, droppedArrivals: outcome.droppedArrivals,
            warnings: [])
        result.warnings = RunWarnings.detect(in: result)
        var document = ResultsDocument.make(from: result)
        let thresholds = thresholdSet.evaluate(document)
        document.thresholds = thresholds.isEmpty ? nil : thresholds
        var files = try ResultsWriter.write(result, document: document, to: outputFolder)

        // 6. History, then the baseline (which may be the previous run in that history).
        let runID = recordHistory(result, document: document, thresholds: thresholds, request: request, console: console)
        var comparison: ComparisonReport?
        var summaryWarnings = document.warnings
        if let baselineSpec {
            do {
                let baseline = try ResultsLocator.resolve(baselineSpec, databasePath: databasePath(request) ?? HistoryDefaults.databasePath,
                                                          workingDirectory: request.workingDirectory, relativeTo: runID)
                comparison = BaselineComparison.compare(current: document, baseline: baseline.document, tolerance: request.tolerance,
                                                        currentLabel: runID.map { "run \($0)" } ?? "this run",
                                                        baselineLabel: baseline.label)
            } catch {
                console.line("warning: no comparison against the baseline: \(error)")
                summaryWarnings.append("baseline not compared: \(error)")
            }
        }
        files.append(try RunSummaryMarkdown.writeSummary(document: document, thresholds: thresholds, comparison: comparison,
                                                         warnings: summaryWarnings, to: outputFolder))

        // 7. What the reader sees.
        console.line("")
        for line in RunSummaryText.render(result).split(separator: "\n", omittingEmptySubsequences: false) {
            console.line(String(line))
        }
        if !thresholds.isEmpty {
            console.line("")
            console.line("Thresholds")
            for outcome in thresholds {
                console.line("  \(outcome.passed ? "✓" : "✗") \(outcome.verdict)  \(outcome.scope): \(outcome.expression)  (observed \(outcome.observed))")
            }
        }
        if let comparison {
            console.line("")
            for line in ComparisonRenderer.table(comparison).split(separator: "\n", omittingEmptySubsequences: false) {
                console.line(String(line))
            }
        }
        for warning in result.warnings { console.line("warning: \(warning)") }
        if status == .interrupted {
            console.line("Run interrupted: partial results saved (marked \"interrupted\").")
        }
        console.line("Results: \(outputFolder)/ (\(files.map { ($0 as NSString).lastPathComponent }.sorted().joined(separator: ", ")), load_test.log)"
                     + (runID.map { "; recorded as run \($0)" } ?? ""))

        // 8. The guide's data cleanup, after the results are safe on disk.
        var postTestFailed = false
        if request.postTest {
            let report = try await CleanupRunner.run(checklist: CleanupChecklist.postTestPath, config: config, options: request.cleanupOptions,
                                                     environment: request.environment, workingDirectory: request.workingDirectory)
            for line in report.text.split(separator: "\n", omittingEmptySubsequences: false) { console.line(String(line)) }
            postTestFailed = !report.succeeded
        }

        let failedThresholds = thresholds.filter { !$0.passed }.count
        let regressions = comparison?.regressions.count ?? 0
        let exitStatus: ExitStatus
        if status == .interrupted {
            exitStatus = .interrupted
        } else if failedThresholds > 0 || regressions > 0 || postTestFailed {
            console.line("FAIL: \(failedThresholds) threshold\(failedThresholds == 1 ? "" : "s") failed, \(regressions) regression\(regressions == 1 ? "" : "s") against the baseline"
                         + (postTestFailed ? ", post-test cleanup failed" : ""))
            exitStatus = .checkFailed
        } else {
            exitStatus = .success
        }
        return RunReport(result: result, document: document, outputFolder: outputFolder, files: files, thresholds: thresholds,
                         comparison: comparison, runID: runID, exitStatus: exitStatus)
    }

    static func databasePath(_ request: RunRequest) -> String? {
        request.databasePath.map { absolute($0, in: request.workingDirectory) }
    }

    /// The explicit `--baseline`, or `baselines/baseline.json` when it exists, or none.
    static func resolveBaselineSpec(_ request: RunRequest) throws -> String? {
        if let baseline = request.baseline { return baseline }
        let standard = absolute(BaselineStore.defaultPath, in: request.workingDirectory)
        return FileManager.default.fileExists(atPath: standard) ? standard : nil
    }

    /// Records the run; a history problem is a warning, never the loss of a run already on disk.
    static func recordHistory(_ result: RunResult, document: ResultsDocument, thresholds: [ThresholdOutcome],
                              request: RunRequest, console: RunConsole) -> Int64? {
        guard let path = databasePath(request) else { return nil }
        do {
            let store = try HistoryStore.open(path: path)
            let runID = try store.record(result, document: document)
            if !thresholds.isEmpty {
                try store.record(thresholds: thresholds.map {
                    (scope: $0.scope, expression: $0.expression, observed: $0.observedValue, passed: $0.passed)
                }, runID: runID)
            }
            return runID
        } catch {
            console.line("warning: the run was not recorded in the history database: \(error)")
            return nil
        }
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
        text += ", \(plan.threads) event loop\(plan.threads == 1 ? "" : "s")"
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
