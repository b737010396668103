import Foundation
import PostgresNIO

/// The operations guide's incident response, done for the operator once an abort rule stopped a run:
/// the API's health check, PostgreSQL's slowest statements, Redis' memory and the configured
/// `incident:` commands, all at once, each within `partTimeout`. Every text is masked before it is kept.
enum IncidentInvestigation {
    /// Seconds each part may take.
    static let partTimeout: Double = 10
    /// Bytes of a command's output kept (its end: where the errors usually are).
    static let outputLimit = 8 * 1024

    struct Evidence: Sendable {
        var rule: String
        var firedAfter: Double
        var firedAt: Date
        var document: ResultsDocument
        var load: WatchedLoad
        var endpoints: [EndpointConfig]
        /// Values masked wherever they appear: credentials, tokens, monitored services' passwords.
        var secrets: [String]
    }

    static func investigate(_ evidence: Evidence, config: LoadOpsConfig, preflight: PreflightChecklist?,
                            environment: [String: String], workingDirectory: String) async -> IncidentReport {
        let mask = { (text: String) in Redaction.maskSecrets(in: text, secrets: evidence.secrets) }
        async let health = healthCheck(config: config, preflight: preflight, environment: environment,
                                       workingDirectory: workingDirectory)
        async let statements = slowStatements(config: config, environment: environment)
        async let redis = redisMemory(config: config, environment: environment)
        async let commands = run(config.incidentCommands, workingDirectory: workingDirectory)

        let document = evidence.document
        // The last whole second before the rule fired (what follows is the load winding down).
        let last = document.timeSeries.last { $0.elapsed <= evidence.firedAfter + 0.001 } ?? document.timeSeries.last
        let lastSecond = last.map { second in
            "\(second.users) \(document.model == "open" ? "connections" : "users"), "
                + "\(ReportNumber.decimal(second.requestsPerSecond, places: 1)) requests/s, "
                + "\(ReportNumber.decimal(second.failuresPerSecond, places: 1)) failures/s, p95 \(ReportNumber.milliseconds(second.p95))"
        }
        let failures = document.failures.map { (kind: "\($0.method) \($0.name): \($0.error)", count: $0.occurrences) }
            .sorted { $0.count > $1.count }
        let samples = evidence.load.outcome.failureSamples.map { sample in
            let endpoint = evidence.endpoints.indices.contains(sample.endpoint) ? evidence.endpoints[sample.endpoint] : nil
            return IncidentReport.SampleAnswer(
                endpoint: endpoint.map { "\($0.method) \($0.name)" } ?? "endpoint \(sample.endpoint)",
                outcome: sample.failure.message, bodyStart: mask(sample.bodyStart))
        }
        let monitor = evidence.load.lastRound.map { round in
            round.samples.map { sample in
                sample.error.map { "\(sample.source): \(mask($0))" }
                    ?? "\(sample.source): " + sample.readings.map { "\($0.metric) \(ReportNumber.decimal($0.value))\($0.unit.rawValue.isEmpty ? "" : " " + $0.unit.rawValue)" }
                        .joined(separator: ", ")
            }
        } ?? []
        return IncidentReport(
            title: "\(evidence.rule) against \(document.host)", rule: evidence.rule, firedAfter: evidence.firedAfter,
            firedAt: evidence.firedAt, lastSecond: lastSecond, activeWarnings: evidence.load.activeWarnings, monitor: monitor,
            failures: failures, sampleAnswers: samples, health: await health, slowStatements: await statements,
            redisMemory: await redis, commands: await commands.map { command in
                IncidentReport.CommandOutput(command: mask(command.command), status: command.status, output: mask(command.output))
            })
    }

    // MARK: Parts

    /// The preflight checklist's `http` checks, or, without one, `GET /health` on the target.
    private static func healthCheck(config: LoadOpsConfig, preflight: PreflightChecklist?, environment: [String: String],
                                    workingDirectory: String) async -> IncidentReport.Part<String> {
        var checks = preflight?.checks.filter { $0.kind.name == "http" } ?? []
        var note = ""
        if checks.isEmpty {
            let url = config.host.hasSuffix("/") ? config.host + "health" : config.host + "/health"
            checks = [PreflightCheck(name: "API", kind: .http(url: url, expectedStatus: [200], latencyBudget: nil),
                                     timeout: partTimeout)]
            note = " (GET /health: no http check in the preflight checklist)"
        }
        var lines: [String] = []
        for check in checks {
            let result = await PreflightRunner.runWithTimeout(check, environment: environment, workingDirectory: workingDirectory)
            lines.append(result.line + note)
        }
        return .found(lines.joined(separator: "\n"))
    }

