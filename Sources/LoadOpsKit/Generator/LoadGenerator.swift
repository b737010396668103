import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// What the generator needs to run: where, what, how hard, and with which credentials.
public struct LoadPlan: Sendable {
    public var target: TargetAddress
    public var endpoints: [EndpointConfig]
    public var load: LoadSettings
    /// `Authorization` header values, rotated across users/connections; empty for none.
    public var authorizations: [String]
    public var insecure: Bool
    /// Event loop threads; see `defaultThreads` for the default.
    public var threads: Int
    /// Follow redirects within the target (`RedirectPolicy`).
    public var followRedirects = true
    /// Hosts besides loopback the configuration allows: a redirect anywhere else is a failure naming it.
    public var allowHosts: [String] = []
    /// Users or rate changed while the load runs (the web UI); nil keeps to the plan.
    public var control: LoadControl?
    /// User flows, run beside `endpoints` (each endpoint then runs as a flow of one unreported step).
    public var flows: [FlowConfig]

    public init(target: TargetAddress, endpoints: [EndpointConfig], flows: [FlowConfig] = [], load: LoadSettings,
                authorizations: [String] = [], insecure: Bool = false, threads: Int? = nil) {
        self.target = target
        self.endpoints = endpoints
        self.flows = flows
        self.load = load
        self.authorizations = authorizations
        self.insecure = insecure
        let threads = max(1, threads ?? Self.defaultThreads(load: load, endpoints: endpoints, flows: flows, cores: System.coreCount))
        // Every loop holds at least one connection, so the open model's cap bounds the loop count too.
        self.threads = load.model == .open ? min(threads, max(1, load.maxConnections)) : threads
    }

    /// Event loops when none are asked for: one per 256 users (open model: per 50,000 requests/s),
    /// at most one per core. One loop keeps a few hundred busy connections going at over 100,000
    /// requests/s; spreading fewer over more loops only adds wake-ups (50 connections to a server
    /// on loopback, 2 cores: one loop does about 10% more requests per CPU-second than two, and
    /// leaves the other core to the server). See BENCHMARKS.md.
    public static func defaultThreads(load: LoadSettings, endpoints: [EndpointConfig], flows: [FlowConfig] = [],
                                      cores: Int) -> Int {
        let peakStage = load.stages.map(\.target).max()
        let needed: Double
        switch load.model {
        case .closed:
            needed = (peakStage ?? Double(load.users)) / 256
        case .open:
            // A flow's iteration is several requests.
            let stepsPerArrival = flows.isEmpty ? 1 : Double(endpoints.count + flows.reduce(0) { $0 + $1.steps.count })
                / Double(max(endpoints.count + flows.count, 1))
            needed = (peakStage ?? arrivalRates(endpoints: endpoints, flows: flows, load: load).reduce(0, +)) * stepsPerArrival / 50_000
        }
        let cap = max(1, cores)
        // Clamped before converting: a configuration can ask for any number of users.
        guard needed.isFinite else { return cap }
        return max(1, Int(min(max(needed.rounded(.up), 1), Double(cap))))
    }

    /// Open model: the arrival schedule (total rate from stages, or the endpoints' rates).
    public func arrivalSchedule() throws(GeneratorError) -> ArrivalRateSchedule {
        if !load.stages.isEmpty {
            return ArrivalRateSchedule(rate: 0, duration: 0, stages: load.stages)
        }
        let rate = Self.arrivalRates(endpoints: endpoints, flows: flows, load: load).reduce(0, +)
        guard rate > 0 else { throw .noRate }
        return ArrivalRateSchedule(rate: rate, duration: load.duration)
    }

    /// Open model: requests per second of each endpoint. An endpoint's own rate is its rate; `load.rate`
    /// is shared among the endpoints without one, in proportion to their weights. With stages, these
    /// are the endpoints' shares of the stage's rate (by weight when no endpoint has a rate).
    public static func openModelRates(endpoints: [EndpointConfig], load: LoadSettings) -> [Double] {
        sharedRates(endpoints.map { ($0.weight, $0.rate) }, load: load)
    }

    /// Open model with flows: arrivals per second of each endpoint, then of each flow (a flow's arrival
    /// is an iteration), shared as `openModelRates` shares them.
    public static func arrivalRates(endpoints: [EndpointConfig], flows: [FlowConfig], load: LoadSettings) -> [Double] {
        sharedRates(endpoints.map { ($0.weight, $0.rate) } + flows.map { ($0.weight, $0.rate) }, load: load)
    }

