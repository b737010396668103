import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT and SIGTERM into a stop request, so a run can save what it collected.
/// A second signal exits at once with 130, as Locust does.
public final class InterruptTrap {
    private let sources: [any DispatchSourceSignal]

    public init(stop: StopSignal) {
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if stop.isRequested {
                    exit(ExitStatus.interrupted.rawValue)
                }
                stop.request()
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
