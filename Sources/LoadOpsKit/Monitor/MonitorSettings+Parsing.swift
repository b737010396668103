import Foundation

extension MonitorSettings {
    static let sectionKeys = ["interval", "timeout", "sources"]
    static let kinds = ["host", "postgres", "redis", "prometheus", "command"]
    static let keysByKind: [String: [String]] = [
        "host": ["name", "disk_path"],
        "postgres": ["name", "url", "password_env"],
        "redis": ["name", "url", "password_env"],
        "prometheus": ["name", "url", "series"],
        "command": ["name", "run"],
    ]

    /// Reads loadops.yml's `monitor:` section. Every mistake is a `ConfigError` at its line and
    /// column; a URL whose host is neither loopback nor in `allowHosts` is refused like a target's.
    ///
    /// - Parameter resolvePath: makes `disk_path` absolute (`~`, relative to the configuration file).
    static func parse(_ node: ConfigNode, allowHosts: [String], resolvePath: (String) -> String) throws -> MonitorSettings {
        let section = try node.mapping(allowedKeys: sectionKeys, expected: "a mapping with interval, timeout and sources")
        var settings = MonitorSettings()
        if let interval = section["interval"] {
            settings.interval = try interval.parse(.positiveDuration)
            guard settings.interval >= minimumInterval else {
                throw interval.error("the interval must be at least \(DurationParser.format(minimumInterval)), got \(interval.found)")
            }
        }
        if let timeout = section["timeout"] {
            let seconds = try timeout.parse(.positiveDuration)
            guard seconds <= settings.interval else {
                throw timeout.error(
                    "a sample's timeout must be at most the interval (\(DurationParser.format(settings.interval))), got \(timeout.found): "
                        + "the next sample is due by then")
            }
            settings.timeout = seconds
        }
        var seen: [String: SourceLocation] = [:]
        for item in try section["sources"]?.sequence(expected: "a list of sources such as - host: { disk_path: / }") ?? [] {
            let source = try parseSource(item, allowHosts: allowHosts, resolvePath: resolvePath)
            if let earlier = seen[source.name] {
                throw item.error(
                    "two sources are named \(ValueFormatError.quoted(source.name)) (the other at line \(earlier.line ?? 0)): "
                        + "samples are kept per source, so give one of them a distinct `name:`")
            }
            seen[source.name] = item.location
            settings.sources.append(source)
        }
        return settings
    }

    /// `- host`, or `- KIND: { settings }`.
    private static func parseSource(_ item: ConfigNode, allowHosts: [String], resolvePath: (String) -> String) throws
        -> MonitorSourceSettings
    {
        let shape = "a source: one of \(kinds.joined(separator: ", ")) with its settings, such as - postgres: { url: postgres://user@127.0.0.1:5432/app }"
        let kindNode: ConfigNode
        let settingsNode: ConfigNode?
        switch item.node {
        case .scalar:
            kindNode = item
            settingsNode = nil
        case .mapping:
            let entries = try item.openMapping(expected: shape)
            guard entries.count == 1, let entry = entries.first else { throw item.mismatch(shape) }
            kindNode = entry.keyNode
            settingsNode = entry.value.isNull ? nil : entry.value
        default:
            throw item.mismatch(shape)
        }
        let kind = try kindNode.string(expected: "a source kind")
        guard let keys = keysByKind[kind] else {
            var message = "unknown source kind \(ValueFormatError.quoted(kind)); expected one of \(kinds.joined(separator: ", "))"
            if let suggestion = KeySuggestion.closest(to: kind, among: kinds) { message += " (did you mean \"\(suggestion)\"?)" }
            throw kindNode.error(message, kind: .unknownKey)
        }
        guard let settingsNode else {
            guard kind == "host" else { throw item.error("a \(kind) source needs its settings, such as \(example(kind))") }
            return MonitorSourceSettings(kind: .host(diskPath: "/"))
        }
        let entry = try settingsNode.mapping(allowedKeys: keys, expected: "the \(kind) source's settings, such as \(example(kind))")
        let name = try entry["name"].map(sourceName)

        func required(_ key: String) throws -> ConfigNode {
            guard let value = entry[key] else { throw settingsNode.error("a \(kind) source needs `\(key):` (such as \(example(kind)))") }
            return value
        }

        switch kind {
        case "host":
            let path = try entry["disk_path"]?.string(expected: "a folder such as /") ?? "/"
            return MonitorSourceSettings(name: name, kind: .host(diskPath: resolvePath(path)))
        case "postgres", "redis":
            let scheme: ServiceEndpoint.Scheme = kind == "postgres" ? .postgres : .redis
            // The password from `password_env` is read when sampling starts, so the settings (and
            // `config show`) never hold it.
            let (endpoint, variable) = try ServiceEndpointReader.read(entry, scheme: scheme, environment: [:])
            try checkHost(endpoint.url, node: try required("url"), allowHosts: allowHosts)
            var stored = endpoint
            stored.unsetPasswordVariable = nil
            return MonitorSourceSettings(
                name: name, kind: scheme == .postgres ? .postgres(stored, passwordVariable: variable) : .redis(stored, passwordVariable: variable))
        case "prometheus":
            let urlNode = try required("url")
            let url = try urlNode.parse(.httpURL)
            try checkHost(url, node: urlNode, allowHosts: allowHosts)
            let series = try required("series")
                .listOrSingle(expected: "a list of series such as [process_cpu_seconds_total, { name: go_goroutines, warn: \"> 500\" }]")
                .map(parseSeries)
            return MonitorSourceSettings(name: name, kind: .prometheus(url: url, series: series))
        default:  // command
            guard let name else {
                throw settingsNode.error("a command source needs `name:`, what it measures (such as \(example(kind)))")
            }
            let command = try required("run").string(expected: "a shell command that prints a number")
            return MonitorSourceSettings(name: name, kind: .command(command))
        }
    }

