import NIOCore

/// Locust-style users: each keeps one connection, sends a request, waits for the answer,
/// thinks, and repeats.
final class ClosedModelWorker: LoadWorker, LoadConnectionOwner, @unchecked Sendable {
    private final class VirtualUser {
        enum State {
            /// Connecting, sending, or waiting for an answer.
            case active
            /// Pausing before its next request or reconnection: thinking, or backing off after a
            /// refused connection. The task ends the pause.
            case pausing(Scheduled<Void>)
            /// Asked to stop: once its connection has closed, it is removed.
            case leaving
        }

        let slot: Int
        let credential: Int
        var state = State.active
        var connection: LoadConnection?
        /// The endpoint of the next request; nil once it was sent and answered.
        var pendingEndpoint: Int?
        var attemptStartNanos: UInt64 = 0

        init(slot: Int, credential: Int) {
            self.slot = slot
            self.credential = credential
        }

        var isLeaving: Bool {
            if case .leaving = state { return true }
            return false
        }
    }

    let eventLoop: EventLoop
    private let shared: LoopShared
    private var chooser: EndpointChooser
    private let thinkTime: ClosedRange<Double>?
    private let timeoutNanos: UInt64
    private let loopIndex: Int
    private let loopCount: Int
    private let credentialCount: Int
    /// Indexed by slot (an array, not a dictionary: it is looked up on every request).
    private var users: [VirtualUser?] = []
    private var userCount = 0
    /// Slots of users not asked to stop, oldest first.
    private var activeSlots: [Int] = []
    private var nextSlot = 0
    /// Once set, every user is leaving (`stop` retires them all and `setUsers` adds none), so a
    /// user's own state is all a decision about it needs.
    private var stopping = false
    private var stopPromise: EventLoopPromise<Void>?
    /// With `load.requests`: the requests this loop may still start (its share, `LoadGenerator.requestShare`).
    /// A request is taken when a user picks its endpoint, so one kept across a reconnect counts once.
    private var remainingRequests: Int?

    init(eventLoop: EventLoop, plan: PreparedPlan, loopIndex: Int, loopCount: Int, requestShare: Int? = nil) {
        self.eventLoop = eventLoop
        self.shared = LoopShared(eventLoop: eventLoop, plan: plan, loopIndex: loopIndex)
        self.chooser = EndpointChooser(weights: plan.endpoints.map(\.weight))
        self.thinkTime = plan.load.thinkTime
        self.timeoutNanos = Nanoseconds.from(seconds: plan.load.timeout)
        self.loopIndex = loopIndex
        self.loopCount = loopCount
        self.credentialCount = plan.templates.first?.credentialCount ?? 1
        self.remainingRequests = requestShare
    }

