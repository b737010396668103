#if os(Linux)
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import LoadOpsKit

/// The generator's own event loop for plain HTTP: NIO's scheduling contract (tasks in order, timers
/// by deadline, cancellation, promises completed at shutdown) on its one thread. Its sockets are
/// exercised by every plain-HTTP generator test.
@Suite struct SocketEventLoopTests {
    @Test func tasksRunOnTheLoopInOrder() async throws {
        let loop = try SocketEventLoop()
        let seen = NIOLockedValueBox<[Int]>([])
        #expect(!loop.inEventLoop)
        for index in 0..<100 {
            loop.execute {
                precondition(loop.inEventLoop)
                seen.withLockedValue { $0.append(index) }
            }
        }
        let onLoop = try await loop.submit { loop.inEventLoop }.get()
        #expect(onLoop)
        #expect(seen.withLockedValue { $0 } == Array(0..<100))
        try await loop.shutdownGracefully()
    }

    @Test func timersFireByDeadlineNotBeforeIt() async throws {
        let loop = try SocketEventLoop()
        let fired = NIOLockedValueBox<[(Int, UInt64)]>([])
        let start = NIODeadline.now().uptimeNanoseconds
        // Scheduled out of order, two with the same deadline (those keep their order).
        let delays: [(Int, Int64)] = [(3, 30), (1, 10), (2, 20), (4, 20)]
        let scheduled = delays.map { name, milliseconds in
            loop.scheduleTask(deadline: .uptimeNanoseconds(start + UInt64(milliseconds) * 1_000_000)) {
                fired.withLockedValue { $0.append((name, NIODeadline.now().uptimeNanoseconds)) }
            }
        }
        for task in scheduled { try await task.futureResult.get() }
        let order = fired.withLockedValue { $0 }
        #expect(order.map(\.0) == [1, 2, 4, 3])
        for (name, at) in order {
            let due = start + UInt64(delays.first { $0.0 == name }!.1) * 1_000_000
            #expect(at >= due, "timer \(name) fired \(Int64(due) - Int64(at)) ns early")
        }
        try await loop.shutdownGracefully()
    }

    @Test func aCancelledTimerNeverRunsAndFailsItsPromise() async throws {
        let loop = try SocketEventLoop()
        let ran = NIOLockedValueBox(false)
        let task = loop.scheduleTask(in: .milliseconds(20)) { ran.withLockedValue { $0 = true } }
        task.cancel()
        await #expect(throws: EventLoopError.cancelled) { try await task.futureResult.get() }
        // A later timer fires: the cancelled one's deadline has passed by then.
        try await loop.scheduleTask(in: .milliseconds(40)) {}.futureResult.get()
        #expect(!ran.withLockedValue { $0 })
        try await loop.shutdownGracefully()
    }

    @Test func shutdownFailsTimersStillWaiting() async throws {
        let loop = try SocketEventLoop()
        let task = loop.scheduleTask(in: .seconds(3600)) {}
        // Heard on the loop: a future of a loop that has shut down can no longer be awaited (as with NIO's).
        let failure = NIOLockedValueBox<EventLoopError?>(nil)
        task.futureResult.whenFailure { error in failure.withLockedValue { $0 = error as? EventLoopError } }
        try await loop.shutdownGracefully()
        #expect(failure.withLockedValue { $0 } == .shutdown)
    }

    @Test func aGroupHandsOutItsLoopsInTurn() async throws {
        let group = try SocketEventLoopGroup(loopCount: 2)
        let loops = Array(group.makeIterator())
        #expect(loops.count == 2)
        #expect(group.next() === loops[0])
        #expect(group.next() === loops[1])
        #expect(group.next() === loops[0])
        try await group.shutdownGracefully()
    }
}
#endif
