import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A warning sign as the run saw it: when it started and, once it cleared, when it ended (seconds
/// since the start of the run).
public struct WarningRecord: Codable, Sendable, Equatable {
    /// `cpu`, `latency_trend`, `db.connections_used`, ...
    public var key: String
    /// What was seen when it started.
    public var message: String
    public var start: Double
    /// Nil while it still held at the end of the run.
    public var end: Double?

    /// `00:05-00:12`, or `00:05-end` for one that held to the end of the run.
    public var timeSpan: String {
        "\(ReportNumber.clock(start))-\(end.map { ReportNumber.clock($0) } ?? "end")"
    }

    public init(key: String, message: String, start: Double, end: Double?) {
        self.key = key
        self.message = message
        self.start = start
        self.end = end
    }
}

/// What the console prints as it happens.
public enum WatchEvent: Sendable, Equatable {
    case warningStarted(key: String, message: String)
    case warningCleared(key: String, message: String)
    case aborted(rule: String)
}

/// Watches a run for the early warning signs and the abort rules: fed the generator's one-second
/// snapshots (it is a `RunObserver`) and the monitor's rounds, it keeps the warnings with their
/// times, and stops the run with the rule's text when an abort rule holds.
///
/// Snapshots come from the generator's coordinating task, monitor rounds from the sampler's; both
/// only take the lock briefly, so neither waits on the other.
public final class RunWatch: RunObserver, Sendable {
    /// The pseudo monitor source under which loadops' own CPU is kept (`loadops.cpu`).
    static let generatorSource = "loadops"

    public struct Settings: Sendable, Equatable {
        public var abortRules: [AbortRule]
        /// Seconds after the start during which no rule or sign is judged.
        public var grace: Double
        public var signs: WarningSigns
        /// The monitor sources' kinds (`host`, `postgres`, ...) by name.
        public var sourceKinds: [String: String]
        /// Warn levels of Prometheus series, keyed `source.metric`.
        public var levels: [String: MonitorWarnLevel]

        public init(abortRules: [AbortRule], grace: Double = AbortRule.defaultGrace, signs: WarningSigns = .defaults,
                    sourceKinds: [String: String] = [:], levels: [String: MonitorWarnLevel] = [:]) {
            self.abortRules = abortRules
            self.grace = grace
            self.signs = signs
            self.sourceKinds = sourceKinds
            self.levels = levels
        }
    }

    private struct State {
        var window: WatchWindow
        var runStart = Date()
        var cpuCores = 1.0
        var lastCPU: (elapsed: Double, seconds: Double)?
        var active: [String: WarningRecord] = [:]
        var records: [WarningRecord] = []
        var fired: (rule: String, elapsed: Double)?
    }

    public let settings: Settings
    private let state: Mutex<State>
    /// Told of each warning as it starts and clears, and of the abort, in order (outside the lock).
    private let onEvent: @Sendable (WatchEvent) -> Void

    public init(settings: Settings, onEvent: @escaping @Sendable (WatchEvent) -> Void = { _ in }) {
        self.settings = settings
        self.onEvent = onEvent
        let horizon = max(settings.signs.horizon, (settings.abortRules.map(\.window).max() ?? 0) + 1)
        self.state = Mutex(State(window: WatchWindow(horizon: horizon)))
    }

    // MARK: RunObserver

    public func runStarted(plan: LoadPlan, stop: StopSignal) {
        let cores = Double(min(max(plan.threads, 1), ProcessInfo.processInfo.activeProcessorCount))
        state.withLock { state in
            state.runStart = Date()
            state.cpuCores = cores
            state.lastCPU = (0, Self.processCPUSeconds())
        }
    }

    public func runProgressed(_ second: SecondSnapshot, stop: StopSignal) {
        let cpuSeconds = Self.processCPUSeconds()
        let (events, abort): ([WatchEvent], String?) = state.withLock { state in
            state.window.add(second)
            if let last = state.lastCPU, second.elapsed > last.elapsed {
                let busy = (cpuSeconds - last.seconds) / (second.elapsed - last.elapsed) / state.cpuCores * 100
                state.window.add(source: Self.generatorSource, readings: [MonitorReading("cpu", max(0, busy), .percent)],
                                 elapsed: second.elapsed)
            }
            state.lastCPU = (second.elapsed, cpuSeconds)
            var events = update(&state)
            guard state.fired == nil, let firing = firingRule(in: state.window) else { return (events, nil) }
            state.fired = (firing, state.window.now)
            events.append(.aborted(rule: firing))
            return (events, firing)
        }
        if let abort { stop.request(.aborted(rule: abort)) }
        for event in events { onEvent(event) }
    }

    public func runEnded(_ outcome: GeneratorOutcome) {}

    // MARK: Monitor

    /// Takes one round of the monitor's samples (errors carry no readings and are skipped here).
    public func record(_ round: MonitorRound) {
        state.withLock { state in
            let elapsed = round.time.timeIntervalSince(state.runStart)
            for sample in round.samples where sample.error == nil {
                state.window.add(source: sample.source, readings: sample.readings, elapsed: elapsed)
            }
        }
    }

    // MARK: Results

    /// The messages of the warnings that hold now, for the status line.
    public var activeWarnings: [String] {
        state.withLock { $0.active.values.sorted { $0.start < $1.start }.map(\.message) }
    }

    /// Every warning of the run with its times, in the order they started; those still active end open.
    public var warnings: [WarningRecord] {
        state.withLock { state in
            (state.records + state.active.values).sorted { ($0.start, $0.key) < ($1.start, $1.key) }
        }
    }

    /// The abort rule that fired, with what was observed, if one did.
    public var firedRule: String? { state.withLock { $0.fired?.rule } }

    /// Seconds into the run at which the abort rule fired.
    public var firedAfter: Double? { state.withLock { $0.fired?.elapsed } }

    // MARK: Rules

    /// Starts and clears warnings as the signs say; returns what changed.
    private func update(_ state: inout State) -> [WatchEvent] {
        let now = state.window.now
        guard now >= settings.grace else { return [] }
        var events: [WatchEvent] = []
        let holding = settings.signs.evaluate(state.window, grace: settings.grace, kinds: settings.sourceKinds,
                                              levels: settings.levels)
        let keys = Set(holding.map(\.key))
        for warning in holding where state.active[warning.key] == nil {
            state.active[warning.key] = WarningRecord(key: warning.key, message: warning.message, start: now, end: nil)
            events.append(.warningStarted(key: warning.key, message: warning.message))
        }
        for (key, record) in state.active where !keys.contains(key) {
            var ended = record
            ended.end = now
            state.records.append(ended)
            state.active[key] = nil
            events.append(.warningCleared(key: key, message: record.message))
        }
        return events
    }

    /// The first rule that holds over its window, as `RULE (observed VALUE)`.
    private func firingRule(in window: WatchWindow) -> String? {
        for rule in settings.abortRules where window.now - settings.grace >= rule.window {
            guard let observed = window.measure(rule.metric, over: rule.window),
                  rule.comparison.holds(observed, rule.limit) else { continue }
            return "\(rule.text) (observed \(rule.metric.format(observed)))"
        }
        return nil
    }

    /// User plus system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