    private static func sharedRates(_ items: [(weight: Double, rate: Double?)], load: LoadSettings) -> [Double] {
        let sharedWeight = items.filter { $0.rate == nil }.reduce(0) { $0 + max($1.weight, 0) }
        let shared = load.rate ?? 0
        let rates = items.map { item -> Double in
            if let rate = item.rate { return rate }
            guard sharedWeight > 0 else { return 0 }
            return shared * max(item.weight, 0) / sharedWeight
        }
        if rates.reduce(0, +) > 0 { return rates }
        // No rate anywhere (stages give the total): the weights decide the shares.
        return load.stages.isEmpty ? rates : items.map { max($0.weight, 0) }
    }

    /// Open model without stages: the requests per second the run aims at, its flows' iterations
    /// counted as their steps' requests.
    public static func plannedRequestRate(endpoints: [EndpointConfig], flows: [FlowConfig], load: LoadSettings) -> Double {
        requestsPerSecond(arrivalRates(endpoints: endpoints, flows: flows, load: load), endpoints: endpoints, flows: flows)
    }

    /// Open model: requests per arrival on average (1 without flows; a flow's arrival is its steps).
    var requestsPerArrival: Double {
        guard !flows.isEmpty else { return 1 }
        let shares = Self.arrivalRates(endpoints: endpoints, flows: flows, load: load)
        let total = shares.reduce(0, +)
        guard total > 0 else { return 1 }
        return Self.requestsPerSecond(shares, endpoints: endpoints, flows: flows) / total
    }

    /// Arrivals per second (endpoints first, then flows) as requests per second: a flow's arrival is its steps.
    private static func requestsPerSecond(_ arrivals: [Double], endpoints: [EndpointConfig], flows: [FlowConfig]) -> Double {
        let requestsPerArrival = endpoints.map { _ in 1 } + flows.map(\.steps.count)
        return zip(arrivals, requestsPerArrival).reduce(0) { $0 + $1.0 * Double($1.1) }
    }

    /// Every request the run can send, as the reports count them: the endpoints, then each flow's
    /// steps in order.
    public var requestEndpoints: [EndpointConfig] {
        endpoints + flows.flatMap { $0.steps.map(\.request) }
    }
}

public struct GeneratorOutcome: Sendable {
    public var endpoints: [EndpointStatistics]
    public var timeSeries: [SecondSnapshot]
    public var peakUsers: Int
    public var droppedArrivals: UInt64
    public var startTime: Date
    public var endTime: Date
    /// Why the load stopped: its plan ran out, a signal, an abort rule.
    public var stopReason: StopReason
    /// A few failing answers' first bytes, for an incident report.
    public var failureSamples: [FailureSample] = []
    /// Per flow, in configuration order (empty without `flows:`).
    public var flows: [FlowStatistics] = []

    /// A signal or a rule ended the run before its planned duration.
    public var stoppedEarly: Bool { stopReason.status != .completed }
}

