import Foundation

/// A PostgreSQL server, over the real protocol: one short session per sample.
///
/// Readings: `connections` (client connections, not counting the monitor's own), one
/// `connections{db="NAME"}` per database, `max_connections`, `connections_used` (% of
/// `max_connections`), `lock_waits` (connections waiting on a lock), `longest_query` (seconds the
/// longest running active query has been running).
struct PostgresMonitorSource: MonitorSource {
    let name: String
    let endpoint: ServiceEndpoint
    let connectTimeout: Double

    func sample() async throws -> [MonitorReading] {
        let activity = try await PostgresSession.withSession(endpoint, connectTimeout: connectTimeout) { try await $0.activity() }
        var readings = [
            MonitorReading("connections", Double(activity.connections), .number),
            MonitorReading("max_connections", Double(activity.maxConnections), .number),
        ]
        if activity.maxConnections > 0 {
            readings.append(MonitorReading("connections_used", Double(activity.connections) / Double(activity.maxConnections) * 100, .percent))
        }
        readings += [
            MonitorReading("lock_waits", Double(activity.lockWaits), .number),
            MonitorReading("longest_query", activity.longestQuerySeconds, .seconds),
        ]
        for (database, count) in activity.connectionsByDatabase.sorted(by: { $0.key < $1.key }) {
            readings.append(MonitorReading("connections{db=\(Self.labelValue(database))}", Double(count), .number))
        }
        return readings
    }

    /// A label value written as Prometheus writes it: quoted, with `\` and `"` escaped.
    static func labelValue(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// A Redis server: `INFO` over one short session per sample.
///
/// Readings: `used_memory` (bytes); with a `maxmemory` set, `maxmemory` (bytes) and `memory`
/// (% of it); `connected_clients` (not counting the monitor's own); `evicted_keys` (since the
/// server started); `commands` (per second, from the second sample on).
actor RedisMonitorSource: MonitorSource {
    nonisolated let name: String
    let endpoint: ServiceEndpoint
    let connectTimeout: Double
    private var rates = CounterRates()

    init(name: String, endpoint: ServiceEndpoint, connectTimeout: Double) {
        self.name = name
        self.endpoint = endpoint
        self.connectTimeout = connectTimeout
    }

    func sample() async throws -> [MonitorReading] {
        let info = try await RedisSession.withSession(endpoint, connectTimeout: connectTimeout) { try await $0.info() }
        func number(_ key: String) throws -> Double {
            guard let text = info[key], let value = Double(text) else {
                throw MonitorSourceError("INFO has no \(key) (\(endpoint.address))")
            }
            return value
        }
        let used = try number("used_memory")
        let maximum = (try? number("maxmemory")) ?? 0
        var readings = [MonitorReading("used_memory", used, .bytes)]
        if maximum > 0 {
            readings.append(MonitorReading("maxmemory", maximum, .bytes))
            readings.append(MonitorReading("memory", used / maximum * 100, .percent))
        }
        readings.append(MonitorReading("connected_clients", max(0, try number("connected_clients") - 1), .number))
        readings.append(MonitorReading("evicted_keys", try number("evicted_keys"), .number))
        if let commands = rates.rates(["commands": try number("total_commands_processed")])["commands"] {
            readings.append(MonitorReading("commands", commands, .perSecond))
        }
        return readings
    }
}

extension RedisSession {
    /// `INFO`'s `key:value` lines (its default sections: server, clients, memory, stats, ...).
    mutating func info() async throws -> [String: String] {
        let reply = try await expectOK(["INFO"], doing: "read INFO")
        guard let text = reply.text else { throw ServiceError("INFO answered \(reply) (\(endpoint.address))") }
        var values: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            values[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return values
    }
}

/// A command whose output's last line is a number (a queue's depth, a count of files, ...):
/// one reading, `value`.
struct CommandMonitorSource: MonitorSource {
    let name: String
    let command: String
    let timeout: Double
    let workingDirectory: String

    func sample() async throws -> [MonitorReading] {
        let outcome = try await ShellCommand.run(command, timeout: timeout, workingDirectory: workingDirectory)
        if outcome.timedOut { throw MonitorSourceError("still running after \(DurationParser.format(timeout)), stopped") }
        guard outcome.exitStatus == 0 else {
            throw MonitorSourceError("exit status \(outcome.exitStatus ?? -1)" + (outcome.lastLine.map { ": \($0)" } ?? ""))
        }
        let text = outcome.lastLine?.trimmingCharacters(in: .whitespaces) ?? ""
        guard let value = Double(text), value.isFinite else {
            throw MonitorSourceError("the command printed \(ValueFormatError.quoted(String(text.prefix(80)))), not a number")
        }
        return [MonitorReading("value", value, .number)]
    }
}
