import Foundation

/// Why a cleanup did not start (or a `remove` step refused a path).
public enum CleanupError: Error, CustomStringConvertible, Equatable, ExitStatusProviding {
    case productionRefused(environment: String, source: String)
    /// Destructive steps and no terminal to ask on: `--yes` is needed.
    case confirmationRequired(steps: [String])
    /// Asked on the terminal, the answer was not yes.
    case declined
    case outsideOutputFolder(String)
    case unsafeOutputFolder(String, resolved: String)
    /// The output folder is a system folder (`/var`, `/etc`, `/home/alice`, `/tmp` itself, ...), named by `systemFolder`.
    case systemOutputFolder(String, resolved: String, systemFolder: String)

    public var description: String {
        switch self {
        case .productionRefused(let environment, let source):
            return "\(source): environment is \"\(environment)\"; cleanup deletes data and is refused there unless --allow-production is given"
        case .confirmationRequired(let steps):
            return "these steps change data and stdin is not a terminal to confirm on: \(steps.joined(separator: ", ")); "
                + "pass --yes to run them, or --dry-run to see the plan"
        case .declined:
            return "cleanup cancelled: nothing was changed"
        case .outsideOutputFolder(let message):
            return "refused: \(message)"
        case .unsafeOutputFolder(let output, let resolved):
            return "refused: the output folder \"\(output)\" is \(resolved), which holds the project (or more); "
                + "set `output:` in the configuration to a folder of its own"
        case .systemOutputFolder(let output, let resolved, let systemFolder):
            let place = resolved == systemFolder ? "a system folder" : "inside the system folder \(systemFolder)"
            return "refused: the output folder \"\(output)\" is \(resolved), \(place), and cleanup would delete what it holds; "
                + "set `output:` in the configuration to a folder of its own"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .productionRefused, .confirmationRequired: return .badInput
        case .declined, .outsideOutputFolder, .unsafeOutputFolder, .systemOutputFolder: return .checkFailed
        }
    }
}

public struct CleanupOptions: Sendable {
    /// Print the plan and change nothing.
    public var dryRun: Bool
    /// `--yes`: run destructive steps without asking.
    public var assumeYes: Bool
    public var allowProduction: Bool
    /// Asks the question (the plan and "Proceed? [y/N]") and returns the answer; nil when stdin
    /// is not a terminal, in which case destructive steps need `assumeYes`.
    public var confirm: (@Sendable (String) -> Bool)?
    /// Set on an interrupt: the steps not started yet are not run.
    public var stop: StopSignal?

    public init(dryRun: Bool = false, assumeYes: Bool = false, allowProduction: Bool = false, confirm: (@Sendable (String) -> Bool)? = nil) {
        self.dryRun = dryRun
        self.assumeYes = assumeYes
        self.allowProduction = allowProduction
        self.confirm = confirm
    }
}

public struct CleanupStepResult: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case done
        case failed
        /// Dry run: what would be done.
        case planned
        /// After a failed step.
        case notRun = "not-run"
    }

    public var name: String
    public var kind: String
    public var status: Status
    /// `TRUNCATE TABLE; DELETE 3 rows`, `flushed 12 keys from database 0`, `removed 4 entries`.
    public var summary: String
    /// One line per statement, key count or file.
    public var details: [String]

    public init(name: String, kind: String, status: Status, summary: String, details: [String] = []) {
        self.name = name
        self.kind = kind
        self.status = status
        self.summary = summary
        self.details = details
    }
}

public struct CleanupReport: Sendable, Equatable {
    public var checklist: String
    public var dryRun: Bool
    public var steps: [CleanupStepResult]

    public var succeeded: Bool { !steps.contains { $0.status == .failed } }
    public var exitStatus: ExitStatus { succeeded ? .success : .checkFailed }

    public init(checklist: String, dryRun: Bool, steps: [CleanupStepResult]) {
        self.checklist = checklist
        self.dryRun = dryRun
        self.steps = steps
    }

