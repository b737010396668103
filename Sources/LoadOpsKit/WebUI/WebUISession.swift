import Foundation
import Synchronization

/// What `loadops ui` was asked to do besides serving: the settings of every run it starts, as
/// `loadops run` takes them from its flags.
public struct WebUISettings: Sendable {
    public var address: ListenAddress
    public var configPath: String?
    public var environment: [String: String]
    public var workingDirectory: String
    /// The history database; nil records nothing.
    public var databasePath: String?
    public var baseline: String?
    public var tolerance: ComparisonTolerance
    public var threads: Int?

    public init(address: ListenAddress, configPath: String?, environment: [String: String], workingDirectory: String,
                databasePath: String? = HistoryDefaults.databasePath, baseline: String? = nil,
                tolerance: ComparisonTolerance = ComparisonTolerance(), threads: Int? = nil) {
        self.address = address
        self.configPath = configPath
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.databasePath = databasePath
        self.baseline = baseline
        self.tolerance = tolerance
        self.threads = threads
    }
}

/// The web UI's one run at a time. A run started here is a `loadops run`: the same `RunPipeline`
/// with a `RunRequest` (allowlist, results files, history, thresholds, comparison, summary), plus an
/// observer that keeps what the page shows and a `LoadControl` for the users or rate changed while
/// it runs.
final class WebUISession: Sendable {
    enum Phase: String, Sendable, Codable {
        case idle, starting, running, finishing, finished, failed
    }

    enum Answer: Equatable {
        case done
        /// 409: another run is under way, or none is.
        case conflict(String)
        /// 400: the value cannot be used.
        case invalid(String)
    }

    /// A change made while the load ran, as the page and the log list it.
    struct LoadChange: Sendable {
        var elapsed: Double
        var text: String
    }

    /// The run under way (or the last one), as far as the page needs it.
    struct LiveRun: Sendable {
        var number: Int
        var stop: StopSignal
        var control: LoadControl
        var console: RunConsole
        var model: LoadModel?
        var host = ""
        var endpoints: [EndpointKey] = []
        var startedAt: Date?
        /// One entry per second, without the per-endpoint figures (`latest` and `previous` keep those).
        var seconds: [SecondSnapshot] = []
        var latest: SecondSnapshot?
        var previous: SecondSnapshot?
        /// The warning signs that hold now, by key, in the order they started.
        var warnings: [(key: String, message: String)] = []
        /// Every warning sign of the run, with when it started and (once cleared) ended.
        var warningSpans: [(key: String, message: String, start: Double, end: Double?)] = []
        var changes: [LoadChange] = []
        var abortRule: String?
        /// The generator reads `control` (another engine, such as Locust, does not).
        var controllable = false
    }

    private struct State {
        var phase = Phase.idle
        var runs = 0
        var live: LiveRun?
        var report: RunReport?
        var error: String?
        var task: Task<Void, Never>?
    }

    let settings: WebUISettings
    private let state = Mutex(State())
    /// Called (off the lock) when the phase changes, so the page hears of it without waiting a second.
    private let changed: @Sendable () -> Void

    init(settings: WebUISettings, changed: @escaping @Sendable () -> Void = {}) {
        self.settings = settings
        self.changed = changed
    }

    // MARK: Start, stop, change

    /// Starts a run with the form's settings over loadops.yml's; a conflict while one is under way.
    func start(_ form: WebUIStartForm) -> Answer {
        let overrides: ConfigOverrides
        do {
            overrides = try form.overrides()
        } catch {
            return .invalid(String(describing: error))
        }
        let stop = StopSignal()
        let control = LoadControl()
        let console = RunConsole(quiet: false)
        var request = RunRequest(configPath: settings.configPath, overrides: overrides, environment: settings.environment,
                                 workingDirectory: settings.workingDirectory, threads: settings.threads,
                                 databasePath: settings.databasePath, baseline: settings.baseline, tolerance: settings.tolerance)
        let answer: Answer = state.withLock { state in
            if [.starting, .running, .finishing].contains(state.phase) {
                return .conflict("a run is under way: stop it first (one run at a time)")
            }
            state.runs += 1
            let number = state.runs
            request.sender = ControlledLoadSender(control: control) { [weak self] in
                self?.update(run: number) { $0.live?.controllable = true }
            }
            request.observers = [WebUIRunObserver(session: self, run: number)]
            request.watchEvents = { [weak self] event in self?.watched(event, run: number) }
            state.phase = .starting
            state.live = LiveRun(number: number, stop: stop, control: control, console: console)
            state.report = nil
            state.error = nil
            let pipelineRequest = request
            state.task = Task { [self] in await execute(pipelineRequest, console: console, stop: stop, run: number) }
            return .done
        }
        changed()
        return answer
    }

    /// Asks the run under way to stop: it ends as Ctrl-C ends `loadops run`, with its results saved.
    func stop() -> Answer {
        let answer: Answer = state.withLock { state in
            guard let live = state.live, [.starting, .running].contains(state.phase) else {
                return .conflict("no run is under way")
            }
            live.stop.request(.signal(WebUISession.stopButton))
            return .done
        }
        changed()
        return answer
    }

    /// How a run stopped from the page reads in its results: `interrupted by the web UI's Stop button`.
    static let stopButton = "the web UI's Stop button"

