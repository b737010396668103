import DurationSyntax
import Foundation

/// loadops.yml's `abort:` and `warnings:` sections: when a run stops itself, and which early
/// warning signs it watches for.
///
/// ```yaml
/// abort:                       # or a plain list of rules; `abort: []` turns aborting off
///   grace: 10s                 # nothing is judged before
///   rules:
///     - error_rate > 5% over 30s
///     - p95 > 1s over 60s
///     - monitor.host.cpu > 95% over 60s
/// warnings:                    # each level a number, or off
///   cpu: 85%
///   db_connections: off
///   trend_window: 30s
/// ```
public struct WatchSettings: Sendable, Equatable {
    public var abortRules: [AbortRule]
    public var grace: Double
    public var signs: WarningSigns

    public init(abortRules: [AbortRule], grace: Double = AbortRule.defaultGrace, signs: WarningSigns = .defaults) {
        self.abortRules = abortRules
        self.grace = grace
        self.signs = signs
    }

    /// With no `abort:` or `warnings:` section: the default rule and every sign at its default level.
    public static var defaults: WatchSettings {
        // The default expressions are constants that parse.
        WatchSettings(abortRules: AbortRule.defaultExpressions.compactMap { try? AbortRule.parse($0) })
    }

    /// The observer for one run, knowing the monitor's sources (their kinds and warn levels).
    public func watch(monitor: MonitorSettings, onEvent: @escaping @Sendable (WatchEvent) -> Void) -> RunWatch {
        RunWatch(settings: RunWatch.Settings(abortRules: abortRules, grace: grace, signs: signs,
                                             sourceKinds: monitor.kindsByName, levels: monitor.warnLevels),
                 onEvent: onEvent)
    }
}

extension WatchSettings {
    static let abortKeys = ["grace", "rules"]
    static let warningKeys = ["trend_window", "latency_trend", "latency_trend_min_increase", "error_rate_climbing",
                              "cpu", "memory", "db_connections", "redis_memory", "generator_cpu", "throttling"]

    /// Reads the `abort:` and `warnings:` sections (either may be absent). Mistakes are `ConfigError`s
    /// at their line and column.
    static func parse(abort: ConfigNode?, warnings: ConfigNode?) throws -> WatchSettings {
        var settings = WatchSettings.defaults
        if let abort {
            let rulesNode: ConfigNode?
            if case .mapping = abort.node {
                let section = try abort.mapping(allowedKeys: abortKeys, expected: "a list of rules, or a mapping with grace and rules")
                if let grace = section["grace"] {
                    settings.grace = try duration(grace, expected: "a duration from 0s to 1h such as 10s", atMost: 3600)
                }
                rulesNode = section["rules"]
            } else {
                rulesNode = abort
            }
            if let rulesNode {
                settings.abortRules = try rulesNode.listOrSingle(expected: "a list of rules such as - error_rate > 5% over 30s").map { item in
                    let text = try item.string(expected: "a rule such as error_rate > 5% over 30s")
                    do throws(AbortRuleError) {
                        return try AbortRule.parse(text)
                    } catch {
                        throw item.error(error.reason)
                    }
                }
            }
        }
        if let warnings {
            let section = try warnings.mapping(allowedKeys: warningKeys, expected: "a mapping of warning levels such as cpu: 85%")
            var signs = settings.signs
            if let node = section["trend_window"] {
                signs.trendWindow = try node.parse(.positiveDuration)
            }
            if let node = section["latency_trend"] {
                signs.latencyTrendFactor = try level(node, expected: "a factor above 1 such as 1.5x, or off") { text in
                    let number = DecimalNumber.parse(text.hasSuffix("x") ? String(text.dropLast()) : text)
                    return number.flatMap { $0 > 1 && $0 <= 100 ? $0 : nil }
                }
            }
            if let node = section["latency_trend_min_increase"] {
                signs.latencyTrendMinimumIncrease = try duration(node, expected: "a duration from 0ms to 1m such as 20ms", atMost: 60) * 1000
            }
            func percent(_ key: String, _ keyPath: WritableKeyPath<WarningSigns, Double?>) throws {
                guard let node = section[key] else { return }
                signs[keyPath: keyPath] = try level(node, expected: "a percentage from 1% to 100% such as 85%, or off") { text in
                    guard text.hasSuffix("%"), let number = DecimalNumber.parse(text.dropLast()), number >= 1, number <= 100 else {
                        return nil
                    }
                    return number
                }
            }
            try percent("error_rate_climbing", \.errorRateClimbing)
            try percent("cpu", \.cpu)
            try percent("memory", \.memory)
            try percent("db_connections", \.databaseConnections)
            try percent("redis_memory", \.redisMemory)
            try percent("generator_cpu", \.generatorCPU)
            if let node = section["throttling"] {
                signs.throttling = try node.bool()
            }
            settings.signs = signs
        }
        return settings
    }

    /// A duration from zero to `atMost` seconds.
    private static func duration(_ node: ConfigNode, expected: String, atMost limit: Double) throws -> Double {
        let text = try node.scalarText(expected: expected)
        guard let seconds = try? DurationParser.seconds(from: text.trimmingCharacters(in: .whitespaces)), seconds <= limit else {
            throw node.mismatch(expected)
        }
        return seconds
    }

    /// A level, or `off` (also `false`, `no`) for nil.
    private static func level(_ node: ConfigNode, expected: String, read: (String) -> Double?) throws -> Double? {
        let text = try node.scalarText(expected: expected).trimmingCharacters(in: .whitespaces)
        if ["off", "false", "no"].contains(text.lowercased()) { return nil }
        guard let value = read(text) else { throw node.mismatch(expected) }
        return value
    }
}
