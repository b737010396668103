import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Sends a run's load with Locust (headless: alone, or a master with workers on this machine or
/// others), so the rest of the pipeline — results.json, history, thresholds, comparison, summary,
/// report, archive — is the same as for loadops's own generator. Locust's results come back as a
/// `GeneratorOutcome`; its stats history file gives the live progress each second.
public struct LocustLoadSender: LoadSender {
    public var config: LoadOpsConfig
    public var options: LocustRunOptions
    public var outputFolder: String
    public var script: LocustScript

    /// Locust's own files go here, beside loadops's results (which are written from them).
    public static let folderName = "locust"
    public static let locustfileName = "locustfile.py"

    public init(config: LoadOpsConfig, options: LocustRunOptions, outputFolder: String) {
        self.config = config
        self.options = options
        self.outputFolder = outputFolder
        self.script = LocustfileGenerator.make(config)
    }

    var locustFolder: String { (outputFolder as NSString).appendingPathComponent(Self.folderName) }
    var locustfilePath: String { (outputFolder as NSString).appendingPathComponent(Self.locustfileName) }
    var csvPrefix: String { (locustFolder as NSString).appendingPathComponent("locust") }
    var jsonPath: String { csvPrefix + ".json" }

    /// Where the master listens: `--master-bind`, or a free loopback port for local workers only.
    func masterAddress() throws(LocustEngineError) -> LocustMasterAddress {
        if let bind = options.masterBind { return try LocustMasterAddress(parsing: bind) }
        return LocustMasterAddress(host: "127.0.0.1", port: Self.freeLoopbackPort())
    }

    /// The command to run on each worker machine, printed before the master waits for them.
    public static func workerCommand(master: LocustMasterAddress, locustfile: String?) -> String {
        var host = master.host
        if ["0.0.0.0", "::", "*"].contains(host) { host = ProcessInfo.processInfo.hostName }
        let address = LocustMasterAddress(host: host, port: master.port).text
        return "loadops worker --master \(address)" + (locustfile.map { " --locustfile \(ShellQuoting.quote($0))" } ?? "")
    }

