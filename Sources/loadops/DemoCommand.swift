import ArgumentParser
import Foundation
import LoadOpsKit
import LoadTarget

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the built-in target on loopback and run a short load test against it.",
        discussion: """
            Runs the check-in API's load profile (requests per minute, open model) as two user \
            flows, each creating a session for a UUID, reading it back and checking in with it, \
            through the whole pipeline against `loadops target --sessions`, started in this \
            process on a free loopback port, and prints where the results are. Nothing leaves \
            this machine.
            """
    )

    @Option(help: "Length of the demo run (e.g. 15s, 1m).")
    var duration = "15s"

    @Option(name: .shortAndLong, help: "Folder for the results.")
    var output = LoadOpsConfig.defaultOutput

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func run() async throws {
        let server = try await LoadTargetServer.start(
            port: 0, behaviour: TargetBehaviour(latency: .uniform(min: .milliseconds(2), max: .milliseconds(8)),
                                                rememberSessions: true))
        let console = RunConsole(quiet: quiet)
        console.line("built-in target listening on http://127.0.0.1:\(server.port) (\(server.behaviour.summary))")
        let stop = StopSignal()
        let trap = InterruptTrap(stop: stop)
        defer { trap.remove() }
        let exitStatus: ExitStatus
        do {
            let report = try await DemoRun.run(
                targetPort: server.port, duration: duration, output: output, console: console, stop: stop,
                workingDirectory: FileManager.default.currentDirectoryPath)
            exitStatus = report.exitStatus
        } catch {
            console.errorLine(CommandOutput.errorLine(error))
            exitStatus = CommandErrors.exitStatus(for: error)
        }
        let counts = server.counts()
        try await server.stop()
        console.line("built-in target: \(counts)")
        console.closeLog()
        if exitStatus != .success { throw ExitCode(exitStatus.rawValue) }
    }
}