    /// The guide's `pg_stat_statements` query against the first monitored PostgreSQL.
    private static func slowStatements(config: LoadOpsConfig, environment: [String: String]) async -> IncidentReport.Part<[[String]]>? {
        guard let source = config.monitor.sources.first(where: { $0.kind.name == "postgres" }),
              case .postgres(let configured, let variable) = source.kind else { return nil }
        let endpoint = MonitorSourceSettings.withPassword(configured, variable: variable, environment: environment)
        do {
            return try await withTimeout {
                try await PostgresSession.withSession(endpoint, connectTimeout: partTimeout) { session in
                    guard try await session.count("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'") > 0 else {
                        return .missing("pg_stat_statements is not available in \(endpoint.redactedURL): it needs "
                                        + "shared_preload_libraries = 'pg_stat_statements' and CREATE EXTENSION pg_stat_statements.")
                    }
                    return .found(try await session.slowestStatements())
                }
            } ?? .missing("PostgreSQL did not answer within \(DecimalNumber.format(partTimeout)) s.")
        } catch {
            return .missing("PostgreSQL could not be asked: \(error)")
        }
    }

    /// `INFO memory` of the first monitored Redis: the lines that say how full it is.
    private static func redisMemory(config: LoadOpsConfig, environment: [String: String]) async -> IncidentReport.Part<String>? {
        guard let source = config.monitor.sources.first(where: { $0.kind.name == "redis" }),
              case .redis(let configured, let variable) = source.kind else { return nil }
        let endpoint = MonitorSourceSettings.withPassword(configured, variable: variable, environment: environment)
        let wanted = ["used_memory_human", "used_memory_peak_human", "maxmemory_human", "maxmemory_policy",
                      "mem_fragmentation_ratio", "used_memory_rss_human"]
        do {
            return try await withTimeout {
                try await RedisSession.withSession(endpoint, connectTimeout: partTimeout) { session in
                    let reply = try await session.expectOK(["INFO", "memory"], doing: "read INFO memory")
                    let lines = (reply.text ?? "").split(whereSeparator: \.isNewline)
                        .filter { line in wanted.contains { line.hasPrefix($0 + ":") } }
                    return IncidentReport.Part<String>.found(lines.joined(separator: "\n"))
                }
            } ?? .missing("Redis did not answer within \(DecimalNumber.format(partTimeout)) s.")
        } catch {
            return .missing("Redis could not be asked: \(error)")
        }
    }

    struct CommandRun: Sendable {
        var command: String
        var status: String
        var output: String
    }

    private static func run(_ commands: [String], workingDirectory: String) async -> [CommandRun] {
        await withTaskGroup(of: (Int, CommandRun).self) { group in
            for (index, command) in commands.enumerated() {
                group.addTask {
                    do {
                        let outcome = try await ShellCommand.run(command, timeout: partTimeout, workingDirectory: workingDirectory,
                                                                 keepingOutput: outputLimit)
                        let status = outcome.timedOut ? "stopped after \(DecimalNumber.format(partTimeout)) s"
                            : "exit \(outcome.exitStatus.map(String.init) ?? "?")"
                        return (index, CommandRun(command: command, status: status, output: outcome.output))
                    } catch {
                        return (index, CommandRun(command: command, status: "could not start", output: "\(error)"))
                    }
                }
            }
            var runs: [Int: CommandRun] = [:]
            for await (index, run) in group { runs[index] = run }
            return commands.indices.compactMap { runs[$0] }
        }
    }

    /// The body's result, or nil when it takes longer than `partTimeout` (it is cancelled then).
    private static func withTimeout<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T? {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(partTimeout * 1000)))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }
}

extension PostgresSession {
    /// The ten statements with the highest mean time, from `pg_stat_statements` (PostgreSQL 13 renamed
    /// its columns `mean_exec_time` and `total_exec_time`; older servers have `mean_time` and `total_time`).
    func slowestStatements() async throws -> [[String]] {
        var rows: [[String]] = []
        for prefix in ["_exec", ""] {
            do {
                let result = try await connection.query(PostgresQuery(unsafeSQL: """
                    SELECT mean\(prefix)_time::float8, calls::int8, total\(prefix)_time::float8, left(regexp_replace(query, '\\s+', ' ', 'g'), 200)
                    FROM pg_stat_statements ORDER BY mean\(prefix)_time DESC LIMIT 10
                    """), logger: logger)
                for try await (mean, calls, total, query) in result.decode((Double, Int, Double, String).self) {
                    rows.append([ReportNumber.decimal(mean), String(calls), ReportNumber.decimal(total), query])
                }
                return rows
            } catch let error as PSQLError where prefix == "_exec" && error.serverInfo?[.sqlState] == "42703" {
                continue  // undefined column: an older server
            } catch {
                throw ServiceError.describing(error, address: endpoint.address)
            }
        }
        return rows
    }
}
