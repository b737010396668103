import Foundation

/// `loadops worker`: one Locust worker for a master started by `loadops run --engine locust
/// --expect-workers N` on another machine. It fetches nothing from the network: the locustfile is the
/// one given, or generated here from this machine's loadops.yml (the same file as the master's, so the
/// same users), and Locust is run as `python3 -m locust --worker`.
public struct LocustWorkerRequest: Sendable {
    public var master: String
    public var locustfile: String?
    public var configPath: String?
    public var environment: [String: String]
    public var workingDirectory: String
    public var python: String

    public init(master: String, locustfile: String?, configPath: String?, environment: [String: String],
                workingDirectory: String, python: String = LocustInstallation.defaultPython) {
        self.master = master
        self.locustfile = locustfile
        self.configPath = configPath
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.python = python
    }
}

public enum LocustWorker {
    /// Runs the worker until Locust ends it (the master's test is over) or `stop` is asked (Ctrl-C);
    /// returns the exit status to leave with.
    public static func run(_ request: LocustWorkerRequest, stop: StopSignal, say: @Sendable (String) -> Void) async throws -> ExitStatus {
        let master = try LocustMasterAddress(parsing: request.master)
        _ = try LocustInstallation.version(python: request.python)
        var locustfile: String
        var temporaryFolder: String?
        if let given = request.locustfile {
            locustfile = UserPath.resolve(given, relativeTo: request.workingDirectory)
            guard FileManager.default.isReadableFile(atPath: locustfile) else {
                throw LocustEngineError.cannotStart(what: "the worker", reason: "\(locustfile): no such readable locustfile")
            }
        } else {
            let config = try ConfigLoader.load(path: request.configPath, environment: request.environment,
                                               workingDirectory: request.workingDirectory)
            let folder = NSTemporaryDirectory() + "/loadops-worker-\(getpid())"
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            temporaryFolder = folder
            locustfile = (folder as NSString).appendingPathComponent(LocustLoadSender.locustfileName)
            do {
                try Data(LocustfileGenerator.make(config).source.utf8).write(to: URL(fileURLWithPath: locustfile), options: .atomic)
            } catch {
                throw LocustEngineError.cannotWrite(path: locustfile, reason: FileErrorReason.text(error))
            }
            say("locustfile generated from \(config.sourceDescription)")
        }
        defer { if let temporaryFolder { try? FileManager.default.removeItem(atPath: temporaryFolder) } }
        say("Locust worker for the master at \(master.text) (Ctrl-C stops it)")
        let process = try LocustProcess.start(
            [request.python, "-m", "locust", "-f", locustfile, "--worker", "--master-host", master.host,
             "--master-port", String(master.port)],
            logPath: nil, role: "the Locust worker")
        while process.isRunning {
            if stop.isRequested {
                await process.stop(grace: 5)
                return .interrupted
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        // Locust exits with 1 when its requests had failures: the master reports those; the worker did its part.
        let status = process.exitStatus ?? 0
        return status == 0 || status == 1 ? .success : .checkFailed
    }
}
