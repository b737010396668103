import Foundation
import Synchronization

/// The load and what watches it: the monitor's sampler runs beside the generator, and the
/// `RunWatch` (warning signs, abort rules) is one of its observers, next to the console.
///
/// A slow or dead monitor source never holds up the load: the sampler runs in a task of its own on
/// NIO's shared event loops (the generator has its own), and hands its rounds to the watch, which
/// only takes a lock to keep them.
struct WatchedLoad: Sendable {
    var outcome: GeneratorOutcome
    /// What the monitor sampled; nil when nothing is monitored.
    var monitor: MonitorRecording?
    /// The monitor's last round before the end, for an incident report.
    var lastRound: MonitorRound?
    /// Every warning sign of the run with its times.
    var warnings: [WarningRecord]
    /// The warnings that still held at the end.
    var activeWarnings: [String]
    /// Seconds into the run at which an abort rule fired.
    var abortedAfter: Double?

    static func run(_ prepared: PreparedRun, request: RunRequest, console: RunConsole, stop: StopSignal) async throws -> WatchedLoad {
        let config = prepared.config
        let watch = config.watch.watch(monitor: config.monitor) { event in
            console.watchEvent(event)
            request.watchEvents?(event)
        }
        let rounds = RoundLog()
        let sampler = MonitorSampler(settings: config.monitor, environment: request.environment,
                                     workingDirectory: request.workingDirectory)
        let outcome = try await withThrowingTaskGroup(of: Void.self) { group in
            if !config.monitor.isEmpty {
                group.addTask {
                    await sampler.run { round in
                        watch.record(round)
                        rounds.append(round)
                    }
                }
            }
            defer { group.cancelAll() }
            let metrics = prepared.metrics.map { [$0.observer(watching: watch)] } ?? []
            return try await prepared.sender.send(plan: prepared.plan, stop: stop, observers: [watch, console] + metrics + request.observers)
        }
        let taken = rounds.all
        var recording: MonitorRecording?
        if !config.monitor.isEmpty {
            var monitor = MonitorRecording(settings: config.monitor)
            for round in taken { monitor.add(round, elapsed: round.time.timeIntervalSince(outcome.startTime)) }
            recording = monitor
        }
        return WatchedLoad(outcome: outcome, monitor: recording, lastRound: taken.last, warnings: watch.warnings,
                           activeWarnings: watch.activeWarnings, abortedAfter: watch.firedAfter)
    }
}

/// The monitor's rounds as they arrive from the sampler's task.
private final class RoundLog: Sendable {
    private let rounds = Mutex<[MonitorRound]>([])

    func append(_ round: MonitorRound) { rounds.withLock { $0.append(round) } }

    var all: [MonitorRound] { rounds.withLock { $0 } }
}
