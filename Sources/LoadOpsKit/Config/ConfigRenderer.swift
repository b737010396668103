import Foundation

/// Prints the effective configuration in the `loadops.yml` schema, for `loadops config show`.
/// The output always goes through `redacted()` and loads back with `ConfigLoader`.
public enum ConfigRenderer {
    public static func yaml(_ config: LoadOpsConfig) -> String {
        let config = config.redacted()
        var lines = ["# effective configuration: \(config.sourceDescription), then environment, then flags"]
        lines.append("host: \(scalar(config.host))")
        lines.append("allow_hosts: \(flowList(config.allowHosts.map(scalar)))")
        if let environment = config.environment { lines.append("environment: \(scalar(environment))") }
        lines.append("insecure: \(config.insecure)")
        lines.append("follow_redirects: \(config.followRedirects)")
        if config.engine != .builtin { lines.append("engine: \(config.engine.rawValue)") }
        lines.append("output: \(scalar(config.output))")
        if !config.redactQuery.isEmpty { lines.append("redact_query: \(flowList(config.redactQuery.map(scalar)))") }
        lines += loadSection(config.load)
        lines += endpointsSection(config.endpoints)
        switch config.credentials {
        case .basicFile(let path)?: lines += ["credentials:", "  file: \(scalar(path))"]
        case .bearerEnv(let variable)?: lines += ["credentials:", "  bearer_env: \(scalar(variable))"]
        case nil: break
        }
        lines += thresholdsSection(config.thresholds)
        lines += config.monitor.yamlLines()
        lines += config.watch.yamlLines()
        if !config.incidentCommands.isEmpty {
            lines.append("incident:")
            lines += config.incidentCommands.map { "  - \(scalar($0))" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func loadSection(_ load: LoadSettings) -> [String] {
        var lines = [
            "load:",
            "  model: \(load.model.rawValue)",
            "  users: \(load.users)",
            "  spawn_rate: \(DecimalNumber.format(load.spawnRate))",
            "  duration: \(DurationParser.format(load.duration))",
        ]
        if let thinkTime = load.thinkTime {
            let text = thinkTime.lowerBound == thinkTime.upperBound
                ? DurationParser.format(thinkTime.lowerBound)
                : "\(DurationParser.format(thinkTime.lowerBound))-\(DurationParser.format(thinkTime.upperBound))"
            lines.append("  think_time: \(text)")
        }
        if let rate = load.rate { lines.append("  rate: \(RateParser.format(rate))") }
        lines.append("  max_connections: \(load.maxConnections)")
        lines.append("  timeout: \(DurationParser.format(load.timeout))")
        if let requests = load.requests { lines.append("  requests: \(requests)") }
        if !load.stages.isEmpty {
            lines.append("  stages:")
            for stage in load.stages {
                let target = load.model == .closed
                    ? "users: \(DecimalNumber.format(stage.target))" : "rate: \(RateParser.format(stage.target))"
                let ramp = stage.ramp ? ", ramp: true" : ""
                lines.append("    - { duration: \(DurationParser.format(stage.duration)), \(target)\(ramp) }")
            }
        }
        return lines
    }

    private static func endpointsSection(_ endpoints: [EndpointConfig]) -> [String] {
        var lines = ["endpoints:"]
        for endpoint in endpoints {
            // The name defaults to the path; only print it when it says something more.
            lines.append("  - method: \(endpoint.method)")
            if endpoint.name != endpoint.path { lines.append("    name: \(scalar(endpoint.name))") }
            lines.append("    path: \(scalar(endpoint.path))")
            if !endpoint.headers.isEmpty {
                lines.append("    headers:")
                lines += endpoint.headers.map { name, value in "      \(scalar(name)): \(scalar(value))" }
            }
            if let body = endpoint.body { lines.append("    body: \(scalar(body))") }
            lines.append("    weight: \(DecimalNumber.format(endpoint.weight))")
            if let rate = endpoint.rate { lines.append("    rate: \(RateParser.format(rate))") }
            if !endpoint.expectedStatus.isEmpty {
                lines.append("    expect: \(flowList(endpoint.expectedStatus.map(String.init)))")
            }
        }
        return lines
    }

    private static func thresholdsSection(_ thresholds: [String: [String]]) -> [String] {
        guard !thresholds.isEmpty else { return [] }
        // Aggregate first, then the endpoints in a stable order.
        let rank = { (scope: String) in (scope == "aggregate" ? 0 : 1, scope) }
        let scopes = thresholds.keys.sorted { rank($0) < rank($1) }
        return ["thresholds:"] + scopes.map { scope in
            "  \(scalar(scope)): \(flowList((thresholds[scope] ?? []).map(quoted)))"
        }
    }

    private static func flowList(_ items: [String]) -> String {
        "[" + items.joined(separator: ", ") + "]"
    }

    /// Plain when YAML would read the text back as the same string, double-quoted otherwise.
    static func scalar(_ text: String) -> String {
        guard let first = text.first, first.isASCII, first.isLetter || first.isNumber || first == "/" || first == "_",
            text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_./:@+-".contains($0)) }),
            !text.hasSuffix(":"), !looksTyped(text)
        else { return quoted(text) }
        return text
    }

    /// Plain text YAML would read as a bool, null or number.
    private static func looksTyped(_ text: String) -> Bool {
        let words = ["true", "false", "yes", "no", "on", "off", "y", "n", "null"]
        if words.contains(text.lowercased()) { return true }
        guard let first = text.first, first.isNumber else { return false }
        return text.allSatisfy { $0.isHexDigit || "xXoO._:+-".contains($0) }
    }

    /// Single quotes read best for JSON bodies (no backslashes); double quotes when there are control characters.
    static func quoted(_ text: String) -> String {
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return JSONText.quoted(text) }
        return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}
