import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops cleanup`: the operations guide's "Resource Cleanup" (checklists/cleanup.yml) and, with
/// `--post-test`, its "Data Cleanup" (checklists/post-test.yml).
struct CleanupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cleanup",
        abstract: "Clear test data, Redis and old reports before a test (or, with --post-test, after it).",
        discussion: """
            Runs the steps of checklists/cleanup.yml, or checklists/post-test.yml with --post-test, \
            in order: sql (one transaction where PostgreSQL allows; VACUUM on its own), redis-flush, \
            remove (globs inside the configuration's output folder only; results no archive holds \
            yet are archived first, or kept with `unarchived: refuse`), command. Stops at the first \
            failed step and says which ran. Steps that change data are confirmed on a terminal and \
            need --yes elsewhere. A configuration with `environment: production` is refused unless \
            --allow-production is given.

            Exit codes: 0 cleaned (or planned, with --dry-run), 1 a step failed or the confirmation \
            was declined, 2 bad usage, a malformed checklist, production refused, or no terminal \
            and no --yes.
            """
    )

    @OptionGroup var configFile: ConfigFileOption

    @Option(help: ArgumentHelp("Checklist to run (default: checklists/cleanup.yml, or checklists/post-test.yml with --post-test).", valueName: "file"))
    var checklist: String?

    @Flag(help: "Run the data cleanup after a test (checklists/post-test.yml).")
    var postTest = false

    @Flag(help: "Print the plan; change nothing.")
    var dryRun = false

    @Flag(name: .shortAndLong, help: "Do not ask before steps that change data (needed when stdin is not a terminal).")
    var yes = false

    @Flag(help: "Allow cleanup when the configuration says `environment: production`.")
    var allowProduction = false

    func run() async throws {
        let path = checklist ?? (postTest ? CleanupChecklist.postTestPath : CleanupChecklist.defaultPath)
        let confirm: (@Sendable (String) -> Bool)? = isatty(STDIN_FILENO) == 1 ? Self.askOnTerminal : nil
        let options = CleanupOptions(dryRun: dryRun, assumeYes: yes, allowProduction: allowProduction, confirm: confirm)
        // Ctrl-C ends the checklist's commands too, not only loadops.
        let trap = InterruptTrap(stop: nil)
        defer { trap.remove() }
        let report = try await CleanupRunner.run(checklist: path, config: try configFile.load(), options: options)
        print(report.text, terminator: "")
        fflush(nil)
        if !report.succeeded { throw ExitCode(report.exitStatus.rawValue) }
    }

    /// Prints the plan and reads a y/N line from the terminal.
    @Sendable static func askOnTerminal(_ question: String) -> Bool {
        FileHandle.standardError.write(Data(question.utf8))
        guard let answer = readLine() else { return false }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}
