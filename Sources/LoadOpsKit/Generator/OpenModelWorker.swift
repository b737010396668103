import NIOCore

/// k6-style constant (or ramping) arrival rate: requests start on schedule whether or not
/// earlier ones have been answered, on as many connections as needed up to a cap.
final class OpenModelWorker: LoadWorker, LoadConnectionOwner, @unchecked Sendable {
    private struct PendingArrival {
        var endpoint: Int
        var intendedNanos: UInt64
    }

    let eventLoop: EventLoop
    private let shared: LoopShared
    private var chooser: EndpointChooser
    private var schedule: ArrivalRateSchedule
    private let timeoutNanos: UInt64
    private let loopIndex: Int
    private let loopCount: Int
    private let connectionCap: Int
    private let credentialCount: Int
    /// How far off the next arrival may be for answers to wait for it (read on the loop's next pass,
    /// dated by the kernel) instead of waking the loop: beyond this, a finished request's connection
    /// would stay busy for longer than it is worth.
    private static let answerWaitLimitNanos: UInt64 = 10_000_000
    /// Arrivals waiting for a free connection beyond this are dropped (and reported).
    private let queueLimit = 100_000
    /// With `load.requests`: arrivals from this number on are not sent. Each loop takes every
    /// `loopCount`-th arrival, so together the loops send exactly that many.
    private let arrivalLimit: Int

    private var startNanos: UInt64 = 0
    private var nextArrival: Int
    private var connections: [Int: LoadConnection] = [:]
    private var idle: [LoadConnection] = []
    private var connecting = 0
    private var nextSlot = 0
    private var queue = CircularBuffer<PendingArrival>(initialCapacity: 64)
    private var tick: ArrivalTimer?
    private var stopping = false
    private var stopPromise: EventLoopPromise<Void>?
    private(set) var droppedArrivals: UInt64 = 0
    #if os(Linux)
    /// The loop, when it is loadops's own socket loop (plain HTTP): its reads may wait for arrivals.
    private let socketLoop: SocketEventLoop?
    #endif

    init(eventLoop: EventLoop, plan: PreparedPlan, schedule: ArrivalRateSchedule, loopIndex: Int, loopCount: Int) {
        self.eventLoop = eventLoop
        self.shared = LoopShared(eventLoop: eventLoop, plan: plan, loopIndex: loopIndex)
        self.chooser = EndpointChooser(weights: plan.openModelShares)
        self.schedule = schedule
        self.timeoutNanos = Nanoseconds.from(seconds: plan.load.timeout)
        self.loopIndex = loopIndex
        self.loopCount = loopCount
        let maxConnections = min(plan.load.maxConnections, LoadLimits.maximumUsers)
        self.connectionCap = max(1, (maxConnections + loopCount - 1 - loopIndex) / loopCount)
        self.credentialCount = plan.templates.first?.credentialCount ?? 1
        self.nextArrival = loopIndex
        self.arrivalLimit = plan.load.requests ?? .max
        #if os(Linux)
        self.socketLoop = eventLoop as? SocketEventLoop
        #endif
    }

    func start(atUptimeNanos start: UInt64) {
        startNanos = start
        #if os(Linux)
        socketLoop?.deferReads()
        #endif
        scheduleTimeoutSweep(on: shared, timeoutNanos: timeoutNanos,
                             connections: { [unowned self] in Array(connections.values) },
                             isDone: { [unowned self] in stopping && connections.isEmpty })
        scheduleNextTick()
    }

    private func intendedNanos(ofArrival n: Int) -> UInt64 {
        startNanos &+ UInt64(schedule.time(ofArrival: n) * 1e9)
    }

    /// The rate changed while the load runs (`LoadControl`): the arrivals not yet sent follow `schedule`.
    func reschedule(_ schedule: ArrivalRateSchedule) {
        self.schedule = schedule
        tick?.cancel()
        tick = nil
        scheduleNextTick()
    }

    private func scheduleNextTick() {
        guard !stopping, nextArrival < schedule.totalArrivals, nextArrival < arrivalLimit else {
            letAnswersWait(false)
            return
        }
        let due = intendedNanos(ofArrival: nextArrival)
        let now = NIODeadline.now().uptimeNanoseconds
        letAnswersWait(queue.isEmpty && (due <= now || due - now <= Self.answerWaitLimitNanos))
        #if os(Linux)
        if let socketLoop {
            tick = .socketLoop(socketLoop.runAt(uptimeNanos: due) { [unowned self] in dispatchDueArrivals() })
            return
        }
        #endif
        tick = .scheduled(eventLoop.assumeIsolated().scheduleTask(deadline: .uptimeNanoseconds(due)) { [unowned self] in
            dispatchDueArrivals()
        })
    }

