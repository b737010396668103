import NIOCore

/// Flows in the open model: iterations start on the arrival schedule whatever the server does, each
/// a new user with its own cookies. An iteration takes a free connection for each step (the one its
/// previous step used, when it goes on at once), and waits in the queue when none is free; a step's
/// latency counts from when it was due, so time spent waiting is not hidden (coordinated omission
/// corrected for every step, not only the first).
final class OpenFlowWorker: LoadWorker, LoadConnectionOwner, @unchecked Sendable {
    let eventLoop: EventLoop
    private let shared: LoopShared
    private let flows: LoopFlows
    private var schedule: ArrivalRateSchedule
    private let timeoutNanos: UInt64
    private let loopIndex: Int
    private let loopCount: Int
    private let connectionCap: Int
    private let credentialCount: Int
    /// Iterations waiting for a free connection beyond this are dropped (and reported).
    private let queueLimit = 100_000

    private var startNanos: UInt64 = 0
    private var nextArrival: Int
    private var connections: [Int: LoadConnection] = [:]
    private var idle: [LoadConnection] = []
    private var connecting = 0
    private var nextSlot = 0
    /// Iterations whose next step waits for a connection, oldest first.
    private var queue = CircularBuffer<FlowIteration>(initialCapacity: 64)
    /// The iteration whose step is in flight on each connection, by the connection's slot.
    private var inFlight: [Int: FlowIteration] = [:]
    private var tick: Scheduled<Void>?
    private var stopping = false
    private var stopPromise: EventLoopPromise<Void>?
    private(set) var droppedArrivals: UInt64 = 0

    init(eventLoop: EventLoop, plan: PreparedPlan, schedule: ArrivalRateSchedule, loopIndex: Int, loopCount: Int) {
        self.eventLoop = eventLoop
        self.shared = LoopShared(eventLoop: eventLoop, plan: plan, loopIndex: loopIndex)
        self.flows = LoopFlows(flows: plan.flows, shares: plan.flowShares, shared: shared, reportedNames: plan.reportedFlowNames)
        self.schedule = schedule
        self.timeoutNanos = Nanoseconds.from(seconds: plan.load.timeout)
        self.loopIndex = loopIndex
        self.loopCount = loopCount
        let maxConnections = min(plan.load.maxConnections, LoadLimits.maximumUsers)
        self.connectionCap = max(1, (maxConnections + loopCount - 1 - loopIndex) / loopCount)
        self.credentialCount = plan.templates.first?.credentialCount ?? 1
        self.nextArrival = loopIndex
    }

    func start(atUptimeNanos start: UInt64) {
        startNanos = start
        scheduleTimeoutSweep(on: shared, timeoutNanos: timeoutNanos,
                             connections: { [unowned self] in Array(connections.values) },
                             isDone: { [unowned self] in stopping && connections.isEmpty })
        scheduleNextTick()
    }

    private func intendedNanos(ofArrival n: Int) -> UInt64 {
        startNanos &+ UInt64(schedule.time(ofArrival: n) * 1e9)
    }

    func reschedule(_ schedule: ArrivalRateSchedule) {
        self.schedule = schedule
        tick?.cancel()
        tick = nil
        scheduleNextTick()
    }

