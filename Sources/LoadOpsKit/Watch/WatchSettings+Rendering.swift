import DurationSyntax

extension WatchSettings {
    /// The `abort:` and `warnings:` sections as `loadops config show` prints them, in the loadops.yml
    /// schema (they read back the same).
    func yamlLines() -> [String] {
        var lines = ["abort:", "  grace: \(DurationParser.format(grace))"]
        if abortRules.isEmpty {
            lines.append("  rules: []")
        } else {
            lines.append("  rules:")
            lines += abortRules.map { "    - \(ConfigRenderer.scalar($0.text))" }
        }
        func level(_ value: Double?, suffix: String) -> String {
            value.map { "\(DecimalNumber.format($0))\(suffix)" } ?? "off"
        }
        lines += [
            "warnings:",
            "  trend_window: \(DurationParser.format(signs.trendWindow))",
            "  latency_trend: \(level(signs.latencyTrendFactor, suffix: "x"))",
            "  latency_trend_min_increase: \(DecimalNumber.format(signs.latencyTrendMinimumIncrease))ms",
            "  error_rate_climbing: \(level(signs.errorRateClimbing, suffix: "%"))",
            "  cpu: \(level(signs.cpu, suffix: "%"))",
            "  memory: \(level(signs.memory, suffix: "%"))",
            "  db_connections: \(level(signs.databaseConnections, suffix: "%"))",
            "  redis_memory: \(level(signs.redisMemory, suffix: "%"))",
            "  generator_cpu: \(level(signs.generatorCPU, suffix: "%"))",
            "  throttling: \(signs.throttling)",
        ]
        return lines
    }
}