    private static func example(_ kind: String) -> String {
        switch kind {
        case "host": return "- host: { disk_path: / }"
        case "postgres": return "- postgres: { url: postgres://user@127.0.0.1:5432/app, password_env: DB_PASSWORD }"
        case "redis": return "- redis: { url: redis://127.0.0.1:6379 }"
        case "prometheus": return "- prometheus: { url: http://127.0.0.1:9100/metrics, series: [process_cpu_seconds_total] }"
        default: return "- command: { name: queue_depth, run: \"cat /tmp/depth\" }"
        }
    }

    /// Names appear in rule names (`monitor.NAME.metric`) and output: letters, digits, `_` and `-`.
    private static func sourceName(_ node: ConfigNode) throws -> String {
        try node.parse(ValueRule(expected: "a name of letters, digits, _ and - such as queue_depth") { text in
            let name = text.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else { return nil }
            return name
        })
    }

    /// Watching a server sends it requests too, so the monitor asks the same permission as the load.
    private static func checkHost(_ url: String, node: ConfigNode, allowHosts: [String]) throws {
        do {
            try HostPolicy.check(url: url, allowHosts: allowHosts)
        } catch let refused as HostNotAllowed {
            throw node.error(
                "refusing to monitor \(refused.host) (\(refused.url)): loadops only contacts loopback and the hosts in "
                    + "allow_hosts; if you may watch it, add it: allow_hosts: [\((allowHosts + [refused.host]).joined(separator: ", "))]")
        }
    }

    /// `name`, `name{label="value"}`, or `{ name: ..., warn: "> 0.9" }`.
    private static func parseSeries(_ node: ConfigNode) throws -> PrometheusSeries {
        let selectorNode: ConfigNode
        var warn: MonitorWarnLevel?
        if case .mapping = node.node {
            let entry = try node.mapping(allowedKeys: ["name", "warn"], expected: "a series such as { name: go_goroutines, warn: \"> 500\" }")
            guard let name = entry["name"] else { throw node.error("a series needs `name:` (such as process_cpu_seconds_total)") }
            selectorNode = name
            warn = try entry["warn"]?.parse(.warnLevel)
        } else {
            selectorNode = node
        }
        var series = try selectorNode.parse(.seriesSelector)
        series.warn = warn
        return series
    }
}

extension ValueRule where Value == PrometheusSeries {
    /// `process_cpu_seconds_total` or `http_requests_total{code="500",method="GET"}`.
    static var seriesSelector: ValueRule {
        ValueRule(expected: "a series name such as process_cpu_seconds_total, optionally with labels such as http_requests_total{code=\"500\"}") { text in
            let selector = text.trimmingCharacters(in: .whitespaces)
            guard let (metric, rest) = PrometheusExposition.metricName(Substring(selector)) else { return nil }
            if rest.isEmpty { return PrometheusSeries(selector: selector, metric: metric) }
            guard let (labels, after) = PrometheusExposition.labelSet(rest), after.isEmpty else { return nil }
            return PrometheusSeries(selector: selector, metric: metric, labels: labels)
        }
    }
}

extension ValueRule where Value == MonitorWarnLevel {
    /// `> 0.9`, `>= 80%` (a percent sign is allowed and changes nothing: the value is compared as written).
    static var warnLevel: ValueRule {
        ValueRule(expected: "a comparison such as \"> 0.9\" or \">= 80\" (<, <=, >, >= or == and a number)") { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let operatorText = trimmed.prefix { "<>=!".contains($0) }
            guard let comparison = ThresholdOperator(rawValue: String(operatorText)) else { return nil }
            var number = trimmed[operatorText.endIndex...].trimmingCharacters(in: .whitespaces)
            if number.hasSuffix("%") { number.removeLast() }
            let negative = number.hasPrefix("-")
            guard let magnitude = DecimalNumber.parse(negative ? String(number.dropFirst()) : number) else { return nil }
            return MonitorWarnLevel(comparison, negative ? -magnitude : magnitude)
        }
    }
}