    /// Closed model: the users from now on; open model: the total rate (`100/s`, `3005/min`).
    func change(_ form: WebUIChangeForm) -> Answer {
        let (answer, logged): (Answer, (console: RunConsole, line: String)?) = state.withLock { state in
            guard state.phase == .running, var live = state.live, let model = live.model else {
                return (.conflict("no run is under way"), nil)
            }
            guard live.controllable else {
                return (.conflict("this run's load cannot be changed while it runs (the Locust engine sends it)"), nil)
            }
            let elapsed = live.latest?.elapsed ?? 0
            let text: String
            do {
                switch model {
                case .closed:
                    let users = try form.userCount()
                    live.control.setUsers(users)
                    text = "users set to \(users)"
                case .open:
                    let rate = try form.perSecondRate()
                    live.control.setRate(rate)
                    text = "rate set to \(RateParser.format(rate))"
                }
            } catch {
                return (.invalid(String(describing: error)), nil)
            }
            live.changes.append(LoadChange(elapsed: elapsed, text: text))
            state.live = live
            return (.done, (live.console, "\(text) from the web UI at \(ReportNumber.clock(elapsed, rounding: .down))"))
        }
        if let logged {
            // The log keeps the change beside the run's other lines.
            logged.console.line(logged.line)
            changed()
        }
        return answer
    }

    /// Stops the run under way (the process is ending) and waits until its results are written;
    /// true when there was one.
    func shutdown(reason: StopReason) async -> Bool {
        let (task, active): (Task<Void, Never>?, Bool) = state.withLock { state in
            state.live?.stop.request(reason)
            return (state.task, [.starting, .running, .finishing].contains(state.phase))
        }
        await task?.value
        return active
    }

    // MARK: The run

    private func execute(_ request: RunRequest, console: RunConsole, stop: StopSignal, run: Int) async {
        do {
            let report = try await RunPipeline.run(request, console: console, stop: stop)
            update(run: run) { state in
                state.phase = .finished
                state.report = report
            }
        } catch {
            console.errorLine("loadops ui: error: \(error)")
            update(run: run) { state in
                state.phase = .failed
                state.error = String(describing: error)
            }
        }
        console.closeLog()
        changed()
    }

    /// Changes the state if `run` is still the current one.
    private func update(run: Int, _ change: (inout State) -> Void) {
        state.withLock { state in
            guard state.live?.number == run else { return }
            change(&state)
        }
    }

    func started(plan: LoadPlan, run: Int) {
        update(run: run) { state in
            state.phase = .running
            state.live?.model = plan.load.model
            state.live?.host = plan.target.displayURL
            state.live?.endpoints = plan.requestEndpoints.map { EndpointKey(method: $0.method, name: $0.name) }
            state.live?.startedAt = Date()
        }
        changed()
    }

    func progressed(_ second: SecondSnapshot, run: Int) {
        update(run: run) { state in
            var kept = second
            kept.endpoints = []
            guard var live = state.live else { return }
            live.seconds.append(kept)
            live.previous = live.latest
            live.latest = second
            state.live = live
        }
    }

    func ended(run: Int) {
        update(run: run) { state in
            if state.phase == .running || state.phase == .starting { state.phase = .finishing }
        }
        changed()
    }

    private func watched(_ event: WatchEvent, run: Int) {
        update(run: run) { state in
            guard var live = state.live else { return }
            let elapsed = live.latest?.elapsed ?? 0
            switch event {
            case .warningStarted(let key, let message):
                live.warnings.append((key, message))
                live.warningSpans.append((key, message, elapsed, nil))
            case .warningCleared(let key, _):
                live.warnings.removeAll { $0.key == key }
                if let index = live.warningSpans.lastIndex(where: { $0.key == key && $0.end == nil }) {
                    live.warningSpans[index].end = elapsed
                }
            case .aborted(let rule):
                live.abortRule = rule
            }
            state.live = live
        }
    }

    // MARK: What the page shows

    /// Everything the page needs now, read under the lock once.
    func view() -> WebUIView {
        let (phase, live, report, error) = state.withLock { state in (state.phase, state.live, state.report, state.error) }
        return WebUIView.make(phase: phase, live: live, report: report, error: error)
    }

    /// The folder and files of the last finished run, for the page's links.
    var finishedFiles: (folder: String, files: [String])? {
        state.withLock { state in state.report.map { ($0.outputFolder, $0.files) } }
    }
}

/// Hands the observer's calls to the session, tagged with the run they belong to.
private final class WebUIRunObserver: RunObserver {
    let session: WebUISession
    let run: Int

    init(session: WebUISession, run: Int) {
        self.session = session
        self.run = run
    }

    func runStarted(plan: LoadPlan, stop: StopSignal) { session.started(plan: plan, run: run) }
    func runProgressed(_ second: SecondSnapshot, stop: StopSignal) { session.progressed(second, run: run) }
    func runEnded(_ outcome: GeneratorOutcome) { session.ended(run: run) }
}

/// The real generator, with the page's users and rate changes.
private struct ControlledLoadSender: LoadSender {
    let control: LoadControl
    /// Told when the generator takes the control, before the load starts.
    let attached: @Sendable () -> Void

    func send(plan: LoadPlan, stop: StopSignal, observers: [any RunObserver]) async throws -> GeneratorOutcome {
        var plan = plan
        plan.control = control
        attached()
        return try await LoadGenerator.run(plan: plan, stop: stop, observers: observers)
    }
}
