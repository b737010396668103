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
        if !config.endpoints.isEmpty || config.flows.isEmpty { lines += endpointsSection(config.endpoints) }
        lines += flowsSection(config.flows.map { $0.redacted(extraQueryNames: config.redactQuery) })
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
        if let thinkTime = load.thinkTime { lines.append("  think_time: \(thinkTimeText(thinkTime))") }
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

    /// Flows in the full form, each check and extraction on a line of its own. A data file is named
    /// with its row count, never its rows (they often hold passwords).
    private static func flowsSection(_ flows: [FlowConfig]) -> [String] {
        guard !flows.isEmpty else { return [] }
        var lines = ["flows:"]
        for flow in flows {
            lines.append("  - name: \(scalar(flow.name))")
            lines.append("    weight: \(DecimalNumber.format(flow.weight))")
            if let rate = flow.rate { lines.append("    rate: \(RateParser.format(rate))") }
            if let thinkTime = flow.thinkTime { lines.append("    think_time: \(thinkTimeText(thinkTime))") }
            lines.append("    cookies: \(flow.cookies)")
            if let data = flow.data {
                let rows = "\(data.rows.count) \(data.rows.count == 1 ? "row" : "rows")"
                lines.append("    data: { file: \(scalar(data.path)), pick: \(data.pick.rawValue), "
                             + "columns: \(flowList(data.columns.map(scalar))) }   # \(rows), not shown")
            }
            if !flow.variables.isEmpty {
                lines.append("    vars:")
                lines += flow.variables.map { "      \(scalar($0.name)): \(scalar($0.template))" }
            }
            lines.append("    steps:")
            for step in flow.steps { lines += stepLines(step) }
        }
        return lines
    }

    private static func stepLines(_ step: FlowStep) -> [String] {
        let request = step.request
        var lines = ["      - method: \(request.method)"]
        // The name defaults to METHOD path; only print it when it says something more.
        if request.name != "\(request.method) \(request.path)" { lines.append("        name: \(scalar(request.name))") }
        lines.append("        path: \(scalar(request.path))")
        if !request.headers.isEmpty {
            lines.append("        headers:")
            lines += request.headers.map { name, value in "          \(scalar(name)): \(scalar(value))" }
        }
        if let body = request.body { lines.append("        body: \(scalar(body))") }
        if !request.expectedStatus.isEmpty { lines.append("        expect: \(flowList(request.expectedStatus.map(String.init)))") }
        if !step.checks.isEmpty {
            lines.append("        check:")
            for check in step.checks {
                var fields: [String]
                switch check.condition {
                case .status(let codes): fields = ["status: \(flowList(codes.map(String.init)))"]
                case .jsonPathExists(let path): fields = ["json: \(scalar(path.text))"]
                case .jsonPathEquals(let path, let template): fields = ["json: \(scalar(path.text))", "equals: \(scalar(template))"]
                case .bodyContains(let template): fields = ["body_contains: \(scalar(template))"]
                case .bodySmallerThan(let bytes): fields = ["body_under: \(byteSizeText(bytes))"]
                }
                if check.name != ResponseCheck.defaultName(for: check.condition) { fields.append("name: \(scalar(check.name))") }
                lines.append("          - { " + fields.joined(separator: ", ") + " }")
            }
        }
        if !step.extractions.isEmpty {
            lines.append("        extract:")
            for extraction in step.extractions {
                let source: String
                switch extraction.source {
                case .jsonPath(let path): source = scalar(path.text)
                case .header(let name): source = "{ header: \(scalar(name)) }"
                case .regex(let pattern): source = "{ regex: \(scalar(pattern)) }"
                }
                lines.append("          \(scalar(extraction.variable)): \(source)")
            }
        }
        return lines
    }

    private static func thinkTimeText(_ thinkTime: ClosedRange<Double>) -> String {
        thinkTime.lowerBound == thinkTime.upperBound
            ? DurationParser.format(thinkTime.lowerBound)
            : "\(DurationParser.format(thinkTime.lowerBound))-\(DurationParser.format(thinkTime.upperBound))"
    }

    /// `64KB`, `1MB` when the size is a whole number of them, bytes otherwise.
    static func byteSizeText(_ bytes: Int) -> String {
        if bytes % 1_048_576 == 0 { return "\(bytes / 1_048_576)MB" }
        if bytes % 1024 == 0 { return "\(bytes / 1024)KB" }
        return "\(bytes)B"
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

extension FlowConfig {
    /// A copy fit for printing, masked as `LoadOpsConfig.redacted()` masks endpoints: secret query
    /// values in step names and paths, secret header values. A data file's rows are emptied (their count kept): they are never shown.
    func redacted(extraQueryNames: [String]) -> FlowConfig {
        var copy = self
        copy.steps = steps.map { step in
            var masked = step
            masked.request.name = Redaction.maskQuery(step.request.name, extraNames: extraQueryNames)
            masked.request.path = Redaction.maskQuery(step.request.path, extraNames: extraQueryNames)
            masked.request.headers = step.request.headers.map { name, value in
                (name, Redaction.isSensitiveHeader(name) ? Redaction.mask : value)
            }
            return masked
        }
        if var data = copy.data {
            data.rows = Array(repeating: [], count: data.rows.count)
            copy.data = data
        }
        return copy
    }
}
