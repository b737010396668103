import Foundation

/// Everything measured for one flow over the whole run: its iterations and how long they took.
/// Its steps' requests are counted as endpoints, under the steps' names.
public struct FlowStatistics: Sendable {
    public var name: String
    /// Iterations whose first step was sent (or attempted: a refused connection counts).
    public var started: UInt64
    /// Iterations whose every step succeeded.
    public var completed: UInt64
    /// Iterations ended by a failing step; their later steps were not sent.
    public var failed: UInt64
    /// Per failing step (its index in the flow), how many iterations ended there.
    public var failedAtStep: [Int: UInt64]
    /// Completed iterations' durations, from the intended start of the first step (open model:
    /// coordinated omission corrected) to the last step's answer, think time included.
    public var duration: LatencyHistogram

    public init(name: String) {
        self.name = name
        self.started = 0
        self.completed = 0
        self.failed = 0
        self.failedAtStep = [:]
        self.duration = LatencyHistograms.make()
    }

    public mutating func add(_ other: FlowStatistics) {
        started += other.started
        completed += other.completed
        failed += other.failed
        for (step, count) in other.failedAtStep { failedAtStep[step, default: 0] += count }
        duration.add(other.duration)
    }

    /// Iterations that ended (completed or failed); those still running at the end are neither.
    public var finished: UInt64 { completed + failed }

    /// Percent of finished iterations that failed (0-100); 0 when none finished.
    public var failureRate: Double {
        finished == 0 ? 0 : Double(failed) / Double(finished) * 100
    }
}
