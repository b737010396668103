import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT and SIGTERM into a stop request, so a run can save what it collected.
/// A second signal exits at once with 130, as Locust does. Either way no checklist command is
/// left running: they run in process groups of their own, which a terminal's Ctrl-C does not reach.
public final class InterruptTrap {
    private let sources: [any DispatchSourceSignal]

    /// `stop`: the first signal asks it and the second exits. Without one the first signal exits
    /// (`preflight`, `cleanup`: nothing to save, but their commands must end with them).
    public init(stop: StopSignal?) {
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                guard let stop, !stop.isRequested else {
                    RunningCommandGroups.killAll()
                    exit(ExitStatus.interrupted.rawValue)
                }
                stop.request(.signal(signalNumber == SIGINT ? "SIGINT" : "SIGTERM"))
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Restores the default handlers.
    public func remove() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}

/// The process groups of the checklist commands running now (`ShellCommand`), so that loadops
/// exiting on an interrupt takes them along.
enum RunningCommandGroups {
    private static let groups = Mutex<Set<pid_t>>([])

    static func add(_ group: pid_t) { groups.withLock { _ = $0.insert(group) } }

    static func remove(_ group: pid_t) { groups.withLock { _ = $0.remove(group) } }

    /// SIGKILL to every group: the user asked to stop now.
    static func killAll() {
        for group in groups.withLock({ $0 }) { kill(-group, SIGKILL) }
    }
}
