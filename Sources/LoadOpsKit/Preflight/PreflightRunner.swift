import Foundation
import NIOCore
import NIOPosix

/// `loadops preflight`: runs a checklist's checks concurrently, each within its time limit, and
/// reports them in the checklist's order.
public enum PreflightRunner {
    /// Reads the checklist at `path` (relative to `workingDirectory`) and runs it.
    /// Throws `ConfigError` when the checklist is missing or malformed (exit 2); failed checks are
    /// in the report, not thrown.
    public static func run(
        checklist path: String, config: LoadOpsConfig,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) async throws -> PreflightReport {
        let checklist = try PreflightChecklistParser.parse(
            path: path, workingDirectory: workingDirectory, config: config, environment: environment)
        return await run(checklist, displayPath: path, environment: environment, workingDirectory: workingDirectory)
    }

    public static func run(
        _ checklist: PreflightChecklist, displayPath: String, environment: [String: String], workingDirectory: String
    ) async -> PreflightReport {
        let results = await withTaskGroup(of: (Int, PreflightResult).self) { group in
            for (index, check) in checklist.checks.enumerated() {
                group.addTask {
                    (index, await runWithTimeout(check, environment: environment, workingDirectory: workingDirectory))
                }
            }
            var byIndex: [Int: PreflightResult] = [:]
            for await (index, result) in group { byIndex[index] = result }
            return checklist.checks.indices.compactMap { byIndex[$0] }
        }
        return PreflightReport(checklist: displayPath, results: results)
    }

