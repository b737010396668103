#if os(Linux)
import CSocketLoop
import Dispatch
import Glibc
import HeapModule
import NIOConcurrencyHelpers
import NIOCore

/// An event loop that offers NIO's scheduling (tasks, timers, promises) and drives plain TCP
/// sockets (`PlainSocket`) itself, with epoll, on one thread.
///
/// Why not NIO's own loop for plain HTTP: a channel's pipeline, write queue and receive buffer cost
/// a small keep-alive request more instructions than the rest of its handling together, and 4 KB of
/// memory per connection. The workers do not know the difference: they see an `EventLoop`.
/// TLS runs keep NIO's loops and NIOSSL.
///
/// One pass of the loop: tasks, then waiting for sockets (until the next timer is due), then the
/// sockets that are ready, then the timers that are due. Everything but `execute`, `scheduleTask`,
/// `Scheduled.cancel` and shutdown happens on the loop's thread.
///
/// Answers that may wait: an open model wakes the loop for each arrival, and waking it once more for
/// each answer doubles what the process spends sleeping and waking (tens of µs a time on a virtual
/// machine, more than the request itself). A loop set up with `deferReads()` keeps its open sockets
/// in a second epoll set, looked at on every pass, which wakes the loop only while a worker asks for
/// it (`letReadsWait(false)`: arrivals queued, the run stopping, the next arrival far off). Answers
/// read late keep their time: the kernel notes when each packet arrived (SO_TIMESTAMPNS).
final class SocketEventLoop: EventLoop, @unchecked Sendable {
    // Shared with other threads, guarded by `lock`.
    private let lock = NIOLock()
    private var tasksFromOtherThreads: [() -> Void] = []
    private var wakeUpPending = false
    private var shutdownCallbacks: [(DispatchQueue, @Sendable (Error?) -> Void)] = []
    private var shutdownRequested = false
    /// The thread has ended: nothing queued from now on would run.
    private var threadEnded = false

    // Set before the loop is handed out; read-only afterwards.
    private let epoll: Int32
    private let wakeUpFD: Int32
    private var thread = pthread_t()
    private let started = ConditionLock(value: false)

    // Touched only on the loop's thread.
    private var tasks: [() -> Void] = []
    private var timers = Heap<TimerEntry>()
    private var timersScheduled: UInt64 = 0
    /// Set once the loop has started shutting down: timers scheduled from then on fail at once.
    private var shutdownStarted = false
    private var sockets: [PlainSocket?] = []
    private var freeTokens: [Int] = []
    /// Tokens of sockets closed while a batch of events is handled: an event of that batch may still
    /// name them, so they are reused only after it.
    private var releasedTokens: [Int] = []
    /// The loop's one read buffer: answers are handled as they are read, so no socket keeps its own.
    var readBuffer: ByteBuffer
    /// With `deferReads()`: the epoll set of the open sockets whose answers may wait, -1 without.
    private var deferredEpoll: Int32 = -1
    /// Whether `deferredEpoll` is watched by `epoll`, so that its sockets wake the loop.
    private var deferredWakesLoop = true
    /// Sockets open their descriptors for timed reads and move to the deferred set once connected.
    private(set) var defersReads = false

    private static let wakeUpToken = UInt64.max
    private static let deferredToken = UInt64.max - 1
    static let readBufferSize = 64 * 1024

    /// Starts the loop's thread. Throws when the system gives no epoll instance or thread.
    init() throws(SocketEventLoopError) {
        epoll = csl_epoll_create()
        guard epoll >= 0 else { throw .noEventLoop(errno: errno) }
        wakeUpFD = csl_eventfd()
        guard wakeUpFD >= 0 else {
            let code = errno
            Glibc.close(epoll)
            throw .noEventLoop(errno: code)
        }
        readBuffer = ByteBufferAllocator().buffer(capacity: Self.readBufferSize)
        _ = csl_epoll_watch(epoll, wakeUpFD, 1, 0, Self.wakeUpToken)
        // The thread holds the loop until it ends. It records its own id before anything can ask
        // `inEventLoop`: the loop is handed out only once the thread has started.
        let retained = Unmanaged.passRetained(self).toOpaque()
        var created = pthread_t()
        let result = pthread_create(&created, nil, { argument in
            guard let argument else { return nil }
            let loop = Unmanaged<SocketEventLoop>.fromOpaque(argument).takeRetainedValue()
            loop.thread = pthread_self()
            // Named for `top -H` and perf: otherwise it inherits the name of whichever thread started it.
            csl_name_thread("loadops-loop")
            loop.started.lock()
            loop.started.unlock(withValue: true)
            loop.run()
            return nil
        }, retained)
        guard result == 0 else {
            Unmanaged<SocketEventLoop>.fromOpaque(retained).release()
            Glibc.close(wakeUpFD)
            Glibc.close(epoll)
            throw .noEventLoop(errno: result)
        }
        pthread_detach(created)
        started.lock(whenValue: true)
        started.unlock()
    }