    private func dispatchDueArrivals() {
        tick = nil
        let now = NIODeadline.now().uptimeNanoseconds
        while !stopping, nextArrival < schedule.totalArrivals, nextArrival < arrivalLimit {
            let due = intendedNanos(ofArrival: nextArrival)
            guard due <= now else { break }
            dispatch(PendingArrival(endpoint: chooser.next(), intendedNanos: due))
            nextArrival += loopCount
        }
        scheduleNextTick()
    }

    private func dispatch(_ arrival: PendingArrival) {
        while let connection = idle.popLast() {
            if connection.send(endpoint: arrival.endpoint, intendedNanos: arrival.intendedNanos) { return }
        }
        guard queue.count < queueLimit else {
            droppedArrivals += 1
            return
        }
        queue.append(arrival)
        letAnswersWait(false)  // a connection freed by an answer must take the queued arrival at once
        if connecting < queue.count && connections.count < connectionCap {
            openConnection()
        }
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

    private func connectFailed(_ connection: LoadConnection, failure: FailureKind) {
        connecting -= 1
        connections[connection.slot] = nil
        // The arrival this connection was opened for fails with the connection's error.
        if let arrival = queue.popFirst() {
            let elapsed = NIODeadline.now().uptimeNanoseconds &- arrival.intendedNanos
            shared.statistics.record(endpoint: arrival.endpoint, correctedNanos: elapsed, uncorrectedNanos: elapsed,
                                     bodyBytes: 0, failure: failure)
        }
        finishStopIfDone()
    }

    private func serveNext(_ connection: LoadConnection) {
        if stopping {
            connection.close()
        } else if let arrival = queue.first {
            if connection.send(endpoint: arrival.endpoint, intendedNanos: arrival.intendedNanos) {
                _ = queue.popFirst()
            }
        } else {
            idle.append(connection)
        }
    }

    func connectionReady(_ connection: LoadConnection) {
        connecting -= 1
        serveNext(connection)
    }

    func connectionFinished(_ connection: LoadConnection, reusable: Bool) {
        if reusable { serveNext(connection) }
    }

    func connectionClosed(_ connection: LoadConnection) {
        connections[connection.slot] = nil
        if let index = idle.firstIndex(where: { $0 === connection }) { idle.remove(at: index) }
        if !stopping && queue.count > connecting && connections.count < connectionCap {
            openConnection()
        }
        finishStopIfDone()
    }

    /// Whether answers may wait for the next arrival's wake-up (see `SocketEventLoop`).
    private func letAnswersWait(_ wait: Bool) {
        #if os(Linux)
        socketLoop?.letReadsWait(wait)
        #endif
    }

    private func finishStopIfDone() {
        if stopping && connections.isEmpty {
            stopPromise?.succeed(())
            stopPromise = nil
        }
    }

    func requestShareSettled() -> Bool {
        nextArrival >= arrivalLimit && queue.isEmpty && !connections.values.contains { $0.inFlight }
    }

    func takeInterval() -> IntervalSnapshot {
        shared.statistics.takeInterval(users: connections.count, connections: connections.count - connecting, queued: queue.count)
    }

    /// The next arrival's timer: the socket loop's own where there is one (no promise per arrival).
    private enum ArrivalTimer {
        case scheduled(Scheduled<Void>)
        #if os(Linux)
        case socketLoop(LoopTimer)
        #endif

        func cancel() {
            switch self {
            case .scheduled(let scheduled): scheduled.cancel()
            #if os(Linux)
            case .socketLoop(let timer): timer.cancel()
            #endif
            }
        }
    }

    func stop() -> EventLoopFuture<Void> {
        stopping = true
        letAnswersWait(false)
        tick?.cancel()
        tick = nil
        // Arrivals still waiting for a connection were never sent.
        droppedArrivals += UInt64(queue.count)
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
        // The run ends now, whatever a connection still owes: the generator must not wait on it.
        stopPromise?.succeed(())
        stopPromise = nil
    }

    func finalStatistics() -> [EndpointStatistics] {
        shared.statistics.totals
    }

    func failureSamples() -> [FailureSample] {
        shared.statistics.failureSamples
    }
}
