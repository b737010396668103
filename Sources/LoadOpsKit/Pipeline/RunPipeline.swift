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
    /// Watch the load besides the console (which always does); any may stop it with a reason.
    public var observers: [any RunObserver] = []
    /// Told of each warning sign as it starts and clears, and of an abort, as the console is (the web UI).
    public var watchEvents: (@Sendable (WatchEvent) -> Void)?
    /// Also write JUnit XML here (`--junit FILE`).
    public var junitPath: String?
    /// Serve the live metrics here (`--metrics-listen HOST:PORT`), and that long after the results
    /// are written (`--metrics-linger`, a duration).
    public var metricsListen: String?
    public var metricsLinger: String?
    /// Sends the load (the SwiftNIO generator unless a test says otherwise, or the configuration asks for Locust).
    public var sender: any LoadSender = NIOLoadSender()
    /// With the Locust engine: local workers, remote workers and where the master listens.
    public var locust = LocustRunOptions()

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
    public var verdict: RunVerdict
    /// The run's id in the history database, when it was recorded.
    public var runID: Int64?
    public var exitStatus: ExitStatus { verdict.exitStatus }
}

/// Errors of the run stage that are not the config's or the generator's own.
public enum RunError: Error, CustomStringConvertible, ExitStatusProviding {
    case missingBearerToken(variable: String)
    case preflightFailed
    case cleanupFailed(checklist: String)
    case outputNotWritable(folder: String, reason: String)
    case interruptedBeforeLoad
    case resultsNotWritten(reason: String, runID: Int64?)

    public var description: String {
        switch self {
        case .missingBearerToken(let variable):
            return "credentials.bearer_env: the environment variable \(variable) is not set (it should hold the bearer token)"
        case .preflightFailed:
            return "preflight failed: no load was sent"
        case .cleanupFailed(let checklist):
            return "cleanup (\(checklist)) failed: no load was sent"
        case .outputNotWritable(let folder, let reason):
            return "output: cannot write results to \(folder): \(reason) (choose another folder with --output or output: in loadops.yml)"
        case .interruptedBeforeLoad:
            return "interrupted before the load started: no load was sent, nothing was recorded"
        case .resultsNotWritten(let reason, let runID):
            return "the results could not be written: \(reason)"
                + (runID.map { "; the run is recorded in the history as run \($0) (loadops history show \($0))" } ?? "")
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .missingBearerToken, .outputNotWritable: return .badInput
        case .preflightFailed, .cleanupFailed, .resultsNotWritten: return .checkFailed
        case .interruptedBeforeLoad: return .interrupted
        }
    }
}

