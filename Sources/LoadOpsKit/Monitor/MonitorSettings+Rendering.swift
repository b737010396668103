import Foundation

extension MonitorSettings {
    /// A copy fit for printing and storing: passwords in URLs masked, none kept.
    public func redacted() -> MonitorSettings {
        var copy = self
        copy.sources = sources.map { source in
            var masked = source
            switch source.kind {
            case .postgres(let endpoint, let variable): masked.kind = .postgres(Self.redacted(endpoint), passwordVariable: variable)
            case .redis(let endpoint, let variable): masked.kind = .redis(Self.redacted(endpoint), passwordVariable: variable)
            case .prometheus(let url, let series): masked.kind = .prometheus(url: Redaction.redactURL(url), series: series)
            case .host, .command: break
            }
            return masked
        }
        return copy
    }

    private static func redacted(_ endpoint: ServiceEndpoint) -> ServiceEndpoint {
        var masked = endpoint
        masked.url = endpoint.redactedURL
        masked.password = endpoint.password == nil ? nil : Redaction.mask
        return masked
    }

    /// The `monitor:` section as `loadops config show` prints it, in the loadops.yml schema (it
    /// reads back the same); nothing when there is no section to speak of.
    func yamlLines() -> [String] {
        guard self != MonitorSettings() else { return [] }
        let settings = redacted()
        var lines = ["monitor:", "  interval: \(DurationParser.format(settings.interval))"]
        if let timeout = settings.timeout { lines.append("  timeout: \(DurationParser.format(timeout))") }
        guard !settings.sources.isEmpty else { return lines + ["  sources: []"] }
        lines.append("  sources:")
        for source in settings.sources {
            var fields: [String] = []
            if source.name != source.kind.name || source.kind.name == "command" {
                fields.append("name: \(ConfigRenderer.scalar(source.name))")
            }
            switch source.kind {
            case .host(let diskPath):
                fields.append("disk_path: \(ConfigRenderer.scalar(diskPath))")
            case .postgres(let endpoint, let variable), .redis(let endpoint, let variable):
                fields.append("url: \(ConfigRenderer.scalar(endpoint.url))")
                if let variable { fields.append("password_env: \(variable)") }
            case .prometheus(let url, let series):
                fields.append("url: \(ConfigRenderer.scalar(url))")
                let items = series.map { series in
                    series.warn.map { "{ name: \(ConfigRenderer.quoted(series.selector)), warn: \(ConfigRenderer.quoted($0.text)) }" }
                        ?? ConfigRenderer.quoted(series.selector)
                }
                fields.append("series: [\(items.joined(separator: ", "))]")
            case .command(let command):
                fields.append("run: \(ConfigRenderer.quoted(command))")
            }
            lines.append("    - \(source.kind.name): { \(fields.joined(separator: ", ")) }")
        }
        return lines
    }
}
