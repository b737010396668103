import Foundation
import Synchronization

/// Samples every source once per interval, each in a task of its own and each within the timeout,
/// and hands over one `MonitorRound` per interval.
///
/// Sources never wait for each other: a source that is slow or dead only gives error samples of its
/// own (`no answer within 5s`) while the others keep their schedule, and a round is handed over once
/// every source has reported for it, or at the latest shortly after the timeout. A source that does
/// not stop when cancelled holds only its own task: its next intervals are recorded as skipped.
public struct MonitorSampler: Sendable {
    public let sources: [any MonitorSource]
    /// Seconds between samples.
    public let interval: Double
    /// Seconds a sample may take; at most `interval`.
    public let timeout: Double

    public init(sources: [any MonitorSource], interval: Double, timeout: Double? = nil) {
        self.sources = sources
        self.interval = max(interval, 0.01)
        self.timeout = min(max(timeout ?? interval, 0.001), self.interval)
    }

    /// The configured sources; passwords named by `password_env:` are read from `environment`, and
    /// commands run in `workingDirectory`.
    public init(
        settings: MonitorSettings, environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) {
        self.init(
            sources: settings.sources.map { $0.makeSource(timeout: settings.effectiveTimeout, environment: environment, workingDirectory: workingDirectory) },
            interval: settings.interval, timeout: settings.effectiveTimeout)
    }

    /// Samples at 0, `interval`, 2 × `interval`, … until `duration` seconds have passed (the last
    /// round is the one at or just before `duration`), or until the calling task is cancelled
    /// (a run's end, Ctrl-C). Returns once the last round is handed over, or at once when cancelled.
    ///
    /// `deliver` is called once per round, in order, one call at a time; it must return quickly
    /// (hand slow work to a task of its own), as the next round waits for it.
    public func run(duration: Double? = nil, deliver: @escaping @Sendable (MonitorRound) -> Void) async {
        guard !sources.isEmpty else { return }
        let start = ContinuousClock.now
        let lastIndex = duration.map { Int(($0 / interval + 1e-9).rounded(.down)) }
        let board = MonitorRoundBoard(
            sourceNames: sources.map(\.name), startDate: Date(), interval: interval, deliver: deliver)
        let schedule = Schedule(start: start, interval: interval, timeout: timeout, lastIndex: lastIndex)

        enum Finished { case source, closer }
        await withTaskGroup(of: Finished.self) { group in
            for (position, source) in sources.enumerated() {
                group.addTask {
                    await Self.sampleLoop(source, position: position, schedule: schedule, board: board)
                    return .source
                }
            }
            group.addTask {
                await Self.closeLoop(schedule: schedule, board: board)
                return .closer
            }
            // Done when every source has reported its last interval (the board has handed over the
            // last round), or when the closer has closed it without a source that is stuck.
            var finishedSources = 0
            for await finished in group {
                if finished == .closer { break }
                finishedSources += 1
                if finishedSources == sources.count { break }
            }
            group.cancelAll()
        }
    }

    struct Schedule: Sendable {
        var start: ContinuousClock.Instant
        var interval: Double
        var timeout: Double
        var lastIndex: Int?

        func begins(_ index: Int) -> ContinuousClock.Instant { start + MonitorClock.duration(Double(index) * interval) }

        func isWithin(_ index: Int) -> Bool { lastIndex.map { index <= $0 } ?? true }

        /// Rounds still missing a source are closed this long after their timeout: room for the
        /// timeout's own error sample to arrive first.
        var grace: Double { min(0.5, max(0.1, interval * 0.1)) }
    }

    /// One source's samples, one after the other, each at its interval's start.
    private static func sampleLoop(_ source: any MonitorSource, position: Int, schedule: Schedule, board: MonitorRoundBoard) async {
        var index = 0
        while schedule.isWithin(index), !Task.isCancelled {
            let begins = schedule.begins(index)
            let deadline = begins + MonitorClock.duration(schedule.timeout)
            if ContinuousClock.now >= deadline {
                // The previous sample ran past this interval's whole timeout (a source that did not stop when cancelled).
                board.add(
                    MonitorSample(source: source.name, error: "skipped: the previous sample was still running"),
                    position: position, index: index)
                index += 1
                continue
            }
            try? await Task.sleep(until: begins, clock: .continuous)
            if Task.isCancelled { return }
            await sampleOnce(source, position: position, index: index, deadline: deadline, timeout: schedule.timeout, board: board)
            index += 1
        }
    }