    private func scheduleNextTick() {
        guard !stopping, nextArrival < schedule.totalArrivals else { return }
        let due = intendedNanos(ofArrival: nextArrival)
        tick = eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(due)) { [unowned self] in
            dispatchDueArrivals()
        }
    }

    private func dispatchDueArrivals() {
        tick = nil
        let now = NIODeadline.now().uptimeNanoseconds
        while !stopping, nextArrival < schedule.totalArrivals {
            let due = intendedNanos(ofArrival: nextArrival)
            guard due <= now else { break }
            // Every arrival is a new user: its number picks a `per_user` data row.
            dispatch(flows.startIteration(user: nextArrival, cookies: CookieJar(), intendedStartNanos: due))
            nextArrival += loopCount
        }
        scheduleNextTick()
    }

    /// Sends the iteration's next step on a free connection, or queues it (opening a connection when
    /// the queue outgrows those being opened).
    private func dispatch(_ iteration: FlowIteration) {
        while let connection = idle.popLast() {
            if send(iteration, on: connection) { return }
        }
        // The limit is for new arrivals: an iteration under way keeps its place, so every iteration
        // that started is settled or left unfinished by the end, never dropped halfway.
        guard queue.count < queueLimit || iteration.step > 0 else {
            droppedArrivals += 1
            return
        }
        queue.append(iteration)
        if connecting < queue.count && connections.count < connectionCap {
            openConnection()
        }
    }

    private func send(_ iteration: FlowIteration, on connection: LoadConnection) -> Bool {
        guard flows.send(iteration, on: connection, intendedNanos: iteration.stepIntendedNanos) else { return false }
        inFlight[connection.slot] = iteration
        return true
    }

    private func openConnection() {
        let slot = nextSlot
        nextSlot += 1
        connecting += 1
        let connection = shared.connect(owner: self, credential: (slot * loopCount + loopIndex) % credentialCount, slot: slot) {
            [unowned self] connection, failure in
            connectFailed(connection, failure: failure)
        }
        connections[slot] = connection
    }

    /// The iteration this connection was opened for fails its step with the connection's error.
    private func connectFailed(_ connection: LoadConnection, failure: FailureKind) {
        connecting -= 1
        connections[connection.slot] = nil
        if let iteration = queue.popFirst() {
            let now = NIODeadline.now().uptimeNanoseconds
            let elapsed = now &- min(iteration.stepIntendedNanos, now)
            shared.statistics.record(endpoint: flows.endpoint(of: iteration), correctedNanos: elapsed, uncorrectedNanos: elapsed,
                                     bodyBytes: 0, failure: failure)
            _ = flows.settle(iteration, failed: true, nowNanos: now)
        }
        finishStopIfDone()
    }

    private func serveNext(_ connection: LoadConnection) {
        if stopping {
            connection.close()
        } else if let iteration = queue.first {
            if send(iteration, on: connection) { _ = queue.popFirst() }
        } else {
            idle.append(connection)
        }
    }

    func connectionReady(_ connection: LoadConnection) {
        connecting -= 1
        serveNext(connection)
    }

    func answerArrived(_ connection: LoadConnection, status: Int, raw: ByteBuffer?) -> FailureKind? {
        guard let iteration = inFlight[connection.slot] else { return nil }
        return flows.inspect(iteration, status: status, raw: raw)
    }

    func connectionFinished(_ connection: LoadConnection, reusable: Bool) {
        if let iteration = inFlight.removeValue(forKey: connection.slot) {
            let now = NIODeadline.now().uptimeNanoseconds
            if case .nextStep = flows.settle(iteration, failed: connection.lastRequestFailed, nowNanos: now), !stopping {
                let pauseLength = flows.thinkTime(of: iteration)
                if pauseLength == .zero {
                    iteration.stepIntendedNanos = now
                    // Going on at once: on the same connection when it stays open.
                    if reusable && send(iteration, on: connection) { return }
                    dispatch(iteration)
                } else {
                    // Due when the pause ends, whenever the timer fires: a late timer's delay counts.
                    let due = now &+ UInt64(pauseLength.nanoseconds)
                    eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(due)) { [unowned self] in
                        guard !stopping else { return }
                        iteration.stepIntendedNanos = due
                        dispatch(iteration)
                    }
                }
            }
        }
        if reusable { serveNext(connection) }
    }

    func connectionClosed(_ connection: LoadConnection) {
        connections[connection.slot] = nil
        inFlight[connection.slot] = nil
        if let index = idle.firstIndex(where: { $0 === connection }) { idle.remove(at: index) }
        if !stopping && queue.count > connecting && connections.count < connectionCap {
            openConnection()
        }
        finishStopIfDone()
    }

    private func finishStopIfDone() {
        if stopping && connections.isEmpty {
            stopPromise?.succeed(())
            stopPromise = nil
        }
    }

    func requestShareSettled() -> Bool { false }

    func takeInterval() -> IntervalSnapshot {
        shared.statistics.takeInterval(users: connections.count, connections: connections.count - connecting, queued: queue.count)
    }

    func stop() -> EventLoopFuture<Void> {
        stopping = true
        tick?.cancel()
        tick = nil
        // New arrivals still waiting for a connection were never sent; iterations under way stay unfinished.
        droppedArrivals += UInt64(queue.reduce(0) { $0 + ($1.step == 0 ? 1 : 0) })
        queue.removeAll()
        let promise = eventLoop.makePromise(of: Void.self)
        stopPromise = promise
        for connection in idle { connection.close() }
        idle.removeAll()
        finishStopIfDone()
        return promise.futureResult
    }

    func forceClose() {
        for connection in connections.values { connection.abandon(failure: .unanswered) }
        stopPromise?.succeed(())
        stopPromise = nil
    }

    func finalStatistics() -> [EndpointStatistics] {
        shared.statistics.totals
    }

    func finalFlowStatistics() -> [FlowStatistics] {
        shared.statistics.flows
    }

    func failureSamples() -> [FailureSample] {
        shared.statistics.failureSamples
    }
}
