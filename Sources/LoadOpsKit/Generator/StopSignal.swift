import Synchronization

/// Why a run's load stopped.
public enum StopReason: Sendable, Equatable {
    /// The closed model ran its planned duration (or its stages).
    case durationReached
    /// The open model sent every arrival of its schedule.
    case allArrivalsSent
    /// `load.requests` requests were answered or failed.
    case requestsReached(Int)
    /// SIGINT or SIGTERM (`"SIGINT"`).
    case signal(String)
    /// An observer's rule asked the run to stop; `rule` says which, as people read it.
    case aborted(rule: String)

    /// The run's status for this reason: a signal interrupts, a rule aborts, the rest completes.
    public var status: RunStatus {
        switch self {
        case .durationReached, .allArrivalsSent, .requestsReached: return .completed
        case .signal: return .interrupted
        case .aborted: return .aborted
        }
    }

    /// `duration reached`, `interrupted by SIGINT`, `aborted: error_rate > 50% for 10 s`.
    public var text: String {
        switch self {
        case .durationReached: return "duration reached"
        case .allArrivalsSent: return "all arrivals sent"
        case .requestsReached(let count): return "\(count) requests reached"
        case .signal(let name): return "interrupted by \(name)"
        case .aborted(let rule): return "aborted: \(rule)"
        }
    }
}

/// Asks a running generator to stop early, with a reason (a signal, an abort rule). The first
/// reason given is the one kept.
public final class StopSignal: Sendable {
    private let requested = Mutex<StopReason?>(nil)

    public init() {}

    public func request(_ reason: StopReason) {
        requested.withLock { current in
            if current == nil { current = reason }
        }
    }

    public var isRequested: Bool { requested.withLock { $0 != nil } }

    /// Why the stop was asked for; nil while nobody asked.
    public var reason: StopReason? { requested.withLock { $0 } }
}
