import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops worker`: a Locust worker for `loadops run --engine locust --expect-workers N` on another machine.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run a Locust worker for a loadops master on another machine.",
        discussion: """
            Runs `python3 -m locust --worker` with the locustfile given, or one generated from this \
            machine's loadops.yml (which should be the master's), and connects to the master. It \
            fetches nothing from the network besides that connection. It ends when the master's test \
            ends; Ctrl-C stops it (exit 130).
            """)

    @Option(help: ArgumentHelp("The master's address, as `loadops run` printed it.", valueName: "host:port"))
    var master: String

    @Option(help: ArgumentHelp("Run this locustfile instead of generating one from loadops.yml.", valueName: "file"))
    var locustfile: String?

    @OptionGroup var configFile: ConfigFileOption

    func run() async throws {
        let stop = StopSignal()
        let trap = InterruptTrap(stop: stop)
        defer { trap.remove() }
        let request = LocustWorkerRequest(master: master, locustfile: locustfile, configPath: configFile.path,
                                          environment: ProcessInfo.processInfo.environment,
                                          workingDirectory: FileManager.default.currentDirectoryPath)
        let status = try await LocustWorker.run(request, stop: stop) { line in print("loadops worker: \(line)") }
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
