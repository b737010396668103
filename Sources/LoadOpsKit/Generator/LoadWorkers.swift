import NIOCore

/// The part of the generator that lives on one event loop. Every method must be called on
/// `eventLoop` (the coordinator goes through `execute`/`submit`), which is why the classes
/// below may be shared across tasks: their state is confined to that loop. `ClosedModelWorker`
/// and `OpenModelWorker` are the two kinds.
protocol LoadWorker: AnyObject, Sendable {
    var eventLoop: EventLoop { get }
    func start(atUptimeNanos start: UInt64)
    func takeInterval() -> IntervalSnapshot
    /// Stops starting requests; the future completes once every connection has closed.
    func stop() -> EventLoopFuture<Void>
    /// Closes everything at once: requests still in flight count as failures of their own kind
    /// (`FailureKind.unanswered`), so every request sent is counted exactly once.
    func forceClose()
    func finalStatistics() -> [EndpointStatistics]
    /// The first failing answers this loop kept (`LoopStatistics.failureSamples`).
    func failureSamples() -> [FailureSample]
    /// With `load.requests`: this loop's share of the requests is all sent, and answered or failed.
    func requestShareSettled() -> Bool
    /// Per flow of the plan, this loop's iterations (empty without flows).
    func finalFlowStatistics() -> [FlowStatistics]
    /// Open model: arrivals never sent for want of a connection.
    var droppedArrivals: UInt64 { get }
}

extension LoadWorker {
    func finalFlowStatistics() -> [FlowStatistics] { [] }
    var droppedArrivals: UInt64 { 0 }
}

/// The closed model's workers: the coordinator sets their users.
protocol UserLoadWorker: LoadWorker {
    func setUsers(_ count: Int)
}

/// The open model's workers: arrivals follow a schedule, which the web UI may change.
protocol ArrivalLoadWorker: LoadWorker {
    func reschedule(_ schedule: ArrivalRateSchedule)
}

extension ClosedModelWorker: UserLoadWorker {}
extension ClosedFlowWorker: UserLoadWorker {}
extension OpenModelWorker: ArrivalLoadWorker {}
extension OpenFlowWorker: ArrivalLoadWorker {}

/// Conversions that cannot trap, whatever a configuration says.
enum Nanoseconds {
    /// Seconds to nanoseconds, clamped to a year.
    static func from(seconds: Double) -> UInt64 {
        UInt64(min(max(seconds, 0), 365 * 86_400) * 1e9)
    }
}

/// Sweeps a loop's connections for requests past their timeout. One timer per loop instead of
/// one per request keeps the hot path free of scheduling.
func scheduleTimeoutSweep(on shared: LoopShared, timeoutNanos: UInt64, connections: @escaping () -> [LoadConnection],
                                  isDone: @escaping () -> Bool) {
    let period = TimeAmount.milliseconds(min(max(Int64(timeoutNanos / 10_000_000), 10), 250))
    func sweep() {
        guard !isDone() else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        for connection in connections() where connection.inFlight && now &- connection.sentNanos > timeoutNanos {
            connection.abandon(failure: .timeout)
        }
        shared.eventLoop.assumeIsolated().scheduleTask(in: period) { sweep() }
    }
    shared.eventLoop.assumeIsolated().scheduleTask(in: period) { sweep() }
}

