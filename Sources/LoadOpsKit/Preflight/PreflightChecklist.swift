import Foundation

/// `checklists/preflight.yml`: the operations guide's pre-test verification script as data.
public struct PreflightChecklist: Sendable, Equatable {
    public var checks: [PreflightCheck]

    public static let defaultPath = "checklists/preflight.yml"
    /// Seconds a check may take when neither it nor the checklist says.
    public static let defaultTimeout: Double = 10

    public init(checks: [PreflightCheck]) {
        self.checks = checks
    }
}

public struct PreflightCheck: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `url` is absolute, or a path joined to the configuration's host. `expectedStatus` empty means 200.
        case http(url: String, expectedStatus: [Int], latencyBudget: Double?)
        /// Warn when fewer than `warnHeadroom` connections are left below `max_connections`.
        case postgres(ServiceEndpoint, warnHeadroom: Int)
        /// Warn (and optionally fail) when `used_memory` is above a share of `maxmemory`.
        case redis(ServiceEndpoint, warnPercent: Double, failPercent: Double?)
        case tcp(host: String, port: Int)
        case disk(path: String, warnPercent: Double, failPercent: Double?)
        /// Available memory in MB, from /proc/meminfo's MemAvailable.
        case memory(warnBelowMB: Int, failBelowMB: Int?)
        case command(String)
        case env([String])

        public var name: String {
            switch self {
            case .http: return "http"
            case .postgres: return "postgres"
            case .redis: return "redis"
            case .tcp: return "tcp"
            case .disk: return "disk"
            case .memory: return "memory"
            case .command: return "command"
            case .env: return "env"
            }
        }
    }

    /// What is checked, as the operations guide names it: `API`, `Database`, `Redis`, `Disk space`, `Memory`.
    public var name: String
    public var kind: Kind
    /// Seconds before the check counts as failed.
    public var timeout: Double

    public init(name: String, kind: Kind, timeout: Double = PreflightChecklist.defaultTimeout) {
        self.name = name
        self.kind = kind
        self.timeout = timeout
    }
}

/// Reads a preflight checklist; every mistake is a `ConfigError` with file:line:column.
enum PreflightChecklistParser {
    static let kinds = ["http", "postgres", "redis", "tcp", "disk", "memory", "command", "env"]
    static let commonKeys = ["name", "kind", "timeout"]
    static let keysByKind: [String: [String]] = [
        "http": ["url", "path", "expect", "latency_budget"],
        "postgres": ["url", "password_env", "warn_headroom"],
        "redis": ["url", "password_env", "warn_percent", "fail_percent"],
        "tcp": ["address", "host", "port"],
        "disk": ["path", "warn_percent", "fail_percent"],
        "memory": ["warn_below_mb", "fail_below_mb"],
        "command": ["command"],
        "env": ["variables"],
    ]

    static func parse(
        path: String, workingDirectory: String, config: LoadOpsConfig, environment: [String: String]
    ) throws -> PreflightChecklist {
        let root = try ChecklistFile.load(path: path, workingDirectory: workingDirectory)
        return try parse(root: root, config: config, environment: environment)
    }

    static func parse(text: String, displayPath: String, config: LoadOpsConfig, environment: [String: String]) throws
        -> PreflightChecklist
    {
        try parse(root: try YAMLFile.compose(text, displayPath: displayPath), config: config, environment: environment)
    }

    private static func parse(root: ConfigNode?, config: LoadOpsConfig, environment: [String: String]) throws
        -> PreflightChecklist
    {
        let (items, defaultTimeout) = try ChecklistFile.items(root, listKey: "checks", what: "checks")
        let checks = try items.map {
            try parseCheck($0, defaultTimeout: defaultTimeout ?? PreflightChecklist.defaultTimeout, config: config, environment: environment)
        }
        return PreflightChecklist(checks: checks)
    }