/// The load generator: event loops (`SocketEventLoop` for plain HTTP, SwiftNIO's for HTTPS), each
/// with its own connections and statistics, coordinated from here once every 50 ms (users) and once
/// a second (statistics).
public enum LoadGenerator {
    public static func run(plan: LoadPlan, stop: StopSignal, observers: [any RunObserver] = []) async throws -> GeneratorOutcome {
        let prepared = try checked(plan)
        var schedule = plan.load.model == .open ? try plan.arrivalSchedule() : nil
        let planned = schedule?.duration ?? plan.load.plannedDuration
        // Open model with flows: an arrival is an iteration of several requests; the target rate is in requests.
        let requestsPerArrival = plan.requestsPerArrival
        let users = UserCountSchedule(users: plan.load.users, spawnRate: plan.load.spawnRate, stages: plan.load.stages)

        let group = try eventLoops(threads: plan.threads, tls: prepared.connector.tls != nil)
        let loops = Array(group.makeIterator())
        // One kind of worker per run: users to set (closed model) or arrivals that may be dropped (open),
        // running plain endpoints or, when the plan has flows, iterations of flows.
        // Only loops that ever get users (user k runs on loop k mod n) share the closed model's request count.
        let loopsWithUsers = min(loops.count, max(1, maxUsers(plan.load)))
        let userWorkers: [any UserLoadWorker] = schedule != nil ? [] : loops.enumerated().map { index, loop in
            if !prepared.flows.isEmpty {
                return ClosedFlowWorker(eventLoop: loop, plan: prepared, loopIndex: index, loopCount: loops.count)
            }
            return ClosedModelWorker(eventLoop: loop, plan: prepared, loopIndex: index, loopCount: loops.count,
                                     requestShare: plan.load.requests.map { requestShare(of: $0, loopIndex: index, loops: loopsWithUsers) })
        }
        let arrivalWorkers: [any ArrivalLoadWorker] = schedule.map { schedule in
            loops.enumerated().map { index, loop in
                if !prepared.flows.isEmpty {
                    return OpenFlowWorker(eventLoop: loop, plan: prepared, schedule: schedule, loopIndex: index, loopCount: loops.count)
                }
                return OpenModelWorker(eventLoop: loop, plan: prepared, schedule: schedule, loopIndex: index, loopCount: loops.count)
            }
        } ?? []
        let workers: [any LoadWorker] = userWorkers + arrivalWorkers

        // Every loop starts its schedule at the same instant, a moment from now.
        let clock = ContinuousClock()
        let lead = Duration.milliseconds(20)
        let startNanos = NIODeadline.now().uptimeNanoseconds + 20_000_000
        let startInstant = clock.now + lead
        let startTime = Date().addingTimeInterval(0.02)
        for worker in workers {
            worker.eventLoop.execute { worker.start(atUptimeNanos: startNanos) }
        }
        try? await Task.sleep(until: startInstant, clock: clock)

        var series: [SecondSnapshot] = []
        var totals = IntervalSnapshot.empty()
        var peakUsers = 0
        var currentUsers = 0.0
        var nextTick = 1.0
        var stopReason: StopReason = schedule == nil ? .durationReached : .allArrivalsSent
        for observer in observers { observer.runStarted(plan: plan, stop: stop) }
        // How often the loop below looks at the stop signal, the user count and the controls between its
        // one-second collections. An open model without controls or a request count only needs the stop
        // signal: a coarser step spares the process ~80 wake-ups of three threads a second.
        let step = schedule != nil && plan.control == nil && plan.load.requests == nil ? 0.25 : 0.05

        func elapsedSeconds() -> Double {
            let duration = clock.now - startInstant
            return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }

        func collect(elapsed: Double) async {
            var interval = IntervalSnapshot.empty()
            var endpointTotals: [EndpointRunningTotals] = []
            for worker in workers {
                if let snapshot = try? await worker.eventLoop.submit({ worker.takeInterval() }).get() {
                    interval.add(snapshot)
                    EndpointRunningTotals.add(snapshot.endpointTotals, to: &endpointTotals)
                }
            }
            let seconds = max(elapsed - (series.last?.elapsed ?? 0), 0.001)
            totals.add(interval)
            let second = SecondSnapshot(
                timestamp: Date().timeIntervalSince1970, elapsed: elapsed, users: interval.users,
                requests: interval.requests, failures: interval.failures,
                requestsPerSecond: Double(interval.requests) / seconds,
                failuresPerSecond: Double(interval.failures) / seconds,
                p50: interval.latency.milliseconds(at: .p50), p95: interval.latency.milliseconds(at: .p95),
                p99: interval.latency.milliseconds(at: .p99),
                totalRequests: totals.requests, totalFailures: totals.failures,
                plannedDuration: planned, totalFailuresByKind: totals.failureKinds, queued: interval.queued,
                targetRate: schedule.map { $0.rate(at: min(elapsed, max($0.duration - 0.001, 0))) * requestsPerArrival },
                endpoints: endpointTotals)
            series.append(second.recorded)
            peakUsers = max(peakUsers, interval.users)
            for observer in observers { observer.runProgressed(second, stop: stop) }
        }

        func requestsSettled() async -> Bool {
            for worker in workers {
                guard (try? await worker.eventLoop.submit({ worker.requestShareSettled() }).get()) == true else { return false }
            }
            return true
        }

        while true {
            let elapsed = elapsedSeconds()
            if let reason = stop.reason {
                stopReason = reason
                break
            }
            if let requests = plan.load.requests, await requestsSettled() {
                stopReason = .requestsReached(requests)
                break
            }
            if elapsed >= planned { break }
            if schedule == nil {
                let next = plan.control?.users.map { users.next(current: currentUsers, toward: Double($0), step: step) }
                    ?? users.next(current: currentUsers, elapsed: elapsed, step: step)
                if Int(next) != Int(currentUsers) || elapsed < step {
                    let total = Int(next)
                    for (index, worker) in userWorkers.enumerated() {
                        let share = (total + userWorkers.count - 1 - index) / userWorkers.count
                        worker.eventLoop.execute { worker.setUsers(share) }
                    }
                }
                currentUsers = next
            } else if let rate = plan.control?.takeRate(), let current = schedule {
                let changed = current.changingRate(to: rate, at: elapsed)
                schedule = changed
                for worker in arrivalWorkers { worker.eventLoop.execute { worker.reschedule(changed) } }
            }
            if elapsed >= nextTick {
                await collect(elapsed: elapsed)
                nextTick += 1
                continue
            }
            let wake = min(nextTick, planned, elapsed + step)
            try? await Task.sleep(until: startInstant + .milliseconds(Int64(wake * 1000)), clock: clock)
        }

        // Let requests in flight finish (they were sent, so the server counts them), then close.
        let grace = stopReason.status == .completed ? min(plan.load.timeout, 10) : 2.0
        await drain(workers: workers, grace: grace)
        await collect(elapsed: elapsedSeconds())
        let endTime = Date()

        var endpoints = prepared.endpoints.map { EndpointStatistics(key: EndpointKey(method: $0.method, name: $0.name)) }
        var flows = prepared.reportedFlowNames.map(FlowStatistics.init(name:))
        for worker in workers {
            if let partial = try? await worker.eventLoop.submit({ worker.finalStatistics() }).get() {
                for index in endpoints.indices where index < partial.count {
                    endpoints[index].add(partial[index])
                }
            }
            if let partial = try? await worker.eventLoop.submit({ worker.finalFlowStatistics() }).get() {
                for index in flows.indices where index < partial.count {
                    flows[index].add(partial[index])
                }
            }
        }
        var samples: [FailureSample] = []
        for worker in workers {
            for sample in (try? await worker.eventLoop.submit({ worker.failureSamples() }).get()) ?? []
            where !samples.contains(where: { $0.endpoint == sample.endpoint && $0.failure == sample.failure }) {
                samples.append(sample)
            }
        }
        var dropped: UInt64 = 0
        for worker in arrivalWorkers {
            dropped += (try? await worker.eventLoop.submit({ worker.droppedArrivals }).get()) ?? 0
        }
        try? await group.shutdownGracefully()
        // The loops' timers and connections refer to their workers without holding them: the workers
        // must outlive the loops, or a timer firing before the shutdown would find its worker gone.
        withExtendedLifetime(workers) {}
        let outcome = GeneratorOutcome(endpoints: endpoints, timeSeries: series, peakUsers: peakUsers, droppedArrivals: dropped,
                                       startTime: startTime, endTime: endTime, stopReason: stopReason,
                                       failureSamples: Array(samples.prefix(LoopStatistics.failureSamplesKept)), flows: flows)
        for observer in observers { observer.runEnded(outcome) }
        return outcome
    }

