/// Something that watches a run of the generator: the start, one snapshot a second, the end. An
/// observer may stop the run, with its reason, through the `StopSignal` it is handed (an abort
/// rule: `stop.request(.aborted(rule: "…"))`). The console and its log are one; monitoring,
/// a Prometheus endpoint or a web UI are others.
///
/// Calls come from the generator's coordinating task, one at a time and in order; an observer must
/// return quickly (hand slow work to a task of its own), since the next snapshot waits for it.
public protocol RunObserver: AnyObject, Sendable {
    func runStarted(plan: LoadPlan, stop: StopSignal)
    func runProgressed(_ second: SecondSnapshot, stop: StopSignal)
    func runEnded(_ outcome: GeneratorOutcome)
}

extension RunObserver {
    public func runStarted(plan: LoadPlan, stop: StopSignal) {}
    public func runProgressed(_ second: SecondSnapshot, stop: StopSignal) {}
    public func runEnded(_ outcome: GeneratorOutcome) {}
}

/// What sends a run's load: `LoadGenerator` (SwiftNIO) in every real run; tests of the pipeline's
/// own decisions hand it a stand-in that returns a prepared outcome.
public protocol LoadSender: Sendable {
    func send(plan: LoadPlan, stop: StopSignal, observers: [any RunObserver]) async throws -> GeneratorOutcome
}

/// The real generator as a `LoadSender`.
public struct NIOLoadSender: LoadSender {
    public init() {}

    public func send(plan: LoadPlan, stop: StopSignal, observers: [any RunObserver]) async throws -> GeneratorOutcome {
        try await LoadGenerator.run(plan: plan, stop: stop, observers: observers)
    }
}
