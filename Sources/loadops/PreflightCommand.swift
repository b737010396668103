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

    @OptionGroup var configFile: ConfigFileOption

    @Option(help: ArgumentHelp("Checklist to run.", valueName: "file"))
    var checklist: String = PreflightChecklist.defaultPath

    @Flag(help: "Print a machine-readable JSON report instead of the ✓/⚠/✗ lines.")
    var json = false

    @Flag(help: "Treat warnings as failures (exit 1).")
    var strict = false

    func run() async throws {
        // Ctrl-C ends the checklist's commands too, not only loadops.
        let trap = InterruptTrap(stop: nil)
        defer { trap.remove() }
        let report = try await PreflightRunner.run(checklist: checklist, config: try configFile.load())
        print(json ? report.json(strict: strict) : report.text(strict: strict), terminator: "")
        fflush(nil)
        let status = report.exitStatus(strict: strict)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}
