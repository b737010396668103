import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops preflight`: the operations guide's pre-test verification script, driven by `checklists/preflight.yml`.
struct PreflightCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Check the environment before a load test: API, database, Redis, disk, memory, ...",
        discussion: """
            Runs the checks of checklists/preflight.yml (written by `loadops init`) at the same time, \
            each within its timeout, and prints them in the checklist's order: ✓ passed, ⚠ warning, \
            ✗ failed. Passwords come from the variables named by `password_env:` and are masked in \
            all output.

            Exit codes: 0 ready (warnings allowed unless --strict), 1 a check failed (or warned, with \
            --strict), 2 bad usage or a malformed checklist.
            """
    )

    @Option(
        name: [.short, .customLong("config")],
        help: ArgumentHelp("Configuration file whose `host` http checks' paths are joined to (default: loadops.yml, if there is one).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Checklist to run.", valueName: "file"))
    var checklist: String = PreflightChecklist.defaultPath

    @Flag(help: "Print a machine-readable JSON report instead of the ✓/⚠/✗ lines.")
    var json = false

    @Flag(help: "Treat warnings as failures (exit 1).")
    var strict = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let workingDirectory = FileManager.default.currentDirectoryPath
        // Ctrl-C ends the checklist's commands too, not only loadops.
        let trap = InterruptTrap(stop: nil)
        defer { trap.remove() }
        let report: PreflightReport
        do {
            let loaded = try ConfigLoader.load(
                path: config, environment: environment, overrides: ConfigOverrides(), workingDirectory: workingDirectory)
            report = try await PreflightRunner.run(
                checklist: checklist, config: loaded, environment: environment, workingDirectory: workingDirectory)
        } catch {
            FileHandle.standardError.write(Data("loadops preflight: \(error)\n".utf8))
            throw ExitCode(CommandErrors.exitStatus(for: error).rawValue)
        }
        print(json ? report.json(strict: strict) : report.text(strict: strict), terminator: "")
        fflush(nil)
        let status = report.exitStatus(strict: strict)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