    /// Takes one request from this loop's share; false once it is spent. Without a request count,
    /// one check of an optional.
    @inline(__always)
    private func takeRequest() -> Bool {
        guard let remaining = remainingRequests else { return true }
        guard remaining > 0 else { return false }
        remainingRequests = remaining - 1
        return true
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
            // Users across all loops take credentials in turn: user k gets credential k mod n.
            let user = VirtualUser(slot: slot, credential: (slot * loopCount + loopIndex) % credentialCount)
            users.append(user)
            userCount += 1
            activeSlots.append(slot)
            connect(user)
        }
        while activeSlots.count > count, let slot = activeSlots.popLast() {
            if let user = users[slot] { retire(user) }
        }
    }

    private func connect(_ user: VirtualUser) {
        // A reconnect keeps the request it was going to send, so the endpoint shares stay exact.
        if user.pendingEndpoint == nil {
            // This loop's share of the requests is spent: the user stays unconnected.
            guard takeRequest() else { return }
            user.pendingEndpoint = chooser.next()
        }
        user.attemptStartNanos = NIODeadline.now().uptimeNanoseconds
        user.connection = shared.connect(owner: self, credential: user.credential, slot: user.slot) { [unowned self] connection, failure in
            connectFailed(user, connection: connection, failure: failure)
        }
    }

    private func connectFailed(_ user: VirtualUser, connection: LoadConnection, failure: FailureKind) {
        guard user.connection === connection else { return }
        user.connection = nil
        let elapsed = NIODeadline.now().uptimeNanoseconds &- user.attemptStartNanos
        shared.statistics.record(endpoint: user.pendingEndpoint ?? 0, correctedNanos: elapsed, uncorrectedNanos: elapsed,
                                 bodyBytes: 0, failure: failure)
        user.pendingEndpoint = nil
        if user.isLeaving {
            remove(user)
            return
        }
        // Back off a little so a refused port does not turn into a busy loop.
        pause(user, minimumMilliseconds: 100) { [unowned self] in connect(user) }
    }

    /// Pauses an active user, then continues with `next`; a user retired meanwhile is not continued
    /// (retiring cancels the pause).
    private func pause(_ user: VirtualUser, minimumMilliseconds: Int64, then next: @escaping () -> Void) {
        let task = eventLoop.assumeIsolated().scheduleTask(in: pauseLength(minimumMilliseconds: minimumMilliseconds)) {
            guard case .pausing = user.state else { return }
            user.state = .active
            next()
        }
        user.state = .pausing(task)
    }

    private func pauseLength(minimumMilliseconds: Int64) -> TimeAmount {
        var seconds = 0.0
        if let thinkTime {
            seconds = thinkTime.lowerBound + (thinkTime.upperBound - thinkTime.lowerBound) * shared.random.nextUnit()
        }
        return .nanoseconds(max(Int64(Nanoseconds.from(seconds: seconds)), minimumMilliseconds * 1_000_000))
    }

    private func send(_ user: VirtualUser) {
        guard let connection = user.connection else { return }
        if user.pendingEndpoint == nil {
            guard takeRequest() else { return }
            user.pendingEndpoint = chooser.next()
        }
        // A connection that closed meanwhile reconnects in connectionClosed, keeping the endpoint.
        if connection.send(endpoint: user.pendingEndpoint ?? 0, intendedNanos: .max) {
            user.pendingEndpoint = nil
        }
    }

    func connectionReady(_ connection: LoadConnection) {
        guard let user = users[connection.slot], user.connection === connection else {
            connection.close()
            return
        }
        if user.isLeaving {
            connection.close()
        } else {
            send(user)
        }
    }

    func connectionFinished(_ connection: LoadConnection, reusable: Bool) {
        // The common case, without looking the user up: an open connection is always its user's
        // current one, and `retiring` tells whether that user is leaving.
        if reusable && thinkTime == nil && !stopping && !connection.retiring && connection.isOpen && takeRequest() {
            connection.send(endpoint: chooser.next(), intendedNanos: .max)
            return
        }
        guard let user = users[connection.slot], user.connection === connection else { return }
        if user.isLeaving {
            connection.close()
            return
        }
        guard reusable else { return }  // the close that follows reconnects (after thinking)
        if thinkTime == nil {
            send(user)
        } else {
            pause(user, minimumMilliseconds: 0) { [unowned self] in send(user) }
        }
    }

    func connectionClosed(_ connection: LoadConnection) {
        guard let user = users[connection.slot], user.connection === connection else { return }
        user.connection = nil
        switch user.state {
        case .leaving:
            remove(user)
        case .active, .pausing:
            if case .pausing(let task) = user.state { task.cancel() }
            user.state = .active
            if thinkTime != nil {
                // The server closed the connection (after an answer, or while the user was thinking):
                // the user still thinks before its next request.
                pause(user, minimumMilliseconds: 0) { [unowned self] in connect(user) }
            } else {
                connect(user)
            }
        }
    }

    private func retire(_ user: VirtualUser) {
        if case .pausing(let task) = user.state { task.cancel() }
        user.state = .leaving
        user.connection?.retiring = true
        if let connection = user.connection {
            // In flight: connectionFinished closes it. Still connecting: connectionReady does.
            if connection.isOpen && !connection.inFlight { connection.close() }
        } else {
            remove(user)
        }
    }

    private func remove(_ user: VirtualUser) {
        guard users[user.slot] != nil else { return }
        users[user.slot] = nil
        userCount -= 1
        if let index = activeSlots.lastIndex(of: user.slot) { activeSlots.remove(at: index) }
        if user.pendingEndpoint != nil, let remaining = remainingRequests {
            // A request taken but never sent goes back to the share, for a user left waiting to send.
            remainingRequests = remaining + 1
            resumeWaitingUser()
        }
        if stopping && userCount == 0 {
            stopPromise?.succeed(())
            stopPromise = nil
        }
    }

    /// A user that stopped for want of requests (idle, or unconnected) takes one returned to the share.
    private func resumeWaitingUser() {
        guard !stopping else { return }
        for slot in activeSlots {
            guard let user = users[slot], case .active = user.state, user.pendingEndpoint == nil else { continue }
            if let connection = user.connection {
                guard connection.isOpen && !connection.inFlight else { continue }
                send(user)
            } else {
                connect(user)
            }
            return
        }
    }

    func requestShareSettled() -> Bool {
        remainingRequests == 0 && !users.contains { user in
            guard let user else { return false }
            return user.pendingEndpoint != nil || user.connection?.inFlight == true
        }
    }

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
