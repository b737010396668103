import NIOCore

/// Locust-style users running flows: each user keeps one connection and its cookies, and runs one
/// iteration after another, a step at a time: send, wait for the answer, judge it, think, go on.
final class ClosedFlowWorker: LoadWorker, LoadConnectionOwner, @unchecked Sendable {
    private final class FlowUser {
        enum State {
            /// Connecting, sending, or waiting for an answer.
            case active
            /// Thinking between steps, or backing off after a refused connection.
            case pausing(Scheduled<Void>)
            /// Asked to stop: once its connection has closed, it is removed.
            case leaving
        }

        let slot: Int
        /// The user's number across all loops (credential and `per_user` data row).
        let number: Int
        var state = State.active
        var connection: LoadConnection?
        /// The iteration under way; nil between iterations.
        var iteration: FlowIteration?
        /// Kept from one iteration to the next, as a browser keeps them.
        var cookies = CookieJar()
        /// When the current connection attempt started (a failed one's latency).
        var attemptStartNanos: UInt64 = 0

        init(slot: Int, number: Int) {
            self.slot = slot
            self.number = number
        }

        var isLeaving: Bool {
            if case .leaving = state { return true }
            return false
        }
    }

    let eventLoop: EventLoop
    private let shared: LoopShared
    private let flows: LoopFlows
    private let timeoutNanos: UInt64
    private let loopIndex: Int
    private let loopCount: Int
    private let credentialCount: Int
    private var users: [FlowUser?] = []
    private var userCount = 0
    private var activeSlots: [Int] = []
    private var nextSlot = 0
    /// Once set, every user is leaving (`stop` retires them all and `setUsers` adds none).
    private var stopping = false
    private var stopPromise: EventLoopPromise<Void>?

    init(eventLoop: EventLoop, plan: PreparedPlan, loopIndex: Int, loopCount: Int) {
        self.eventLoop = eventLoop
        self.shared = LoopShared(eventLoop: eventLoop, plan: plan, loopIndex: loopIndex)
        self.flows = LoopFlows(flows: plan.flows, shares: plan.flowShares, shared: shared, reportedNames: plan.reportedFlowNames)
        self.timeoutNanos = Nanoseconds.from(seconds: plan.load.timeout)
        self.loopIndex = loopIndex
        self.loopCount = loopCount
        self.credentialCount = plan.templates.first?.credentialCount ?? 1
    }

    func start(atUptimeNanos start: UInt64) {
        scheduleTimeoutSweep(on: shared, timeoutNanos: timeoutNanos,
                             connections: { [unowned self] in users.compactMap { $0?.connection } },
                             isDone: { [unowned self] in stopping && userCount == 0 })
    }

    func setUsers(_ count: Int) {
        guard !stopping else { return }
        while activeSlots.count < count {
            let slot = nextSlot
            nextSlot += 1
            let user = FlowUser(slot: slot, number: slot * loopCount + loopIndex)
            users.append(user)
            userCount += 1
            activeSlots.append(slot)
            connect(user)
        }
        while activeSlots.count > count, let slot = activeSlots.popLast() {
            if let user = users[slot] { retire(user) }
        }
    }

    private func connect(_ user: FlowUser) {
        user.attemptStartNanos = NIODeadline.now().uptimeNanoseconds
        user.connection = shared.connect(owner: self, credential: user.number % credentialCount, slot: user.slot) {
            [unowned self] connection, failure in
            connectFailed(user, connection: connection, failure: failure)
        }
    }

    /// The step the user was going to send fails with the connection's error, and so does its iteration.
    private func connectFailed(_ user: FlowUser, connection: LoadConnection, failure: FailureKind) {
        guard user.connection === connection else { return }
        user.connection = nil
        let now = NIODeadline.now().uptimeNanoseconds
        let iteration = currentIteration(of: user, now: now)
        let elapsed = now &- min(user.attemptStartNanos, now)
        shared.statistics.record(endpoint: flows.endpoint(of: iteration), correctedNanos: elapsed, uncorrectedNanos: elapsed,
                                 bodyBytes: 0, failure: failure)
        _ = flows.settle(iteration, failed: true, nowNanos: now)
        end(iteration, of: user)
        if user.isLeaving {
            remove(user)
            return
        }
        // Back off a little so a refused port does not turn into a busy loop.
        pause(user, for: .milliseconds(100)) { [unowned self] in connect(user) }
    }

    private func currentIteration(of user: FlowUser, now: UInt64) -> FlowIteration {
        if let iteration = user.iteration { return iteration }
        let iteration = flows.startIteration(user: user.number, cookies: user.cookies, intendedStartNanos: now)
        user.iteration = iteration
        return iteration
    }