    private static func parseCheck(
        _ node: ConfigNode, defaultTimeout: Double, config: LoadOpsConfig, environment: [String: String]
    ) throws -> PreflightCheck {
        let (kind, entry) = try ChecklistFile.kindedItem(
            node, what: "check", kinds: kinds, commonKeys: commonKeys, keysByKind: keysByKind)
        let timeout = try entry["timeout"]?.parse(.positiveDuration) ?? defaultTimeout
        let givenName = try entry["name"]?.string(expected: "a name for the check")

        func required(_ key: String, _ example: String) throws -> ConfigNode {
            guard let value = entry[key] else { throw node.error("a \(kind) check needs `\(key):` (such as \(example))") }
            return value
        }

        let parsed: PreflightCheck.Kind
        let defaultName: String
        switch kind {
        case "http":
            let url: String
            if let absolute = entry["url"] {
                url = try absolute.parse(.httpURL)
                if entry["path"] != nil { throw node.error("give either `url:` or `path:`, not both") }
            } else {
                let path = try required("path", "/health").string(expected: "a path such as /health")
                guard path.hasPrefix("/") else { throw entry["path"].map { $0.mismatch("a path starting with /") } ?? node.error("bad path") }
                var host = config.host
                while host.hasSuffix("/") { host.removeLast() }
                url = host + path
            }
            let expected = try entry["expect"]?.listOrSingle(expected: "a status code or a list of them").map { try $0.parse(.statusCode) }
            let budget = try entry["latency_budget"]?.parse(.positiveDuration)
            parsed = .http(url: url, expectedStatus: expected ?? [200], latencyBudget: budget)
            defaultName = "API"
        case "postgres":
            let (endpoint, _) = try ServiceEndpointReader.read(entry, scheme: .postgres, environment: environment)
            let headroom = try entry["warn_headroom"]?.wholeNumber(atLeast: 0) ?? 10
            parsed = .postgres(endpoint, warnHeadroom: headroom)
            defaultName = "Database"
        case "redis":
            let (endpoint, _) = try ServiceEndpointReader.read(entry, scheme: .redis, environment: environment)
            let warn = try entry["warn_percent"]?.percent() ?? 80
            let fail = try entry["fail_percent"]?.percent()
            parsed = .redis(endpoint, warnPercent: warn, failPercent: fail)
            defaultName = "Redis"
        case "tcp":
            let (host, port) = try tcpAddress(entry, node: node)
            parsed = .tcp(host: host, port: port)
            defaultName = "\(host):\(port)"
        case "disk":
            let path = try entry["path"]?.string(expected: "a folder") ?? "."
            let warn = try entry["warn_percent"]?.percent() ?? 80
            let fail = try entry["fail_percent"]?.percent()
            if let fail, fail < warn, let failNode = entry["fail_percent"] {
                throw failNode.error("fail_percent (\(fail)) is below warn_percent (\(warn))")
            }
            parsed = .disk(path: path, warnPercent: warn, failPercent: fail)
            defaultName = "Disk space"
        case "memory":
            let warn = try entry["warn_below_mb"]?.wholeNumber(atLeast: 0) ?? 1000
            let fail = try entry["fail_below_mb"]?.wholeNumber(atLeast: 0)
            if let fail, fail > warn, let failNode = entry["fail_below_mb"] {
                throw failNode.error("fail_below_mb (\(fail)) is above warn_below_mb (\(warn))")
            }
            parsed = .memory(warnBelowMB: warn, failBelowMB: fail)
            defaultName = "Memory"
        case "command":
            let command = try required("command", "pg_isready -h 127.0.0.1").string(expected: "a shell command")
            parsed = .command(command)
            defaultName = command
        default:  // env
            let variables = try required("variables", "[LOAD_TEST_HOST]").listOrSingle(expected: "a list of variable names")
                .map { try $0.variableName() }
            parsed = .env(variables)
            defaultName = "Environment"
        }
        return PreflightCheck(name: givenName ?? defaultName, kind: parsed, timeout: timeout)
    }

    private static func tcpAddress(_ entry: ConfigMapping, node: ConfigNode) throws -> (String, Int) {
        if let address = entry["address"] {
            let text = try address.string(expected: "host:port")
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port)
            else { throw address.mismatch("host:port, such as 127.0.0.1:5432") }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty else { throw address.mismatch("host:port, such as 127.0.0.1:5432") }
            return (host, port)
        }
        guard let host = entry["host"], let port = entry["port"] else {
            throw node.error("a tcp check needs `address: host:port` (or `host:` and `port:`)")
        }
        return (try host.string(expected: "a host name"), try port.parse(ValueRule(expected: "a port between 1 and 65535") { text in
            guard let port = Int(text.trimmingCharacters(in: .whitespaces)), (1...65535).contains(port) else { return nil }
            return port
        }))
    }
}