    private static func drain(workers: [any LoadWorker], grace: Double) async {
        let stopped = workers.map { worker in worker.eventLoop.flatSubmit { worker.stop() } }
        let drained = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for future in stopped { try? await future.get() }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int64(grace * 1000)))
                return false
            }
            let first = await group.next() ?? true
            if !first {
                for worker in workers { worker.eventLoop.execute { worker.forceClose() } }
            }
            group.cancelAll()
            return first
        }
        _ = drained
    }

    /// The run's event loops. Plain HTTP on Linux: `SocketEventLoop`s, which drive the sockets
    /// themselves at about half the instructions per request of NIO's channels; TLS: NIO's loops,
    /// for NIOSSL.
    private static func eventLoops(threads: Int, tls: Bool) throws(GeneratorError) -> any EventLoopGroup {
        #if os(Linux)
        if !tls {
            do throws(SocketEventLoopError) {
                return try SocketEventLoopGroup(loopCount: threads)
            } catch {
                throw .eventLoopStart(reason: error.description)
            }
        }
        #endif
        return MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Everything the generator could refuse, found before anything else happens: no endpoints, a
    /// request template it cannot render, a host it cannot resolve, TLS it cannot set up, more
    /// connections than open files, an open model without a rate.
    public static func check(_ plan: LoadPlan) throws(GeneratorError) {
        _ = try checked(plan)
    }

    private static func checked(_ plan: LoadPlan) throws(GeneratorError) -> PreparedPlan {
        guard !plan.endpoints.isEmpty || !plan.flows.isEmpty else { throw .noEndpoints }
        if !plan.flows.isEmpty, plan.load.requests != nil { throw .requestCountWithFlows }
        if plan.load.model == .open { _ = try plan.arrivalSchedule() }
        let prepared = try prepare(plan)
        let fileLimit = OpenFileLimit.raiseToHardLimit()
        let neededFiles = min(plan.load.model == .open ? plan.load.maxConnections : maxUsers(plan.load),
                              LoadLimits.maximumUsers) + 64
        if neededFiles > fileLimit {
            throw .tooManyConnections(needed: neededFiles, limit: fileLimit)
        }
        return prepared
    }

    /// Loop `loopIndex`'s part of a request count split across `loops` loops, the remainder to the first
    /// ones. Each loop keeps its own count, so no shared counter sits on the request path.
    static func requestShare(of total: Int, loopIndex: Int, loops: Int) -> Int {
        loopIndex < loops ? (total + loops - 1 - loopIndex) / loops : 0
    }

    private static func maxUsers(_ load: LoadSettings) -> Int {
        load.stages.isEmpty ? load.users : Int(min(load.stages.map(\.target).max() ?? 0, Double(LoadLimits.maximumUsers)))
    }

    private static func prepare(_ plan: LoadPlan) throws(GeneratorError) -> PreparedPlan {
        var templates: [RequestTemplate] = []
        for endpoint in plan.endpoints {
            templates.append(try RequestTemplate(endpoint: endpoint, target: plan.target, authorizations: plan.authorizations))
        }
        for flow in plan.flows {
            let names = flow.variableNames
            for step in flow.steps {
                templates.append(try RequestTemplate(endpoint: step.request, target: plan.target, authorizations: plan.authorizations,
                                                     variableNames: names))
            }
        }
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(plan.target.host, port: plan.target.port)
        } catch {
            throw GeneratorError.cannotResolve(host: plan.target.host, reason: String(describing: error))
        }
        var tls: NIOSSLContext?
        var serverName: String?
        if plan.target.useTLS {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if plan.insecure { configuration.certificateVerification = .none }
            do {
                tls = try NIOSSLContext(configuration: configuration)
            } catch {
                throw GeneratorError.tlsSetup(reason: String(describing: error))
            }
            // SNI takes a host name, never an IP address.
            let isAddress = plan.target.host.contains(":") || plan.target.host.allSatisfy { $0.isNumber || $0 == "." }
            serverName = isAddress ? nil : plan.target.host
        }
        let connector = Connector(address: address, tls: tls, serverName: serverName,
                                  connectTimeout: .milliseconds(Int64(min(plan.load.timeout, 10) * 1000)))
        let requests = plan.requestEndpoints
        var prepared = PreparedPlan(endpoints: requests, templates: templates, successPolicies: FlowPlanning.successPolicies(plan),
                                    connector: connector, load: plan.load,
                                    openModelShares: LoadPlan.openModelRates(endpoints: plan.endpoints, load: plan.load),
                                    redirects: plan.followRedirects
                                        ? RedirectPolicy(target: plan.target, allowHosts: plan.allowHosts,
                                                         authorizations: plan.authorizations, methods: requests.map(\.method))
                                        : nil)
        if !plan.flows.isEmpty {
            prepared.flows = try FlowPlanning.prepare(plan)
            prepared.flowShares = plan.load.model == .open
                ? LoadPlan.arrivalRates(endpoints: plan.endpoints, flows: plan.flows, load: plan.load)
                : plan.endpoints.map(\.weight) + plan.flows.map(\.weight)
            prepared.reportedFlowNames = plan.flows.map(\.name)
        }
        return prepared
    }
}
