import Foundation
import NIOCore
import Prometheus
import Synchronization

/// `loadops run --metrics-listen HOST:PORT`: the run's live figures in the Prometheus text format at
/// `/metrics`, for a dashboard. It listens from the moment the run is prepared (every endpoint's
/// series at 0) until the run's pipeline ends, then `--metrics-linger` longer, so that a scrape after
/// the load sees the final totals, which equal results.json's.
///
/// Series (swift-prometheus builds the page):
/// - `loadops_requests_total{method,name}`, `loadops_failures_total{method,name}`: per endpoint since
///   the start (requests count failures too, as in results.json); `loadops_failures_by_kind_total{kind}`
///   (`http_500`, `timeout`, ... as results.json names them);
/// - `loadops_request_duration_seconds{method,name}`: a histogram, 0.5 ms to 10 s;
/// - gauges: `loadops_users` (closed model) or `loadops_connections`, `loadops_target_requests_per_second`
///   and `loadops_queued_arrivals` (open model), `loadops_warning_active{key}` (1 while a warning sign
///   holds, 0 once it cleared), `loadops_elapsed_seconds`, `loadops_planned_duration_seconds`,
///   `loadops_running` (1 while the load runs).
///
/// The generator's coordinator hands it each second; the series are updated on the server's own
/// event loop, where scrapes are answered too, so a scrape never sees half a second.
public final class LiveMetricsEndpoint: Sendable {
    public let settings: MetricsListenSettings
    private let server: MetricsHTTPServer
    /// Only touched on the server's event loop; the lock is never contended.
    private let series: Mutex<LiveSeries>

    /// Listens where the settings say (nil settings: nothing to serve).
    static func start(_ settings: MetricsListenSettings?, plan: LoadPlan) throws(MetricsListenError) -> LiveMetricsEndpoint? {
        guard let settings else { return nil }
        let registry = PrometheusCollectorRegistry()
        let series = LiveSeries(registry: registry, plan: plan)
        let server = try MetricsHTTPServer.start(settings) { registry.emitToBuffer() }
        return LiveMetricsEndpoint(settings: settings, server: server, series: series)
    }

    private init(settings: MetricsListenSettings, server: MetricsHTTPServer, series: LiveSeries) {
        self.settings = settings
        self.server = server
        self.series = Mutex(series)
    }

    public var url: String { settings.url }

    /// What the generator tells, with the warning signs `watch` holds at each second.
    public func observer(watching watch: RunWatch) -> any RunObserver {
        LiveMetricsObserver(endpoint: self, watch: watch)
    }

    /// Keeps answering `settings.linger` seconds more (a Prometheus scrapes every 15 s by default),
    /// unless an interrupt (Ctrl-C) ends the wait; a stop asked by an abort rule does not.
    public func linger(stop: StopSignal) async {
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int64(settings.linger * 1000))
        while clock.now < deadline {
            if case .signal? = stop.reason { return }
            try? await Task.sleep(for: min(.milliseconds(100), deadline - clock.now))
        }
    }

    /// Stops listening; returns at once.
    public func close() {
        server.close()
    }

    fileprivate func update(_ change: @escaping @Sendable (inout LiveSeries) -> Void) {
        server.eventLoop.execute { self.series.withLock { change(&$0) } }
    }
}

/// The `RunObserver` face of the endpoint.
private final class LiveMetricsObserver: RunObserver {
    let endpoint: LiveMetricsEndpoint
    let watch: RunWatch

    init(endpoint: LiveMetricsEndpoint, watch: RunWatch) {
        self.endpoint = endpoint
        self.watch = watch
    }

    func runStarted(plan: LoadPlan, stop: StopSignal) {
        endpoint.update { $0.running.set(to: 1) }
    }

    func runProgressed(_ second: SecondSnapshot, stop: StopSignal) {
        let warnings = watch.warnings
        endpoint.update { $0.report(second, warnings: warnings) }
    }

    /// The outcome's own totals, which results.json is made from, have the last word.
    func runEnded(_ outcome: GeneratorOutcome) {
        let warnings = watch.warnings
        endpoint.update { series in
            series.report(endpoints: outcome.endpoints.map(EndpointRunningTotals.init))
            var kinds: [FailureKind: UInt64] = [:]
            for endpoint in outcome.endpoints {
                for (kind, count) in endpoint.failuresByKind { kinds[kind, default: 0] += count }
            }
            series.report(failuresByKind: kinds)
            series.report(warnings: warnings)
            series.running.set(to: 0)
        }
    }
}

/// The registered series and what they already count.
struct LiveSeries: Sendable {
    private struct EndpointSeries: Sendable {
        let requests: Counter
        let failures: Counter
        let latency: ValueHistogram
        /// The totals already counted in the three.
        var counted = EndpointRunningTotals()
    }

    private let registry: PrometheusCollectorRegistry
    private var endpoints: [EndpointSeries]
    private var kinds: [String: (counter: Counter, counted: UInt64)] = [:]
    private var warnings: [String: Gauge] = [:]
    let running: Gauge
    private let elapsed: Gauge
    private let planned: Gauge
    /// Users (closed model) or connections (open model).
    private let load: Gauge
    private let targetRate: Gauge?
    private let queued: Gauge?