    /// Races the sample against the deadline and posts the winner at once, before waiting for the
    /// loser to stop, so a source that ignores cancellation cannot hold the round back.
    private static func sampleOnce(
        _ source: any MonitorSource, position: Int, index: Int, deadline: ContinuousClock.Instant, timeout: Double,
        board: MonitorRoundBoard
    ) async {
        let started = ContinuousClock.now
        await withTaskGroup(of: MonitorSample?.self) { group in
            group.addTask {
                do {
                    let readings = try await source.sample().filter { $0.value.isFinite }
                    return MonitorSample(source: source.name, readings: readings, seconds: MonitorClock.seconds(started.duration(to: .now)))
                } catch {
                    if Task.isCancelled { return nil }
                    return MonitorSample(source: source.name, error: "\(error)", seconds: MonitorClock.seconds(started.duration(to: .now)))
                }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                if Task.isCancelled { return nil }
                return MonitorSample(
                    source: source.name, error: "no answer within \(DurationParser.format(timeout))", seconds: timeout)
            }
            if let first = await group.next(), let sample = first {
                board.add(sample, position: position, index: index)
            }
            group.cancelAll()
        }
    }

    /// Closes each round shortly after its timeout, whatever is still missing.
    private static func closeLoop(schedule: Schedule, board: MonitorRoundBoard) async {
        var index = 0
        while schedule.isWithin(index), !Task.isCancelled {
            let closes = schedule.begins(index) + MonitorClock.duration(schedule.timeout + schedule.grace)
            try? await Task.sleep(until: closes, clock: .continuous)
            if Task.isCancelled { return }
            board.close(through: index)
            index += 1
        }
    }
}

/// The rounds being filled: samples arrive from the sources' tasks in any order; rounds leave in
/// order, each once complete or closed.
final class MonitorRoundBoard: Sendable {
    private struct State {
        /// Per round not yet handed over: each source's sample, by position.
        var rounds: [Int: [MonitorSample?]] = [:]
        var nextIndex = 0
        /// Rounds up to this one are handed over even when a source is missing.
        var closedThrough = -1
    }

    private let sourceNames: [String]
    private let startDate: Date
    private let interval: Double
    private let deliver: @Sendable (MonitorRound) -> Void
    private let state = Mutex(State())

    init(sourceNames: [String], startDate: Date, interval: Double, deliver: @escaping @Sendable (MonitorRound) -> Void) {
        self.sourceNames = sourceNames
        self.startDate = startDate
        self.interval = interval
        self.deliver = deliver
    }

    /// A sample for a round already handed over (it came too late) is dropped.
    func add(_ sample: MonitorSample, position: Int, index: Int) {
        state.withLock { state in
            guard index >= state.nextIndex else { return }
            var slots = state.rounds[index] ?? Array(repeating: nil, count: sourceNames.count)
            slots[position] = sample
            state.rounds[index] = slots
            handOver(&state)
        }
    }

    func close(through index: Int) {
        state.withLock { state in
            state.closedThrough = max(state.closedThrough, index)
            handOver(&state)
        }
    }

    /// Hands over the rounds that are ready, oldest first. Runs under the lock, so rounds leave one
    /// at a time and in order.
    private func handOver(_ state: inout State) {
        while true {
            let index = state.nextIndex
            let slots = state.rounds[index] ?? Array(repeating: nil, count: sourceNames.count)
            guard index <= state.closedThrough || slots.allSatisfy({ $0 != nil }) else { return }
            let samples = slots.enumerated().map { position, sample in
                sample ?? MonitorSample(source: sourceNames[position], error: "no sample: the previous one is still running")
            }
            state.rounds[index] = nil
            state.nextIndex += 1
            let elapsed = Double(index) * interval
            deliver(MonitorRound(index: index, time: startDate.addingTimeInterval(elapsed), elapsed: elapsed, samples: samples))
        }
    }
}
