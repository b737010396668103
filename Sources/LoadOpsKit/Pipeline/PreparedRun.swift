import Foundation

/// A run with everything checked that can be checked before it touches anything: the configuration
/// and the hosts it may aim at, credentials, every request template and placeholder, the thresholds,
/// an explicit baseline, each checklist it will run (parsed, production-guarded and confirmed, the
/// post-test one included) and that the output folder can be written. An error here means nothing
/// happened: no preflight, no cleanup, no load, nothing stored changed (exit 2).
public struct PreparedRun: Sendable {
    public var request: RunRequest
    public var config: LoadOpsConfig
    public var target: TargetAddress
    public var plan: LoadPlan
    public var thresholds: ThresholdSet
    /// What to compare against: `--baseline`, or `baselines/baseline.json` when it exists.
    public var baselineSpec: String?
    public var preflight: PreflightChecklist?
    public var cleanup: CleanupChecklist?
    public var postTest: CleanupChecklist?
    public var outputFolder: String
    public var databasePath: String?
    /// `--metrics-listen`: already listening, so a port in use is found here.
    public var metrics: LiveMetricsEndpoint?
    /// What sends the load: the request's sender, or Locust when the configuration chooses it.
    public var sender: any LoadSender

    public static func prepare(_ request: RunRequest) throws -> PreparedRun {
        let config = try ConfigLoader.load(path: request.configPath, environment: request.environment,
                                           overrides: request.overrides, workingDirectory: request.workingDirectory)
        try LoadLimits.checkThreads(request.threads)
        try HostPolicy.check(url: config.host, allowHosts: config.allowHosts)
        let target = try TargetAddress(url: config.host)
        let authorizations = try RunPipeline.loadAuthorizations(config.credentials, environment: request.environment)
        var plan = LoadPlan(target: target, endpoints: config.endpoints, flows: config.flows, load: config.load,
                            authorizations: authorizations, insecure: config.insecure, threads: request.threads)
        plan.followRedirects = config.followRedirects
        plan.allowHosts = config.allowHosts
        try LoadGenerator.check(plan)
        let thresholds = try ThresholdSet.parse(config.thresholds)

        let databasePath = request.databasePath.map { UserPath.resolve($0, relativeTo: request.workingDirectory) }
        let baselineSpec = try resolveBaselineSpec(request, databasePath: databasePath)

        let preflight = try request.preflight
            ? PreflightChecklistParser.parse(path: PreflightChecklist.defaultPath, workingDirectory: request.workingDirectory,
                                             config: config, environment: request.environment)
            : nil
        let cleanup = try request.cleanup ? cleanupChecklist(CleanupChecklist.defaultPath, request: request, config: config) : nil
        let postTest = try request.postTest ? cleanupChecklist(CleanupChecklist.postTestPath, request: request, config: config) : nil

        let outputFolder = UserPath.resolve(config.output, relativeTo: request.workingDirectory)
        try OutputFolderProbe.checkWritable(outputFolder)
        let sender = try LocustLoadSender.choose(for: config, request: request, outputFolder: outputFolder)
        // Last: once it listens, nothing here may fail.
        let metrics = try LiveMetricsEndpoint.start(
            MetricsListenSettings.parse(listen: request.metricsListen, linger: request.metricsLinger), plan: plan)
        return PreparedRun(request: request, config: config, target: target, plan: plan, thresholds: thresholds,
                           baselineSpec: baselineSpec, preflight: preflight, cleanup: cleanup, postTest: postTest,
                           outputFolder: outputFolder, databasePath: databasePath, metrics: metrics, sender: sender)
    }

    /// A cleanup checklist, parsed and allowed to run (production guard, confirmation of its destructive steps).
    private static func cleanupChecklist(_ path: String, request: RunRequest, config: LoadOpsConfig) throws -> CleanupChecklist {
        let checklist = try CleanupChecklistParser.parse(path: path, workingDirectory: request.workingDirectory,
                                                         environment: request.environment)
        try CleanupRunner.authorize(checklist, displayPath: path, config: config, options: request.cleanupOptions)
        return checklist
    }

    /// The explicit `--baseline` (which must resolve now: a typo is bad input), or `baselines/baseline.json`
    /// when it exists, or none. `previous` and `latest` resolve after the run is recorded.
    private static func resolveBaselineSpec(_ request: RunRequest, databasePath: String?) throws -> String? {
        if let explicit = request.baseline {
            if !["previous", "latest"].contains(explicit.lowercased()) {
                _ = try ResultsLocator.resolve(explicit, databasePath: databasePath ?? HistoryDefaults.databasePath,
                                               workingDirectory: request.workingDirectory)
            }
            return explicit
        }
        // Relative, as `loadops summary` names it too: the comparison's label is the same either way.
        let standard = UserPath.resolve(BaselineStore.defaultPath, relativeTo: request.workingDirectory)
        return FileManager.default.fileExists(atPath: standard) ? BaselineStore.defaultPath : nil
    }
}

/// Finds out before the load whether the results can be written where they are meant to go.
enum OutputFolderProbe {
    static func checkWritable(_ folder: String) throws(RunError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .outputNotWritable(folder: folder, reason: FileErrorReason.text(error))
        }
        let probe = (folder as NSString).appendingPathComponent(".loadops-write-check-\(getpid())")
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw .outputNotWritable(folder: folder, reason: String(cString: strerror(errno)))
        }
        close(descriptor)
        unlink(probe)
    }
}