/// `loadops run`, top to bottom: everything checked (`PreparedRun`) → preflight → cleanup → the load →
/// results → history → comparison with the baseline → verdict → summary → post-test cleanup.
public enum RunPipeline {
    public static func run(_ request: RunRequest, console: RunConsole, stop: StopSignal) async throws -> RunReport {
        let prepared = try PreparedRun.prepare(request)
        // The live metrics answer until the pipeline ends, whichever way it ends.
        defer { prepared.metrics?.close() }
        let config = prepared.config
        var cleanupOptions = request.cleanupOptions
        cleanupOptions.stop = stop
        cleanupOptions.assumeYes = true  // confirmed (or refused) while preparing

        // The operations guide's pre-test checklist and resource cleanup, when asked for. An interrupt
        // here stops what has not started and records nothing.
        if let checklist = prepared.preflight {
            let report = await PreflightRunner.run(checklist, displayPath: PreflightChecklist.defaultPath,
                                                   environment: request.environment, workingDirectory: request.workingDirectory)
            print(report.text(strict: false), to: console)
            if stop.isRequested { throw RunError.interruptedBeforeLoad }
            guard report.isReady(strict: false) else { throw RunError.preflightFailed }
        }
        if let checklist = prepared.cleanup {
            let report = try await CleanupRunner.run(checklist, displayPath: CleanupChecklist.defaultPath, config: config,
                                                     options: cleanupOptions, workingDirectory: request.workingDirectory)
            print(report.text, to: console)
            if stop.isRequested { throw RunError.interruptedBeforeLoad }
            guard report.succeeded else { throw RunError.cleanupFailed(checklist: CleanupChecklist.defaultPath) }
        }
        if stop.isRequested { throw RunError.interruptedBeforeLoad }

        // The load. The log starts here, with what was printed before.
        let outputFolder = prepared.outputFolder
        console.openLog(at: (outputFolder as NSString).appendingPathComponent(ResultsWriter.logFileName))
        console.line(describe(config, target: prepared.target, plan: prepared.plan))
        if let metrics = prepared.metrics { console.line("Live metrics: \(metrics.url)") }
        let load = try await WatchedLoad.run(prepared, request: request, console: console, stop: stop)
        let outcome = load.outcome

        // Results, then the history: a run whose files cannot be written is still recorded.
        let record = RunRecord.make(load, prepared: prepared)
        let (result, document) = (record.result, record.document)
        var files: [String] = []
        var writeProblem: String?
        do {
            files = try ResultsWriter.write(result, document: document, to: outputFolder)
        } catch {
            writeProblem = String(describing: error)
        }
        let runID = recordHistory(result, document: document, thresholds: document.thresholds ?? [],
                                  databasePath: prepared.databasePath, console: console)
        if let writeProblem { throw RunError.resultsNotWritten(reason: writeProblem, runID: runID) }

        // An abort rule stopped the run: the operations guide's incident response, done for the operator.
        if case .aborted(let rule) = outcome.stopReason {
            console.line("Gathering the incident report (health check, services, incident commands)...")
            let evidence = IncidentInvestigation.Evidence(
                rule: rule, firedAfter: load.abortedAfter ?? document.durationSeconds,
                firedAt: outcome.startTime.addingTimeInterval(load.abortedAfter ?? document.durationSeconds),
                document: document, load: load, endpoints: prepared.plan.requestEndpoints,
                // A flow's data rows (passwords, account ids) may come back in a failing answer.
                secrets: Redaction.secrets(inAuthorizations: prepared.plan.authorizations)
                    + config.monitor.passwords(environment: request.environment)
                    + config.flows.flatMap { $0.data?.rows.flatMap { $0 } ?? [] }.filter { $0.count >= 4 })
            let report = await IncidentInvestigation.investigate(evidence, config: config, preflight: prepared.preflight,
                                                                 environment: request.environment,
                                                                 workingDirectory: request.workingDirectory)
            let path = (outputFolder as NSString).appendingPathComponent(IncidentReport.fileName)
            do {
                try Data((report.markdown + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                files.append(path)
            } catch {
                console.line("warning: \(IncidentReport.fileName) could not be written: \(error.localizedDescription)")
            }
        }

        // The baseline, which may be the previous run in that history.
        let baseline = prepared.baselineSpec.map { spec in
            Result<ResolvedResults, any Error> {
                try ResultsLocator.resolve(spec, databasePath: prepared.databasePath ?? HistoryDefaults.databasePath,
                                           workingDirectory: request.workingDirectory, relativeTo: runID)
            }
        }
        if case .failure(let error)? = baseline { console.line("warning: no comparison against the baseline: \(error)") }

        // The operations guide's data cleanup, after the results are safe on disk; its outcome is part of the verdict.
        var postTestReport: CleanupReport?
        if let checklist = prepared.postTest, !stop.isRequested {
            postTestReport = try await CleanupRunner.run(checklist, displayPath: CleanupChecklist.postTestPath, config: config,
                                                         options: cleanupOptions, workingDirectory: request.workingDirectory)
        }
        let assessment = RunAssessment.assess(document, outcomes: document.thresholds ?? [], baseline: baseline,
                                              tolerance: request.tolerance,
                                              postTestFailed: postTestReport.map { !$0.succeeded } ?? false)
        files += try ReportWriters.write(ReportWriters.list(junitPath: request.junitPath, databasePath: prepared.databasePath),
                                         assessment, to: outputFolder)

        // What the reader sees.
        console.line("")
        print(RunSummaryText.render(result), to: console)
        if let signs = document.warningSigns {
            console.line("")
            console.line("Warning signs during the run")
            for sign in signs {
                console.line("  ⚠ \(sign.timeSpan)  \(sign.message)")
            }
        }
        if !assessment.thresholds.isEmpty {
            console.line("")
            console.line(config.thresholdsAreDefault ? "Thresholds (the defaults: loadops.yml sets none)" : "Thresholds")
            for outcome in assessment.thresholds {
                console.line("  \(outcome.passed ? "✓" : "✗") \(outcome.verdict)  \(outcome.scope): \(outcome.expression)  (observed \(outcome.observed))")
            }
        }
        if let comparison = assessment.comparison {
            console.line("")
            print(ComparisonRenderer.table(comparison), to: console)
        }
        if result.status != .completed {
            console.line("Run \(outcome.stopReason.text): partial results saved (marked \"\(result.status.rawValue)\").")
        }
        let inFolder = files.filter { ($0 as NSString).deletingLastPathComponent == outputFolder }
        let elsewhere = files.filter { ($0 as NSString).deletingLastPathComponent != outputFolder }
        console.line("Results: \(outputFolder)/ (\(inFolder.map { ($0 as NSString).lastPathComponent }.sorted().joined(separator: ", ")), load_test.log)"
                     + elsewhere.map { ", \($0)" }.joined() + (runID.map { "; recorded as run \($0)" } ?? ""))
        if let postTestReport { print(postTestReport.text, to: console) }
        console.verdict(assessment.verdict.headline, passed: assessment.verdict.passed)
        await prepared.metrics?.linger(stop: stop)
        return RunReport(result: result, document: document, outputFolder: outputFolder, files: files,
                         thresholds: assessment.thresholds, comparison: assessment.comparison, verdict: assessment.verdict,
                         runID: runID)
    }

    /// Each line of `text` as a console line.
    private static func print(_ text: String, to console: RunConsole) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for line in lines { console.line(String(line)) }
    }

    /// Records the run; a history problem is a warning, never the loss of a run already on disk.
    static func recordHistory(_ result: RunResult, document: ResultsDocument, thresholds: [ThresholdOutcome],
                              databasePath: String?, console: RunConsole) -> Int64? {
        guard let path = databasePath else { return nil }
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
                let requests = schedule.rate(at: 0) * plan.requestsPerArrival
                text += "\(format(requests)) req/s (\(format(requests * 60))/min)"
                if !plan.flows.isEmpty { text += " in \(format(schedule.rate(at: 0) * 60)) iterations/min" }
                // Locust's users hold their own connections: the cap is the built-in generator's.
                if config.engine != .locust { text += ", up to \(load.maxConnections) connections" }
            } else {
                text += "\(load.stages.count) stages up to \(format(load.stages.map(\.target).max() ?? 0)) req/s"
            }
        }
        text += " for \(ReportNumber.clock(load.plannedDuration, rounding: .down))"
        if let requests = load.requests { text += " or \(requests) requests, whichever comes first," }
        text += " against \(target.displayURL)"
        if !config.endpoints.isEmpty || config.flows.isEmpty {
            text += ", \(config.endpoints.count) endpoint\(config.endpoints.count == 1 ? "" : "s")"
        }
        if !config.flows.isEmpty {
            text += ", \(config.flows.count) flow\(config.flows.count == 1 ? "" : "s")"
        }
        if config.engine == .locust {
            text += ", on Locust"
        } else {
            text += ", \(plan.threads) event loop\(plan.threads == 1 ? "" : "s")"
        }
        return text
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : ReportNumber.fixed(value, places: 2)
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
            warnings.append("no request was sent and answered: is the target reachable at \(result.config.host)?")
        } else if let unanswered = aggregate.failuresByKind[.unanswered], unanswered > 0 {
            warnings.append("\(unanswered) requests were still unanswered when the run ended (counted as failures: \(FailureKind.unanswered.message))")
        }
        if !result.timeSeries.isEmpty {
            warnings += Availability.measure(result.timeSeries).warnings(runSeconds: result.durationSeconds)
        }
        return warnings
    }
}
