/// The early warning signs watched during a run, each with its level (nil turns it off), and how
/// each is decided. All are judged once a second on the `WatchWindow`, after the grace period.
///
/// - `latency_trend` (response time trending upward): the median one-second p95 of the last
///   `trendWindow` seconds is at least `latencyTrendFactor` times that of the `trendWindow` seconds
///   before, and at least `latencyTrendMinimumIncrease` ms higher. Judged only once both windows lie
///   after the grace period. A step profile on a steady target keeps its p95 level as users are added,
///   so it does not fire; a target that slows down under the same load does.
/// - `error_rate_climbing`: the error rate of the last `trendWindow` seconds is at least
///   `errorRateClimbing` percent and at least double that of the window before (a steady error rate,
///   however high, is the abort rules' business, not a trend).
/// - `cpu`, `memory`: a `host` monitor source's latest reading above the level (percent).
/// - `db_connections`: a `postgres` source's connections in use at or above the level (percent of
///   `max_connections`): the pool is at its limit.
/// - `redis_memory`: a `redis` source's `used_memory` above the level (percent of `maxmemory`).
/// - `generator_cpu`: loadops' own CPU time, over the cores its event loops can use, above the level:
///   then the figures understate what the target can do.
/// - `throttling`: answers 429 Too Many Requests in the last `throttlingWindow` seconds.
/// - a Prometheus series with a `warn` level: its latest reading crosses the level.
public struct WarningSigns: Sendable, Equatable {
    public var trendWindow: Double = 30
    public var latencyTrendFactor: Double? = 1.5
    public var latencyTrendMinimumIncrease: Double = 20
    public var errorRateClimbing: Double? = 1
    public var cpu: Double? = 85
    public var memory: Double? = 85
    public var databaseConnections: Double? = 90
    public var redisMemory: Double? = 80
    public var generatorCPU: Double? = 90
    public var throttling: Bool = true
    public var throttlingWindow: Double = 5

    public init() {}

    /// The defaults: the operations guide's levels, plus the generator's own CPU and throttling.
    public static let defaults = WarningSigns()

    /// How far back the signs look.
    var horizon: Double { max(2 * trendWindow, throttlingWindow) + 1 }
}

/// One warning that holds now: `key` names it (`cpu`, `monitor.app.pool_in_use`), `message` says what
/// was seen, as the console prints it.
struct ActiveWarning: Sendable, Equatable {
    var key: String
    var message: String
}

extension WarningSigns {
    /// The warnings that hold at the end of `window`. `kinds` gives each monitor source's kind
    /// (`host`, `postgres`, ...) by name; `levels` the configured per-series warn levels, keyed
    /// `source.metric`.
    func evaluate(_ window: WatchWindow, grace: Double, kinds: [String: String],
                  levels: [String: MonitorWarnLevel]) -> [ActiveWarning] {
        var warnings: [ActiveWarning] = []
        let judgedFor = window.now - grace

        if let factor = latencyTrendFactor, judgedFor >= 2 * trendWindow,
           let now = window.measure(.run(.percentile(.p95)), over: trendWindow),
           let before = window.measure(.run(.percentile(.p95)), over: trendWindow, endingBefore: trendWindow),
           now >= factor * before, now - before >= latencyTrendMinimumIncrease {
            warnings.append(ActiveWarning(key: "latency_trend", message:
                "response time trending upward: p95 \(ReportNumber.milliseconds(now)) over the last \(seconds(trendWindow)), "
                + "up from \(ReportNumber.milliseconds(before)) the \(seconds(trendWindow)) before"))
        }
        if let level = errorRateClimbing, judgedFor >= 2 * trendWindow,
           let now = window.measure(.run(.errorRate), over: trendWindow),
           let before = window.measure(.run(.errorRate), over: trendWindow, endingBefore: trendWindow),
           now >= level, now >= 2 * before {
            warnings.append(ActiveWarning(key: "error_rate_climbing", message:
                "error rate climbing: \(ReportNumber.percent(now)) over the last \(seconds(trendWindow)), "
                + "up from \(ReportNumber.percent(before)) the \(seconds(trendWindow)) before"))
        }
        if throttling, judgedFor >= 0, let last = window.seconds.last {
            let earlier = window.span(from: throttlingWindow + 1, to: throttlingWindow).last
            let throttled = (last.totalFailuresByKind[.httpStatus(429)] ?? 0)
                - min(earlier?.totalFailuresByKind[.httpStatus(429)] ?? 0, last.totalFailuresByKind[.httpStatus(429)] ?? 0)
            if throttled > 0 {
                warnings.append(ActiveWarning(key: "throttling", message:
                    "the target is throttling: \(throttled) answers 429 Too Many Requests in the last \(seconds(throttlingWindow))"))
            }
        }
        for (source, kind) in kinds.sorted(by: { $0.key < $1.key }) {
            func above(_ metric: String, _ level: Double?, inclusive: Bool = false, _ what: String) {
                guard let level, let value = window.latest(source, metric),
                      inclusive ? value >= level : value > level else { return }
                let name = source == kind ? kind : "\(kind) \(source)"
                warnings.append(ActiveWarning(key: "\(source).\(metric)", message:
                    "\(what) at \(ReportNumber.decimal(value, places: 1))% (\(name); warning above \(DecimalNumber.format(level))%)"))
            }
            switch kind {
            case "host":
                above("cpu", cpu, "CPU")
                above("memory", memory, "memory")
            case "postgres":
                above("connections_used", databaseConnections, inclusive: true, "database connections at the pool limit:")
            case "redis":
                above("memory", redisMemory, "Redis memory")
            default:
                break
            }
        }
        if let level = generatorCPU, judgedFor >= 0, let value = window.latest(RunWatch.generatorSource, "cpu"), value > level {
            warnings.append(ActiveWarning(key: "generator_cpu", message:
                "loadops itself is saturated: \(ReportNumber.decimal(value, places: 0))% of the CPU it can use, "
                + "so the figures understate what the target can do (use fewer users, or more machines)"))
        }
        for (key, level) in levels.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = window.latest(parts[0], parts[1]),
                  level.comparison.holds(value, level.value) else { continue }
            warnings.append(ActiveWarning(key: "monitor.\(key)", message:
                "\(key) is \(ReportNumber.decimal(value)) (warning at \(level.text))"))
        }
        return warnings
    }

    private func seconds(_ value: Double) -> String { "\(DecimalNumber.format(value)) s" }
}