    // MARK: EventLoop

    var inEventLoop: Bool { pthread_equal(pthread_self(), thread) != 0 }

    func execute(_ task: @escaping @Sendable () -> Void) {
        enqueue(task)
    }

    func _executeIsolatedUnsafeUnchecked(_ task: @escaping () -> Void) {
        enqueue(task)
    }

    private func enqueue(_ task: @escaping () -> Void) {
        if inEventLoop {
            tasks.append(task)
            return
        }
        let wakeUp = lock.withLock { () -> Bool in
            tasksFromOtherThreads.append(task)
            defer { wakeUpPending = true }
            return !wakeUpPending
        }
        if wakeUp { wake() }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeUpFD, &one, MemoryLayout<UInt64>.size)
    }

    func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        schedule(deadline: deadline, task)
    }

    func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        schedule(deadline: .now() + delay, task)
    }

    func _scheduleTaskIsolatedUnsafeUnchecked<T>(deadline: NIODeadline, _ task: @escaping () throws -> T) -> Scheduled<T> {
        schedule(deadline: deadline, task)
    }

    func _scheduleTaskIsolatedUnsafeUnchecked<T>(in delay: TimeAmount, _ task: @escaping () throws -> T) -> Scheduled<T> {
        schedule(deadline: .now() + delay, task)
    }

    private func schedule<T>(deadline: NIODeadline, _ task: @escaping () throws -> T) -> Scheduled<T> {
        let promise: EventLoopPromise<T> = makePromise()
        let timer = LoopTimer(
            run: {
                do {
                    promise.assumeIsolatedUnsafeUnchecked().succeed(try task())
                } catch {
                    promise.fail(error)
                }
            },
            fail: { error in promise.fail(error) })
        let due = deadline.uptimeNanoseconds
        if inEventLoop {
            addTimer(timer, due: due)
        } else {
            enqueue { [self] in addTimer(timer, due: due) }
        }
        return Scheduled(promise: promise, cancellationTask: { [self] in
            if inEventLoop {
                timer.cancel()
            } else {
                enqueue { timer.cancel() }
            }
        })
    }

    /// Runs `body` on the loop once `due` (uptime nanoseconds) has come, unless the returned timer is
    /// cancelled first. Call on the loop. Unlike `scheduleTask` it makes no promise (nor the generic
    /// metadata lookups one costs): for work that sets a timer per request.
    func runAt(uptimeNanos due: UInt64, _ body: @escaping () -> Void) -> LoopTimer {
        let timer = LoopTimer(run: body, fail: { _ in })
        addTimer(timer, due: due)
        return timer
    }

    private func addTimer(_ timer: LoopTimer, due: UInt64) {
        if shutdownStarted {
            timer.fail(EventLoopError.shutdown)
            return
        }
        timersScheduled &+= 1
        timers.insert(TimerEntry(due: due, order: timersScheduled, timer: timer))
    }

    func preconditionInEventLoop(file: StaticString, line: UInt) {
        precondition(inEventLoop, "not on the socket event loop", file: file, line: line)
    }

    func preconditionNotInEventLoop(file: StaticString, line: UInt) {
        precondition(!inEventLoop, "on the socket event loop", file: file, line: line)
    }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable (Error?) -> Void) {
        let alreadyEnded = lock.withLock { () -> Bool in
            if threadEnded { return true }
            shutdownCallbacks.append((queue, callback))
            shutdownRequested = true
            return false
        }
        if alreadyEnded {
            queue.async { callback(nil) }
        } else {
            wake()
        }
    }

    // MARK: sockets

    /// Watches `fd` for reading (and writing, with `writable`) on behalf of `socket`; returns its token.
    func register(_ socket: PlainSocket, fd: Int32, writable: Bool) -> Int32 {
        let token: Int
        if let free = freeTokens.popLast() {
            token = free
            sockets[token] = socket
        } else {
            token = sockets.count
            sockets.append(socket)
        }
        guard csl_epoll_watch(epoll, fd, 1, writable ? 1 : 0, UInt64(token)) == 0 else {
            let code = errno
            sockets[token] = nil
            freeTokens.append(token)
            return -code
        }
        return Int32(token)
    }

    /// Changes whether the socket is also watched for writing.
    func watch(fd: Int32, token: Int32, writable: Bool) {
        _ = csl_epoll_watch(epoll, fd, 0, writable ? 1 : 0, UInt64(token))
    }

    /// From now on, this loop's open sockets go to a set whose answers may wait for the loop's next
    /// pass (see the type's comment); until `letReadsWait(true)`, they still wake it. Without a second
    /// epoll instance, reads stay as they are.
    func deferReads() {
        guard !defersReads else { return }
        let set = csl_epoll_create()
        guard set >= 0 else { return }
        guard csl_epoll_watch(epoll, set, 1, 0, Self.deferredToken) == 0 else {
            Glibc.close(set)
            return
        }
        deferredEpoll = set
        deferredWakesLoop = true
        defersReads = true
    }

    /// Whether answers in the deferred set may wait for the loop's next pass instead of waking it.
    func letReadsWait(_ wait: Bool) {
        guard defersReads, deferredWakesLoop == wait else { return }
        if wait {
            _ = csl_epoll_unwatch(epoll, deferredEpoll)
        } else {
            _ = csl_epoll_watch(epoll, deferredEpoll, 1, 0, Self.deferredToken)
        }
        deferredWakesLoop = !wait
    }

    /// Moves an open socket into the deferred set (`deferred`) or back to the one that wakes the loop.
    func move(fd: Int32, token: Int32, deferred: Bool, writable: Bool) {
        guard defersReads else { return }
        _ = csl_epoll_unwatch(deferred ? epoll : deferredEpoll, fd)
        _ = csl_epoll_watch(deferred ? deferredEpoll : epoll, fd, 1, writable ? 1 : 0, UInt64(token))
    }

    /// Forgets a socket whose descriptor was closed (which took it out of epoll).
    func unregister(token: Int32) {
        sockets[Int(token)] = nil
        releasedTokens.append(Int(token))
    }

    // MARK: the loop

    private func run() {
        let capacity = 256
        var tokens = [UInt64](repeating: 0, count: capacity)
        var flags = [UInt32](repeating: 0, count: capacity)
        while true {
            if runTasks() { break }
            var timeout: Int64 = -1
            if !tasks.isEmpty {
                timeout = 0
            } else if let next = timers.min {
                let now = NIODeadline.now().uptimeNanoseconds
                timeout = next.due > now ? Int64(next.due - now) : 0
            }
            var deferredReady = false
            var count = wait(epoll, timeout: timeout, tokens: &tokens, flags: &flags)
            for index in 0..<Int(max(count, 0)) {
                let token = tokens[index]
                if token == Self.wakeUpToken {
                    var value: UInt64 = 0
                    _ = read(wakeUpFD, &value, MemoryLayout<UInt64>.size)
                } else if token == Self.deferredToken {
                    deferredReady = true
                } else {
                    sockets[Int(token)]?.handle(flags[index])
                }
            }
            // Answers that waited are read before the timers run: an arrival due now finds their
            // connections free. A few rounds at most, so that busy sockets cannot hold up the timers.
            if defersReads && (deferredReady || !deferredWakesLoop) {
                var rounds = 0
                repeat {
                    count = wait(deferredEpoll, timeout: 0, tokens: &tokens, flags: &flags)
                    for index in 0..<Int(max(count, 0)) {
                        sockets[Int(tokens[index])]?.handle(flags[index])
                    }
                    rounds += 1
                } while count == Int32(capacity) && rounds < 4
            }
            if !releasedTokens.isEmpty {
                freeTokens.append(contentsOf: releasedTokens)
                releasedTokens.removeAll(keepingCapacity: true)
            }
            runDueTimers()
        }
        shutDown()
    }

    private func wait(_ set: Int32, timeout: Int64, tokens: inout [UInt64], flags: inout [UInt32]) -> Int32 {
        let capacity = Int32(min(tokens.count, flags.count))
        return tokens.withUnsafeMutableBufferPointer { tokens in
            flags.withUnsafeMutableBufferPointer { flags in
                csl_epoll_wait(set, tokens.baseAddress, flags.baseAddress, capacity, timeout)
            }
        }
    }

    /// Runs the tasks queued so far; returns whether a shutdown was asked for (read under the same
    /// lock as the other threads' tasks, so one pass of the loop takes it once).
    @discardableResult
    private func runTasks() -> Bool {
        let (fromOthers, shutdown) = lock.withLock { () -> ([() -> Void], Bool) in
            wakeUpPending = false
            defer { tasksFromOtherThreads.removeAll() }
            return (tasksFromOtherThreads, shutdownRequested)
        }
        for task in fromOthers { task() }
        // Tasks may add tasks; a bounded number of rounds keeps sockets and timers from starving.
        var rounds = 0
        while !tasks.isEmpty && rounds < 16 {
            let batch = tasks
            tasks.removeAll(keepingCapacity: true)
            for task in batch { task() }
            rounds += 1
        }
        return shutdown
    }

    private func runDueTimers() {
        guard let first = timers.min else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        guard first.due <= now else { return }
        while let next = timers.min, next.due <= now {
            _ = timers.popMin()
            next.timer.fire()
        }
    }

    /// Closes what is left, fails what was promised, and tells whoever asked for the shutdown.
    private func shutDown() {
        shutdownStarted = true
        for case let socket? in sockets { socket.close() }
        runTasks()
        while let entry = timers.popMin() { entry.timer.fail(EventLoopError.shutdown) }
        let (callbacks, late) = lock.withLock { () -> ([(DispatchQueue, @Sendable (Error?) -> Void)], [() -> Void]) in
            threadEnded = true
            defer {
                shutdownCallbacks.removeAll()
                tasksFromOtherThreads.removeAll()
            }
            return (shutdownCallbacks, tasksFromOtherThreads)
        }
        // Tasks that arrived during the shutdown still run (they may complete promises), on this thread.
        for task in late { task() }
        for task in tasks { task() }
        tasks.removeAll()
        Glibc.close(wakeUpFD)
        if deferredEpoll >= 0 { Glibc.close(deferredEpoll) }
        Glibc.close(epoll)
        for (queue, callback) in callbacks { queue.async { callback(nil) } }
    }
}