    /// Pauses the user, then continues with `next`. A pause already under way (thinking, when a
    /// reconnect failed meanwhile) is replaced: its task must not end the new one.
    private func pause(_ user: FlowUser, for length: TimeAmount, then next: @escaping () -> Void) {
        if case .pausing(let earlier) = user.state { earlier.cancel() }
        let task = eventLoop.assumeIsolated().scheduleTask(in: length) {
            guard case .pausing = user.state else { return }
            user.state = .active
            next()
        }
        user.state = .pausing(task)
    }

    /// Sends the user's next step (starting an iteration when none is under way). A connection that
    /// closed meanwhile reconnects in `connectionClosed`, and the step is sent then.
    private func sendNext(_ user: FlowUser) {
        guard let connection = user.connection else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        let iteration = currentIteration(of: user, now: now)
        iteration.stepIntendedNanos = now
        _ = flows.send(iteration, on: connection, intendedNanos: .max)
    }

    func connectionReady(_ connection: LoadConnection) {
        guard let user = users[connection.slot], user.connection === connection else {
            connection.close()
            return
        }
        if user.isLeaving {
            connection.close()
        } else if case .active = user.state {
            sendNext(user)
        }
        // A thinking user sends when its pause ends.
    }

    func answerArrived(_ connection: LoadConnection, status: Int, raw: ByteBuffer?) -> FailureKind? {
        guard let user = users[connection.slot], user.connection === connection, let iteration = user.iteration else { return nil }
        return flows.inspect(iteration, status: status, raw: raw)
    }

    func connectionFinished(_ connection: LoadConnection, reusable: Bool) {
        guard let user = users[connection.slot], user.connection === connection else { return }
        if let iteration = user.iteration {
            let progress = flows.settle(iteration, failed: connection.lastRequestFailed,
                                        nowNanos: NIODeadline.now().uptimeNanoseconds)
            if case .ended = progress { end(iteration, of: user) }
            // The pause is the flow's think time, between steps and between iterations alike.
            if user.isLeaving {
                connection.close()
                return
            }
            let pauseLength = flows.thinkTime(of: iteration)
            if pauseLength != .zero {
                pause(user, for: pauseLength) { [unowned self] in sendNext(user) }
            } else if reusable {
                sendNext(user)
            }
            // Otherwise the close that follows reconnects, and the new connection sends.
        } else if user.isLeaving {
            connection.close()
        }
    }

    /// The iteration is over: the user keeps the cookies it gathered (for flows that use cookies).
    private func end(_ iteration: FlowIteration, of user: FlowUser) {
        user.iteration = nil
        if flows.usesCookies(iteration) { user.cookies = iteration.cookies }
    }

    func connectionClosed(_ connection: LoadConnection) {
        guard let user = users[connection.slot], user.connection === connection else { return }
        user.connection = nil
        switch user.state {
        case .leaving:
            remove(user)
        case .active, .pausing:
            // A thinking user sends on the new connection once its pause ends.
            connect(user)
        }
    }

    private func retire(_ user: FlowUser) {
        if case .pausing(let task) = user.state { task.cancel() }
        user.state = .leaving
        user.connection?.retiring = true
        if let connection = user.connection {
            if connection.isOpen && !connection.inFlight { connection.close() }
        } else {
            remove(user)
        }
    }

    private func remove(_ user: FlowUser) {
        guard users[user.slot] != nil else { return }
        users[user.slot] = nil
        userCount -= 1
        if let index = activeSlots.lastIndex(of: user.slot) { activeSlots.remove(at: index) }
        if stopping && userCount == 0 {
            stopPromise?.succeed(())
            stopPromise = nil
        }
    }

    func requestShareSettled() -> Bool { false }

    func takeInterval() -> IntervalSnapshot {
        let connections = users.reduce(0) { $0 + (($1?.connection?.isOpen ?? false) ? 1 : 0) }
        return shared.statistics.takeInterval(users: activeSlots.count, connections: connections, queued: 0)
    }

    func stop() -> EventLoopFuture<Void> {
        stopping = true
        let promise = eventLoop.makePromise(of: Void.self)
        stopPromise = promise
        activeSlots.removeAll()
        for case let user? in users { retire(user) }
        if userCount == 0 {
            stopPromise = nil
            promise.succeed(())
        }
        return promise.futureResult
    }

    func forceClose() {
        for case let user? in users {
            if case .pausing(let task) = user.state { task.cancel() }
            user.state = .leaving
            user.connection?.abandon(failure: .unanswered)
        }
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