    private static func name(_ name: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "loadops", metricName: name, unitName: unit, helpText: help)
    }

    init(registry: PrometheusCollectorRegistry, plan: LoadPlan) {
        self.registry = registry
        let requests = Self.name("requests", unit: "total", "Requests completed, answered or failed, per endpoint since the start of the run")
        let failures = Self.name("failures", unit: "total", "Failed requests per endpoint since the start of the run")
        let latency = Self.name("request_duration", unit: "seconds", "Response time per endpoint (open model: from the intended send time)")
        endpoints = plan.requestEndpoints.map { endpoint in
            let labels = [("method", endpoint.method), ("name", endpoint.name)]
            return EndpointSeries(
                requests: registry.makeCounter(descriptor: requests, labels: labels),
                failures: registry.makeCounter(descriptor: failures, labels: labels),
                latency: registry.makeValueHistogram(descriptor: latency, labels: labels,
                                                     buckets: EndpointRunningTotals.latencyBucketBounds))
        }
        running = registry.makeGauge(descriptor: Self.name("running", "1 while the load runs, 0 before and after"))
        elapsed = registry.makeGauge(descriptor: Self.name("elapsed", unit: "seconds", "Seconds since the start of the load"))
        planned = registry.makeGauge(descriptor: Self.name("planned_duration", unit: "seconds", "The run's planned length"))
        switch plan.load.model {
        case .closed:
            load = registry.makeGauge(descriptor: Self.name("users", "Active users"))
            targetRate = nil
            queued = nil
        case .open:
            load = registry.makeGauge(descriptor: Self.name("connections", "Connections in use"))
            targetRate = registry.makeGauge(descriptor: Self.name("target_requests_per_second", "The rate the schedule asks for now"))
            queued = registry.makeGauge(descriptor: Self.name("queued_arrivals", "Arrivals waiting for a free connection"))
        }
    }

    mutating func report(_ second: SecondSnapshot, warnings: [WarningRecord]) {
        elapsed.set(to: second.elapsed)
        planned.set(to: second.plannedDuration)
        load.set(to: Double(second.users))
        targetRate?.set(to: second.targetRate ?? 0)
        queued?.set(to: Double(second.queued))
        report(endpoints: second.endpoints)
        report(failuresByKind: second.totalFailuresByKind)
        report(warnings: warnings)
    }

    /// Counts what each endpoint's totals add to what is already counted.
    mutating func report(endpoints totals: [EndpointRunningTotals]) {
        let bounds = EndpointRunningTotals.latencyBucketBounds
        for (index, now) in totals.enumerated() where index < endpoints.count {
            let counted = endpoints[index].counted
            if now.requests > counted.requests { endpoints[index].requests.increment(by: Int64(now.requests - counted.requests)) }
            if now.failures > counted.failures { endpoints[index].failures.increment(by: Int64(now.failures - counted.failures)) }
            // The histogram takes one observation at a time: each bucket's new requests are recorded
            // at their mean, kept inside the bucket, so its counts and its sum are those measured.
            for bucket in now.latencyCounts.indices where bucket < counted.latencyCounts.count {
                guard now.latencyCounts[bucket] > counted.latencyCounts[bucket] else { continue }
                let added = now.latencyCounts[bucket] - counted.latencyCounts[bucket]
                let mean = (now.latencySums[bucket] - counted.latencySums[bucket]) / Double(added)
                let lower = bucket == 0 ? 0 : bounds[bucket - 1]
                let upper = bucket < bounds.count ? bounds[bucket] : Double.greatestFiniteMagnitude
                let value = min(max(mean, lower.nextUp), upper)
                for _ in 0..<added { endpoints[index].latency.record(value) }
            }
            endpoints[index].counted = now
        }
    }

    mutating func report(failuresByKind: [FailureKind: UInt64]) {
        var byName: [String: UInt64] = [:]
        for (kind, count) in failuresByKind { byName[kind.kindName, default: 0] += count }
        for (name, count) in byName {
            let entry = kinds[name] ?? (registry.makeCounter(
                descriptor: Self.name("failures_by_kind", unit: "total", "Failed requests per kind of failure since the start of the run"),
                labels: [("kind", name)]), 0)
            if count > entry.counted { entry.counter.increment(by: Int64(count - entry.counted)) }
            kinds[name] = (entry.counter, max(count, entry.counted))
        }
    }

    /// 1 for each warning sign that holds, 0 for one that held and cleared.
    mutating func report(warnings records: [WarningRecord]) {
        var holds: [String: Bool] = [:]
        for record in records { holds[record.key] = (holds[record.key] ?? false) || record.end == nil }
        for (key, active) in holds {
            let gauge = warnings[key] ?? registry.makeGauge(
                descriptor: Self.name("warning_active", "1 while a warning sign holds, 0 once it cleared"), labels: [("key", key)])
            warnings[key] = gauge
            gauge.set(to: active ? 1 : 0)
        }
    }
}