/// A timer of `SocketEventLoop`: fires once, or is cancelled or failed before.
final class LoopTimer {
    private var run: (() -> Void)?
    private var failure: ((Error) -> Void)?

    init(run: @escaping () -> Void, fail: @escaping (Error) -> Void) {
        self.run = run
        self.failure = fail
    }

    func fire() {
        guard let run else { return }
        self.run = nil
        failure = nil
        run()
    }

    func cancel() { fail(EventLoopError.cancelled) }

    func fail(_ error: Error) {
        guard let failure else { return }
        run = nil
        self.failure = nil
        failure(error)
    }
}

extension LoopTimer: @unchecked Sendable {}  // touched only on its loop's thread

private struct TimerEntry: Comparable {
    var due: UInt64
    /// Timers due at the same time fire in the order they were scheduled.
    var order: UInt64
    var timer: LoopTimer

    static func < (lhs: TimerEntry, rhs: TimerEntry) -> Bool {
        lhs.due != rhs.due ? lhs.due < rhs.due : lhs.order < rhs.order
    }

    static func == (lhs: TimerEntry, rhs: TimerEntry) -> Bool {
        lhs.due == rhs.due && lhs.order == rhs.order
    }
}

/// The socket event loops of one run: `next()` hands them out in turn.
final class SocketEventLoopGroup: EventLoopGroup, @unchecked Sendable {
    private let loops: [SocketEventLoop]
    private let counter = NIOLockedValueBox(0)

    init(loopCount: Int) throws(SocketEventLoopError) {
        var loops: [SocketEventLoop] = []
        for _ in 0..<max(1, loopCount) { loops.append(try SocketEventLoop()) }
        self.loops = loops
    }

    func next() -> EventLoop {
        let index = counter.withLockedValue { value -> Int in
            defer { value += 1 }
            return value % loops.count
        }
        return loops[index]
    }

    func makeIterator() -> EventLoopIterator {
        EventLoopIterator(loops.map { $0 as EventLoop })
    }

    func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable (Error?) -> Void) {
        let group = DispatchGroup()
        for loop in loops {
            group.enter()
            loop.shutdownGracefully(queue: queue) { _ in group.leave() }
        }
        group.notify(queue: queue) { callback(nil) }
    }
}

enum SocketEventLoopError: Error, CustomStringConvertible {
    case noEventLoop(errno: Int32)

    var description: String {
        switch self {
        case .noEventLoop(let code):
            return "could not start an event loop: \(String(cString: strerror(code)))"
        }
    }
}
#endif