    public func send(plan: LoadPlan, stop: StopSignal, observers: [any RunObserver]) async throws -> GeneratorOutcome {
        let console = observers.lazy.compactMap { $0 as? RunConsole }.first
        let manager = FileManager.default
        try? manager.removeItem(atPath: locustFolder)
        do {
            try manager.createDirectory(atPath: locustFolder, withIntermediateDirectories: true)
            try Data(script.source.utf8).write(to: URL(fileURLWithPath: locustfilePath), options: .atomic)
        } catch {
            throw LocustEngineError.cannotWrite(path: locustfilePath, reason: FileErrorReason.text(error))
        }
        console?.line("Locust: \(locustfilePath) (generated from \(config.sourceDescription)); Locust's own files in \(locustFolder)/")
        for line in Self.approximationNotes(script) { console?.line(line) }

        var arguments = [options.python, "-m", "locust", "-f", locustfilePath, "--headless", "-H", config.host,
                         "--csv", csvPrefix, "--json-file", csvPrefix,
                         "--stop-timeout", String(Int(min(config.load.timeout, 10).rounded(.up))),
                         "--loglevel", "WARNING"]
        if let users = script.users, let spawnRate = script.spawnRate, let seconds = script.runSeconds {
            arguments += ["-u", String(users), "-r", LocustfileGenerator.number(spawnRate), "-t", "\(seconds)s"]
        }
        var master: LocustMasterAddress?
        if options.isDistributed {
            let address = try masterAddress()
            master = address
            arguments += ["--master", "--master-bind-host", address.host, "--master-bind-port", String(address.port),
                          "--expect-workers", String(options.localWorkers + options.expectedWorkers)]
        }
        var processes: [LocustProcess] = []
        let launched = Date()
        for observer in observers { observer.runStarted(plan: plan, stop: stop) }
        let mainProcess = try LocustProcess.start(arguments, logPath: (locustFolder as NSString).appendingPathComponent("master.log"),
                                                  role: options.isDistributed ? "the Locust master" : "Locust")
        processes.append(mainProcess)
        if let master {
            if options.expectedWorkers > 0 {
                console?.line("Waiting for \(options.expectedWorkers) worker\(options.expectedWorkers == 1 ? "" : "s") at \(master.text)"
                              + (options.localWorkers > 0 ? " (besides \(options.localWorkers) on this machine)" : "")
                              + "; on each worker machine, run:")
                console?.line("  " + Self.workerCommand(master: master, locustfile: nil))
            }
            let connect = ["127.0.0.1", "0.0.0.0", "::", "*"].contains(master.host) ? "127.0.0.1" : master.host
            for index in 0..<options.localWorkers {
                do {
                    processes.append(try LocustProcess.start(
                        [options.python, "-m", "locust", "-f", locustfilePath, "--worker", "--master-host", connect,
                         "--master-port", String(master.port), "--loglevel", "WARNING"],
                        logPath: (locustFolder as NSString).appendingPathComponent("worker-\(index + 1).log"),
                        role: "Locust worker \(index + 1)"))
                } catch {
                    await Self.stopAll(processes, grace: 2)
                    throw error
                }
            }
        }

        // Follow the stats history each second until Locust ends or the run is asked to stop.
        let historyPath = LocustCSVImporter.historyPath(prefix: csvPrefix)
        var delivered = 0
        var stopReason: StopReason = .durationReached
        var start: Date?
        while mainProcess.isRunning {
            if let reason = stop.reason {
                stopReason = reason
                break
            }
            let rows = LocustResults.history(historyPath)
            if rows.count > delivered, let first = rows.first {
                let origin = start ?? Date(timeIntervalSince1970: first.timestamp - 1)
                start = origin
                for row in rows[delivered...] {
                    var second = row
                    second.elapsed = row.timestamp - origin.timeIntervalSince1970
                    second.plannedDuration = config.load.plannedDuration
                    second.targetRate = script.openModel.isEmpty || !config.load.stages.isEmpty
                        ? nil : script.openModel.map(\.targetRate).reduce(0, +)
                    for observer in observers { observer.runProgressed(second, stop: stop) }
                }
                delivered = rows.count
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        // SIGTERM makes the master write its final statistics and tell the workers to quit; then
        // every process is stopped by its PID, whatever it does.
        let grace = Double(min(config.load.timeout, 10)) + 10
        await mainProcess.stop(grace: grace)
        for worker in processes.dropFirst() { _ = await worker.waitForExit(within: 5) }
        await Self.stopAll(processes, grace: 2)
        let endTime = Date()

        guard manager.fileExists(atPath: jsonPath) else {
            if stop.isRequested {
                console?.line("Locust stopped before writing its statistics: nothing was collected")
            } else {
                throw LocustEngineError.masterFailed(status: mainProcess.exitStatus ?? -1, logPath: mainProcess.logPath,
                                                     lastLine: mainProcess.lastMeaningfulLine())
            }
            let outcome = GeneratorOutcome(endpoints: plan.endpoints.map { EndpointStatistics(key: EndpointKey(method: $0.method, name: $0.name)) },
                                           timeSeries: [], peakUsers: 0, droppedArrivals: 0, startTime: launched, endTime: endTime,
                                           stopReason: stopReason)
            for observer in observers { observer.runEnded(outcome) }
            return outcome
        }
        let entries = try LocustResults.readJSON(jsonPath)
        let keys = zip(plan.endpoints, config.redacted().endpoints).map { EndpointKey(method: $0.0.method, name: $0.1.name) }
        let endpoints = LocustResults.endpoints(entries, failures: LocustResults.failures(csvPrefix + "_failures.csv"), keys: keys)
        let history = LocustResults.history(historyPath)
        let startTime = entries.compactMap(\.start_time).min().map { Date(timeIntervalSince1970: $0) }
            ?? start ?? history.first.map { Date(timeIntervalSince1970: $0.timestamp - 1) } ?? launched
        let series = history.map { row -> SecondSnapshot in
            var second = row
            // Locust may write its first row a moment before its first request's start time: that row is at 0.
            second.elapsed = max(0, row.timestamp - startTime.timeIntervalSince1970)
            return second.recorded
        }
        // The load ended with its last answer, not when Locust had finished shutting down.
        let lastAnswer = entries.compactMap(\.last_request_timestamp).max().map { Date(timeIntervalSince1970: $0) }
        let outcome = GeneratorOutcome(endpoints: endpoints, timeSeries: series, peakUsers: history.map(\.users).max() ?? 0,
                                       droppedArrivals: 0, startTime: startTime, endTime: max(min(lastAnswer ?? endTime, endTime), startTime),
                                       stopReason: stopReason)
        for line in Self.achievedRates(script, outcome: outcome) { console?.line(line) }
        for observer in observers { observer.runEnded(outcome) }
        return outcome
    }

    private static func stopAll(_ processes: [LocustProcess], grace: Double) async {
        for process in processes { await process.stop(grace: grace) }
    }

    // MARK: - The open model's approximation

    /// Said before the load: how the open model's rates are sent by Locust.
    static func approximationNotes(_ script: LocustScript) -> [String] {
        guard !script.openModel.isEmpty else { return [] }
        var lines = ["note: Locust has no open model; each endpoint's rate is approximated by constant_throughput users, "
                     + "which wait for each answer (a slow target lowers the rate, where loadops's open model keeps its schedule "
                     + "and measures from the intended start). The achieved rates are compared with the targets at the end."]
        for endpoint in script.openModel {
            let users = endpoint.users.map { "\($0) user\($0 == 1 ? "" : "s") at \(ReportNumber.fixed(endpoint.ratePerUser, places: 2))/s" }
                ?? "users at \(ReportNumber.fixed(endpoint.ratePerUser, places: 2))/s each, by share of each stage"
            lines.append("  \(endpoint.method) \(endpoint.name): \(perMinute(endpoint.targetRate)) as \(users)")
        }
        return lines
    }

    /// Per endpoint of the open model: the achieved rate against the target, for the console.
    static func achievedRates(_ script: LocustScript, outcome: GeneratorOutcome) -> [String] {
        let comparisons = rateComparisons(script, outcome: outcome)
        guard !comparisons.isEmpty else { return [] }
        return ["Open model on Locust: achieved rate per endpoint against its target"]
            + comparisons.map { "  \($0.method) \($0.name): \(perMinute($0.achieved)) of \(perMinute($0.target)) (\(ReportNumber.fixed($0.achieved / $0.target * 100, places: 1))%)" }
    }

    /// The warning results.json keeps: the approximation, and each endpoint's achieved rate against its target.
    public func warnings(for outcome: GeneratorOutcome) -> [String] {
        let comparisons = Self.rateComparisons(script, outcome: outcome)
        guard !comparisons.isEmpty else { return [] }
        return ["open model approximated on Locust by constant_throughput users; achieved against target: "
                + comparisons.map { "\($0.method) \($0.name) \(Self.perMinute($0.achieved)) of \(Self.perMinute($0.target)) (\(ReportNumber.fixed($0.achieved / $0.target * 100, places: 1))%)" }
                    .joined(separator: ", ")]
    }

    struct RateComparison {
        var method: String
        var name: String
        var target: Double
        var achieved: Double
    }

    /// Only for a flat open model: with stages the target changes over the run.
    static func rateComparisons(_ script: LocustScript, outcome: GeneratorOutcome) -> [RateComparison] {
        let seconds = outcome.endTime.timeIntervalSince(outcome.startTime)
        guard seconds > 0 else { return [] }
        return script.openModel.filter { $0.users != nil && $0.targetRate > 0 }.map { endpoint in
            let requests = outcome.endpoints.first { $0.key.method == endpoint.method && $0.key.name == endpoint.name }?.requests ?? 0
            return RateComparison(method: endpoint.method, name: endpoint.name, target: endpoint.targetRate,
                                  achieved: Double(requests) / seconds)
        }
    }

    static func perMinute(_ perSecond: Double) -> String {
        "\(ReportNumber.fixed(perSecond * 60, places: 0))/min (\(ReportNumber.fixed(perSecond, places: 2))/s)"
    }

    /// A loopback port nobody listens on now.
    static func freeLoopbackPort() -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Quoting for a command shown to be pasted into a shell.
enum ShellQuoting {
    static func quote(_ text: String) -> String {
        let safe = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0)) }
        return safe && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

extension LocustLoadSender {
    /// The sender a run uses: Locust when the configuration (or `--engine`) says so, with Locust found
    /// and the worker settings checked now, before anything runs; otherwise the request's own.
    static func choose(for config: LoadOpsConfig, request: RunRequest, outputFolder: String) throws -> any LoadSender {
        let options = request.locust
        guard config.engine == .locust else {
            if options.localWorkers > 0 { throw LocustEngineError.distributedWithoutLocust(flag: "--workers") }
            if options.expectedWorkers > 0 { throw LocustEngineError.distributedWithoutLocust(flag: "--expect-workers") }
            if options.masterBind != nil { throw LocustEngineError.distributedWithoutLocust(flag: "--master-bind") }
            return request.sender
        }
        if config.load.requests != nil { throw LocustEngineError.requestCountUnsupported }
        if options.localWorkers < 0 || options.localWorkers > LocustRunOptions.maximumLocalWorkers {
            throw LocustEngineError.badWorkerCount(flag: "--workers", value: options.localWorkers)
        }
        if options.expectedWorkers < 0 || options.expectedWorkers > 100_000 {
            throw LocustEngineError.badWorkerCount(flag: "--expect-workers", value: options.expectedWorkers)
        }
        if let bind = options.masterBind {
            _ = try LocustMasterAddress(parsing: bind)
            if !options.isDistributed { throw LocustEngineError.badWorkerCount(flag: "--expect-workers (with --master-bind)", value: 0) }
        }
        _ = try LocustInstallation.version(python: options.python)
        return LocustLoadSender(config: config, options: options, outputFolder: outputFolder)
    }
}
