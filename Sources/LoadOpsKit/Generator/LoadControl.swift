import Synchronization

/// Changes to a load while it runs, asked from outside the run (the web UI's users and rate fields).
/// The generator's coordinator reads it every 50 ms: a user count replaces the plan's for the rest
/// of the run (closed model, reached at the spawn rate, as Locust does), and a total rate replaces
/// the schedule's from the moment it is read (open model: arrivals already due keep their times).
public final class LoadControl: Sendable {
    private struct State {
        var users: Int?
        var pendingRate: Double?
    }

    private let state = Mutex(State())

    public init() {}

    /// Closed model: run this many users from now on.
    public func setUsers(_ users: Int) {
        state.withLock { $0.users = users }
    }

    /// Open model: send this many requests per second in all from now on.
    public func setRate(_ perSecond: Double) {
        state.withLock { $0.pendingRate = perSecond }
    }

    /// The user count asked for; nil while the plan's holds.
    var users: Int? { state.withLock { $0.users } }

    /// A rate asked for since the last call, handed out once.
    func takeRate() -> Double? {
        state.withLock { state in
            defer { state.pendingRate = nil }
            return state.pendingRate
        }
    }
}