    /// Races the check against its time limit; the loser is cancelled.
    static func runWithTimeout(_ check: PreflightCheck, environment: [String: String], workingDirectory: String) async
        -> PreflightResult
    {
        let started = ContinuousClock.now
        // A command kills its own process at the limit and reports that; give it room to.
        let limit = check.timeout + (check.kind.name == "command" ? 5 : 0)
        let result = await withTaskGroup(of: PreflightResult?.self) { group in
            group.addTask {
                await PreflightProbe(check: check, environment: environment, workingDirectory: workingDirectory).run()
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int64(limit * 1000)))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        var final = result ?? PreflightProbe.outcome(
            check, .failed, failure: "timed out after \(DurationParser.format(check.timeout))")
        final.seconds = seconds(since: started)
        return final
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = start.duration(to: .now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}

/// One check's work and its wording.
struct PreflightProbe: Sendable {
    let check: PreflightCheck
    let environment: [String: String]
    let workingDirectory: String

    func run() async -> PreflightResult {
        switch check.kind {
        case .http(let url, let expected, let budget): return await http(url: url, expected: expected, budget: budget)
        case .postgres(let endpoint, let warnHeadroom): return await postgres(endpoint, warnHeadroom: warnHeadroom)
        case .redis(let endpoint, let warn, let fail): return await redis(endpoint, warnPercent: warn, failPercent: fail)
        case .tcp(let host, let port): return await tcp(host: host, port: port)
        case .disk(let path, let warn, let fail): return disk(path: path, warnPercent: warn, failPercent: fail)
        case .memory(let warn, let fail): return memory(warnBelow: warn, failBelow: fail)
        case .command(let command): return await runCommand(command)
        case .env(let variables): return env(variables)
        }
    }

    /// A result whose message follows the operations guide: `<name> is ready`, `<name> is not ready: <reason>`.
    static func outcome(
        _ check: PreflightCheck, _ status: PreflightResult.Status, message: String? = nil, failure: String? = nil,
        details: [String: PreflightDetail] = [:]
    ) -> PreflightResult {
        let text: String
        if let message {
            text = message
        } else {
            let failed: String
            switch check.kind {
            case .http, .redis: failed = "is not responding"
            case .tcp: failed = "is not reachable"
            case .command: failed = "failed"
            case .env: failed = "is incomplete"
            default: failed = "is not ready"
            }
            text = "\(check.name) \(failed)" + (failure.map { ": \($0)" } ?? "")
        }
        return PreflightResult(name: check.name, kind: check.kind.name, status: status, message: text, seconds: 0, details: details)
    }

    /// Longer than the check's own limit, so a silent server always ends with the same
    /// "timed out after ..." from the check's timeout rather than whichever fires first.
    private var connectLimit: Double { check.timeout + 1 }

    private func failed(_ reason: String, details: [String: PreflightDetail] = [:]) -> PreflightResult {
        Self.outcome(check, .failed, failure: reason, details: details)
    }

    private func result(_ status: PreflightResult.Status, _ message: String, details: [String: PreflightDetail] = [:]) -> PreflightResult {
        Self.outcome(check, status, message: message, details: details)
    }

    // MARK: http

    private func http(url: String, expected: [Int], budget: Double?) async -> PreflightResult {
        let shownURL = Redaction.redactURL(url)
        let started = ContinuousClock.now
        let status: Int
        do {
            status = try await HTTPGetClient.get(url, connectTimeout: connectLimit, accept: "*/*", userAgent: "loadops-preflight",
                                                 keepBodyUpTo: nil).status
        } catch let failure as HTTPGetClient.Failure {
            if case .notHTTP = failure.kind { return failed("not a valid URL: \(shownURL)") }
            return failed(failure.description, details: ["url": .text(shownURL)])
        } catch {
            return failed("\(error)", details: ["url": .text(shownURL)])
        }
        let milliseconds = Milliseconds.from(seconds: PreflightRunner.seconds(since: started))
        let latency = "\(Int(milliseconds.rounded())) ms"
        var details: [String: PreflightDetail] = ["url": .text(shownURL), "latency_ms": .rounded(milliseconds, digits: 1)]
        details["status"] = .count(status)
        guard expected.contains(status) else {
            let wanted = expected.map(String.init).joined(separator: " or ")
            return failed("HTTP \(status), expected \(wanted) (\(shownURL))", details: details)
        }
        if let budget, milliseconds > Milliseconds.from(seconds: budget) {
            details["latency_budget_ms"] = .rounded(Milliseconds.from(seconds: budget), digits: 0)
            return result(.warning, "\(check.name) is slow (\(latency), budget \(Int(Milliseconds.from(seconds: budget).rounded())) ms)", details: details)
        }
        return result(.passed, "\(check.name) is healthy (\(latency))", details: details)
    }

    // MARK: postgres

    private func postgres(_ endpoint: ServiceEndpoint, warnHeadroom: Int) async -> PreflightResult {
        var details: [String: PreflightDetail] = ["url": .text(endpoint.redactedURL)]
        do {
            let probe = try await PostgresSession.withSession(endpoint, connectTimeout: connectLimit) { try await $0.probe() }
            details["server_version"] = .text(probe.serverVersion)
            details["connections"] = .count(probe.connections)
            details["max_connections"] = .count(probe.maxConnections)
            details["headroom"] = .count(probe.headroom)
            let version = probe.serverVersion.split(separator: " ").first.map(String.init) ?? probe.serverVersion
            let usage = "\(probe.connections)/\(probe.maxConnections) connections"
            if probe.headroom < warnHeadroom {
                return result(
                    .warning,
                    "\(check.name) is near its connection limit (\(usage), \(probe.headroom) free, warn below \(warnHeadroom))",
                    details: details)
            }
            return result(.passed, "\(check.name) is ready (PostgreSQL \(version), \(usage))", details: details)
        } catch {
            return failed("\(error)", details: details)
        }
    }

    // MARK: redis

    private func redis(_ endpoint: ServiceEndpoint, warnPercent: Double, failPercent: Double?) async -> PreflightResult {
        var details: [String: PreflightDetail] = ["url": .text(endpoint.redactedURL)]
        do {
            let (pong, used, maximum) = try await RedisSession.withSession(endpoint, connectTimeout: connectLimit) { session in
                let pong = try await session.ping()
                let used = try await session.usedMemory()
                let maximum = try await session.maxMemory()
                return (pong, used, maximum)
            }
            details["ping"] = .text(pong)
            details["used_memory"] = .count(used)
            guard pong == "PONG" else { return failed("PING answered \(pong), expected PONG", details: details) }
            guard let maximum, maximum > 0 else {
                // 0 is Redis's "no limit"; absent when the server would not say.
                if let maximum { details["maxmemory"] = .count(maximum) }
                return result(.passed, "\(check.name) is ready (PONG, \(Self.megabytes(used)) used, no maxmemory)", details: details)
            }
            details["maxmemory"] = .count(maximum)
            let percent = Double(used) / Double(maximum) * 100
            details["used_percent"] = .rounded(percent, digits: 1)
            let usage = "\(Self.megabytes(used)) of \(Self.megabytes(maximum)) maxmemory, \(Int(percent.rounded()))%"
            if let failPercent, percent > failPercent {
                return failed("memory almost full (\(usage), fail above \(Self.percentText(failPercent)))", details: details)
            }
            if percent > warnPercent {
                return result(.warning, "\(check.name) memory is high (\(usage), warn above \(Self.percentText(warnPercent)))", details: details)
            }
            return result(.passed, "\(check.name) is ready (PONG, \(usage))", details: details)
        } catch {
            return failed("\(error)", details: details)
        }
    }

    static func megabytes(_ bytes: Int) -> String {
        let value = Double(bytes) / 1_048_576
        return value < 10 ? "\(ReportNumber.fixed(value, places: 1)) MB" : "\(Int(value.rounded())) MB"
    }

    static func percentText(_ percent: Double) -> String {
        percent == percent.rounded() ? "\(Int(percent))%" : "\(ReportNumber.fixed(percent, places: 1))%"
    }

    // MARK: tcp

    private func tcp(host: String, port: Int) async -> PreflightResult {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let started = ContinuousClock.now
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(connectLimit * 1000)))
                .connect(host: host, port: port).get()
            let milliseconds = Int(Milliseconds.from(seconds: PreflightRunner.seconds(since: started)).rounded())
            try? await channel.close()
            return result(.passed, "\(check.name) is reachable (\(address), \(milliseconds) ms)", details: ["address": .text(address)])
        } catch {
            return failed(ServiceError.describing(error, address: address).message, details: ["address": .text(address)])
        }
    }

    // MARK: disk

    private func disk(path: String, warnPercent: Double, failPercent: Double?) -> PreflightResult {
        let fullPath = UserPath.resolve(path, relativeTo: workingDirectory)
        var stats = statvfs()
        guard statvfs(fullPath, &stats) == 0 else {
            return failed("cannot read the file system of \(path): \(String(cString: strerror(errno)))")
        }
        // As df computes Use%: used / (used + available to unprivileged users), rounded up.
        let used = Double(stats.f_blocks - stats.f_bfree)
        let available = Double(stats.f_bavail)
        let percent = used + available > 0 ? (used / (used + available) * 100).rounded(.up) : 0
        let details: [String: PreflightDetail] = [
            "path": .text(path), "used_percent": .count(Int(percent)),
            "available_mb": .count(Int(available * Double(stats.f_frsize) / 1_048_576)),
        ]
        let subject = Self.lowercasedFirst(check.name)
        if let failPercent, percent >= failPercent {
            return result(.failed, "Low \(subject) (\(Int(percent))%, fail at \(Self.percentText(failPercent)))", details: details)
        }
        if percent >= warnPercent {
            return result(.warning, "Low \(subject) (\(Int(percent))%)", details: details)
        }
        return result(.passed, "\(check.name) OK (\(Int(percent))%)", details: details)
    }

    // MARK: memory

    private func memory(warnBelow: Int, failBelow: Int?) -> PreflightResult {
        guard let available = Self.availableMegabytes() else {
            return failed("cannot read MemAvailable from /proc/meminfo")
        }
        let details: [String: PreflightDetail] = ["available_mb": .count(available)]
        let subject = Self.lowercasedFirst(check.name)
        if let failBelow, available < failBelow {
            return result(.failed, "Low \(subject) (\(available)MB, fail under \(failBelow)MB)", details: details)
        }
        if available < warnBelow {
            return result(.warning, "Low \(subject) (\(available)MB)", details: details)
        }
        return result(.passed, "\(check.name) available (\(available)MB)", details: details)
    }

    /// MemAvailable in MB: what `free -m` prints in its "available" column, as the operations guide reads it.
    static func availableMegabytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes / 1024 }
        }
        return nil
    }

    static func lowercasedFirst(_ text: String) -> String {
        guard let first = text.first else { return text }
        // Keep acronyms as they are: "API" stays "API".
        if text.count > 1, text.dropFirst().first?.isUppercase == true { return text }
        return first.lowercased() + text.dropFirst()
    }

    // MARK: command

    private func runCommand(_ command: String) async -> PreflightResult {
        do {
            let outcome = try await ShellCommand.run(command, timeout: check.timeout, workingDirectory: workingDirectory)
            var details: [String: PreflightDetail] = ["seconds": .rounded(outcome.seconds, digits: 2)]
            if let status = outcome.exitStatus { details["exit_status"] = .count(Int(status)) }
            if outcome.timedOut {
                return failed("still running after \(DurationParser.format(check.timeout)), stopped", details: details)
            }
            guard outcome.exitStatus == 0 else {
                let output = outcome.lastLine.map { ": \($0)" } ?? ""
                return failed("exit status \(outcome.exitStatus ?? -1)\(output)", details: details)
            }
            return result(.passed, "\(check.name) succeeded", details: details)
        } catch {
            return failed("\(error)")
        }
    }

    // MARK: env

    private func env(_ variables: [String]) -> PreflightResult {
        let missing = variables.filter { (environment[$0] ?? "").isEmpty }
        guard missing.isEmpty else {
            return failed("not set: \(missing.joined(separator: ", "))", details: ["missing": .text(missing.joined(separator: ","))])
        }
        return result(.passed, "\(check.name) is complete (\(variables.joined(separator: ", ")) set)")
    }
}