    public var text: String {
        var lines: [String] = []
        if dryRun { lines.append("Dry run of \(checklist): nothing is changed.") }
        for step in steps {
            switch step.status {
            case .done: lines.append("✓ \(step.name): \(step.summary)")
            case .failed: lines.append("✗ \(step.name): \(step.summary)")
            case .planned: lines.append("• \(step.name): would \(step.summary)")
            case .notRun: lines.append("- \(step.name): not run")
            }
            lines += step.details.map { "    \($0)" }
        }
        lines.append("")
        if dryRun {
            lines.append("\(steps.count) step\(steps.count == 1 ? "" : "s") planned; run without --dry-run to carry them out.")
        } else if let failed = steps.firstIndex(where: { $0.status == .failed }) {
            let ran = steps[..<failed].map(\.name)
            let skipped = steps[(failed + 1)...].map(\.name)
            var verdict = "✗ Cleanup stopped at step \(failed + 1) of \(steps.count) (\(steps[failed].name))."
            verdict += ran.isEmpty ? " No step before it ran." : " Ran: \(ran.joined(separator: ", "))."
            if !skipped.isEmpty { verdict += " Not run: \(skipped.joined(separator: ", "))." }
            lines.append(verdict)
        } else {
            lines.append(steps.isEmpty ? "Nothing to clean: the checklist has no steps." : "✓ Environment cleaned")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `loadops cleanup`: the operations guide's "Resource Cleanup" and "Data Cleanup" as checklist steps.
public enum CleanupRunner {
    /// Reads the checklist at `path` (`CleanupChecklist.defaultPath` or `.postTestPath`) and runs its
    /// steps in order, stopping at the first that fails (see `CleanupReport.succeeded`).
    /// Throws `ConfigError` for a bad checklist and `CleanupError` when it may not start
    /// (production without `allowProduction`, no confirmation).
    public static func run(
        checklist path: String, config: LoadOpsConfig, options: CleanupOptions,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) async throws -> CleanupReport {
        let checklist = try CleanupChecklistParser.parse(path: path, workingDirectory: workingDirectory, environment: environment)
        return try await run(checklist, displayPath: path, config: config, options: options, workingDirectory: workingDirectory)
    }

    public static func run(
        _ checklist: CleanupChecklist, displayPath: String, config: LoadOpsConfig, options: CleanupOptions,
        workingDirectory: String
    ) async throws -> CleanupReport {
        let context = StepContext(config: config, workingDirectory: workingDirectory)
        if options.dryRun {
            try refuseProduction(config: config, options: options)
            var planned: [CleanupStepResult] = []
            for step in checklist.steps { planned.append(await context.plan(step)) }
            return CleanupReport(checklist: displayPath, dryRun: true, steps: planned)
        }
        try authorize(checklist, displayPath: displayPath, config: config, options: options)

        var results: [CleanupStepResult] = []
        for (index, step) in checklist.steps.enumerated() {
            if options.stop?.isRequested == true {
                results += checklist.steps[index...].map {
                    CleanupStepResult(name: $0.name, kind: $0.kind.name, status: .notRun, summary: "not run (interrupted)")
                }
                break
            }
            let result = await context.perform(step)
            results.append(result)
            if result.status == .failed {
                results += checklist.steps[(index + 1)...].map {
                    CleanupStepResult(name: $0.name, kind: $0.kind.name, status: .notRun, summary: "not run")
                }
                break
            }
        }
        return CleanupReport(checklist: displayPath, dryRun: false, steps: results)
    }

    /// Whether the checklist may run at all: not against production without `allowProduction`, and
    /// destructive steps only with `assumeYes` or a "y" to `confirm`. `loadops run` asks this before
    /// any load is sent, for the post-test checklist too, then runs with `assumeYes`.
    public static func authorize(_ checklist: CleanupChecklist, displayPath: String, config: LoadOpsConfig,
                                 options: CleanupOptions) throws {
        try refuseProduction(config: config, options: options)
        let destructive = checklist.steps.filter(\.destructive)
        guard !destructive.isEmpty && !options.assumeYes else { return }
        guard let confirm = options.confirm else { throw CleanupError.confirmationRequired(steps: destructive.map(\.name)) }
        let question = "\(displayPath) will change data:\n"
            + destructive.map { "  - \($0.name): \($0.plan)" }.joined(separator: "\n")
            + (config.environment.map { "\nEnvironment: \($0)" } ?? "") + "\nProceed? [y/N] "
        guard confirm(question) else { throw CleanupError.declined }
    }

    private static func refuseProduction(config: LoadOpsConfig, options: CleanupOptions) throws {
        // Any name containing "prod", in any case (production-eu, PROD, preprod): a false alarm
        // costs an --allow-production, a miss could cost production data.
        if let environment = config.environment, environment.lowercased().contains("prod"), !options.allowProduction {
            throw CleanupError.productionRefused(environment: environment, source: config.sourceDescription)
        }
    }
}

/// Carries out (or plans) one step.
private struct StepContext {
    let config: LoadOpsConfig
    let workingDirectory: String

    func plan(_ step: CleanupStep) async -> CleanupStepResult {
        var details: [String] = []
        var summary = step.plan
        switch step.kind {
        case .sql(_, let statements):
            summary = "run \(statements.count) statement\(statements.count == 1 ? "" : "s") on \(endpointText(step))"
            details = statements.map { SQLStatements.oneLine($0) + (SQLStatements.needsOwnTransaction($0) ? "  (outside a transaction)" : "") }
        case .remove(let patterns, let unarchived, let archiveRoot):
            // Listing and the archive check are read-only, so the plan can say exactly what would happen.
            do {
                guard let folder = try OutputFolderGuard(output: config.output, workingDirectory: workingDirectory) else {
                    summary = "remove \(patterns.joined(separator: " ")) (the output folder \(config.output) does not exist: nothing)"
                    break
                }
                let matches = try folder.matches(patterns)
                summary = "remove \(matches.count) entr\(matches.count == 1 ? "y" : "ies") from \(config.output)"
                details = matches.map(folder.relative)
                if let pending = try unarchivedResults(in: folder, matches: matches, archiveRoot: archiveRoot) {
                    switch unarchived {
                    case .archive:
                        summary += ", after archiving \(pending.description) to \(pending.archivePath)"
                    case .refuse:
                        summary = "refuse: " + refusal(pending, archiveRoot: archiveRoot)
                        details = []
                    }
                }
            } catch {
                return failure(step, "\(error)")
            }
        default:
            break
        }
        return CleanupStepResult(name: step.name, kind: step.kind.name, status: .planned, summary: summary, details: details)
    }

    private func endpointText(_ step: CleanupStep) -> String {
        switch step.kind {
        case .sql(let endpoint, _), .redisFlush(let endpoint): return endpoint.redactedURL
        default: return ""
        }
    }

    private func failure(_ step: CleanupStep, _ reason: String, details: [String] = []) -> CleanupStepResult {
        CleanupStepResult(name: step.name, kind: step.kind.name, status: .failed, summary: reason, details: details)
    }

    private func done(_ step: CleanupStep, _ summary: String, details: [String] = []) -> CleanupStepResult {
        CleanupStepResult(name: step.name, kind: step.kind.name, status: .done, summary: summary, details: details)
    }

    func perform(_ step: CleanupStep) async -> CleanupStepResult {
        switch step.kind {
        case .sql(let endpoint, let statements): return await sql(step, endpoint, statements)
        case .redisFlush(let endpoint): return await flush(step, endpoint)
        case .remove(let patterns, let unarchived, let archiveRoot):
            return remove(step, patterns, unarchived: unarchived, archiveRoot: archiveRoot)
        case .command(let command, let timeout): return await runCommand(step, command, timeout: timeout)
        }
    }

    // MARK: sql

    /// Neighbouring statements share one transaction; those PostgreSQL refuses inside one
    /// (VACUUM, ... CONCURRENTLY) run on their own between the groups.
    private func sql(_ step: CleanupStep, _ endpoint: ServiceEndpoint, _ statements: [String]) async -> CleanupStepResult {
        var lines: [String] = []
        do {
            try await PostgresSession.withSession(endpoint, connectTimeout: 10) { session in
                var group: [String] = []
                func flushGroup() async throws {
                    guard !group.isEmpty else { return }
                    let transactional = group.count > 1
                    if transactional { _ = try await session.execute("BEGIN") }
                    var groupLines: [String] = []
                    do {
                        for statement in group {
                            let result = try await session.execute(statement)
                            groupLines.append(Self.describe(result, statement: statement))
                        }
                        if transactional { _ = try await session.execute("COMMIT") }
                    } catch {
                        if transactional { _ = try? await session.execute("ROLLBACK") }
                        let failed = group[groupLines.count]
                        lines.append(contentsOf: groupLines.map { $0 + " (rolled back)" })
                        throw ServiceError("\(SQLStatements.oneLine(failed)): \(error)")
                    }
                    lines.append(contentsOf: groupLines.map { $0 + (transactional ? " (committed)" : "") })
                    group = []
                }
                for statement in statements {
                    if SQLStatements.needsOwnTransaction(statement) {
                        try await flushGroup()
                        lines.append(try await runAlone(session, statement))
                    } else {
                        group.append(statement)
                    }
                }
                try await flushGroup()
            }
        } catch {
            return failure(step, "\(error)", details: lines)
        }
        let rows = lines.count == 1 ? lines[0] : "\(lines.count) statements"
        return done(step, rows + " on \(endpoint.redactedURL)", details: lines.count == 1 ? [] : lines)
    }

    private func runAlone(_ session: PostgresSession, _ statement: String) async throws -> String {
        do {
            return Self.describe(try await session.execute(statement), statement: statement)
        } catch {
            throw ServiceError("\(SQLStatements.oneLine(statement)): \(error)")
        }
    }

    /// The statement once, on one line, with the rows it touched when the server says:
    /// `DELETE FROM users WHERE ...: 3 rows`, `TRUNCATE TABLE generation_tasks CASCADE`.
    static func describe(_ result: PostgresSession.StatementResult, statement: String) -> String {
        let rows = result.rows.map { ": \($0) row\($0 == 1 ? "" : "s")" } ?? ""
        return SQLStatements.oneLine(statement) + rows
    }

    // MARK: redis-flush

    private func flush(_ step: CleanupStep, _ endpoint: ServiceEndpoint) async -> CleanupStepResult {
        do {
            let keys = try await RedisSession.withSession(endpoint, connectTimeout: 10) { session in
                let keys = try await session.databaseSize()
                try await session.flushDatabase()
                return keys
            }
            return done(step, "flushed \(keys) key\(keys == 1 ? "" : "s") from database \(endpoint.database ?? "0") on \(endpoint.redactedURL)")
        } catch {
            return failure(step, "\(error)")
        }
    }

    // MARK: remove

    private func remove(
        _ step: CleanupStep, _ patterns: [String], unarchived: UnarchivedResults, archiveRoot: String
    ) -> CleanupStepResult {
        let folder: OutputFolderGuard
        let matches: [String]
        var archived: [String] = []
        do {
            guard let existing = try OutputFolderGuard(output: config.output, workingDirectory: workingDirectory) else {
                return done(step, "removed nothing: the output folder \(config.output) does not exist")
            }
            folder = existing
            matches = try folder.matches(patterns)
            if let pending = try unarchivedResults(in: folder, matches: matches, archiveRoot: archiveRoot) {
                guard unarchived == .archive else { return failure(step, "refused: " + refusal(pending, archiveRoot: archiveRoot)) }
                archived = try archiveFirst(folder: folder, archiveRoot: archiveRoot)
            }
        } catch {
            return failure(step, "\(error)")
        }
        var removed: [String] = []
        for match in matches {
            do {
                try FileManager.default.removeItem(atPath: match)
                removed.append(folder.relative(match))
            } catch {
                return failure(
                    step, "removed \(removed.count) of \(matches.count); cannot remove \(folder.relative(match)): \(error.localizedDescription)",
                    details: removed)
            }
        }
        return done(step, "removed \(removed.count) entr\(removed.count == 1 ? "y" : "ies") from \(config.output)",
                    details: archived + removed)
    }

    /// Results of the output folder about to be removed that no archive holds yet.
    struct PendingResults {
        var files: Int
        var runStartedAt: Date
        /// Where `loadops archive` would put them.
        var archivePath: String

        var description: String {
            "the results of the run started \(ISO8601Timestamp.format(runStartedAt, fractional: false)) (\(files) file\(files == 1 ? "" : "s"))"
        }
    }

    private func archiveOptions(folder: OutputFolderGuard, archiveRoot: String, dryRun: Bool) -> ArchiveOptions {
        ArchiveOptions(outputFolder: folder.folder, archiveRoot: UserPath.resolve(archiveRoot, relativeTo: workingDirectory),
                       dryRun: dryRun)
    }

    /// Nil when no results file of the folder is among `matches`, or when an archive in
    /// `archiveRoot` already holds exactly the folder's results files (see `UnarchivedResults`).
    /// Also refuses a pattern that would take the archive root itself.
    func unarchivedResults(in folder: OutputFolderGuard, matches: [String], archiveRoot: String) throws -> PendingResults? {
        let root = UserPath.resolve(archiveRoot, relativeTo: workingDirectory)
        if let realRoot = OutputFolderGuard.realPath(root), let match = matches.first(where: { realRoot == $0 || realRoot.hasPrefix($0 + "/") }) {
            throw CleanupError.outsideOutputFolder("\(folder.relative(match)) holds the archive folder \(archiveRoot); it is never removed")
        }
        let resultsFiles = Set(((try? ResultsSelection.files(in: folder.folder)) ?? []).map { folder.folder + "/" + $0 })
        guard matches.contains(where: resultsFiles.contains) else { return nil }
        let preview = try ResultsArchiver.archive(archiveOptions(folder: folder, archiveRoot: archiveRoot, dryRun: true))
        guard case .dryRun(wouldCreate: true) = preview.outcome else { return nil }
        return PendingResults(files: preview.files.count, runStartedAt: preview.runStartedAt,
                              archivePath: shown(preview, archiveRoot: archiveRoot))
    }

    /// The archive as the checklist names its root: `archive/2023-11-14_22-13-20/`.
    private func shown(_ result: ArchiveResult, archiveRoot: String) -> String {
        archiveRoot + "/" + (result.path as NSString).lastPathComponent + (result.compressed ? "" : "/")
    }

    private func refusal(_ pending: PendingResults, archiveRoot: String) -> String {
        "\(config.output) holds \(pending.description) and no archive in \(archiveRoot)/ holds them yet; "
            + "run `loadops archive` first, or set `unarchived: archive` on this step to archive them before removing"
    }

    /// Archives the folder's results as `loadops archive` would (and notes it in the history, when
    /// there is one); returns the lines saying so.
    private func archiveFirst(folder: OutputFolderGuard, archiveRoot: String) throws -> [String] {
        let result = try ResultsArchiver.archive(archiveOptions(folder: folder, archiveRoot: archiveRoot, dryRun: false))
        var lines = result.warnings.map { "warning: \($0)" }
        let path = shown(result, archiveRoot: archiveRoot)
        switch result.outcome {
        case .created, .dryRun:
            lines.append("archived \(result.files.count) results file\(result.files.count == 1 ? "" : "s") to \(path) first")
        case .alreadyArchived:
            lines.append("results already archived in \(path)")
        }
        let database = UserPath.resolve(HistoryDefaults.databasePath, relativeTo: workingDirectory)
        do {
            if let runID = try ArchiveHistoryLink.record(result, databasePath: database) {
                lines.append("the archive is recorded against run \(runID) in \(HistoryDefaults.databasePath)")
            }
        } catch {
            lines.append("warning: the archive was not recorded in the history database: \(error)")
        }
        return lines
    }

    // MARK: command

    private func runCommand(_ step: CleanupStep, _ command: String, timeout: Double) async -> CleanupStepResult {
        do {
            let outcome = try await ShellCommand.run(command, timeout: timeout, workingDirectory: workingDirectory)
            if outcome.timedOut { return failure(step, "still running after \(DurationParser.format(timeout)), stopped") }
            guard outcome.exitStatus == 0 else {
                return failure(step, "exit status \(outcome.exitStatus ?? -1)" + (outcome.lastLine.map { ": \($0)" } ?? ""))
            }
            return done(step, "`\(command)` succeeded")
        } catch {
            return failure(step, "\(error)")
        }
    }
}
