import Foundation

/// Building a results document from a run's in-memory result.
extension ResultsDocument {
    public static func make(from result: RunResult) -> ResultsDocument {
        let aggregate = result.aggregate
        var failures: [Failure] = []
        for endpoint in result.endpoints {
            for (kind, count) in endpoint.failuresByKindSorted {
                failures.append(Failure(method: endpoint.key.method, name: endpoint.key.name,
                                        kind: kind.kindName, error: kind.message, occurrences: count))
            }
        }
        var load = Load(result.config.load)
        if result.config.load.model == .open && result.config.load.stages.isEmpty {
            // The rate the run aimed at: the endpoints' own rates plus `load.rate`'s share.
            load.rate = LoadPlan.plannedRequestRate(endpoints: result.config.endpoints, flows: result.config.flows, load: result.config.load)
        }
        var document = ResultsDocument(
            schemaVersion: currentSchemaVersion,
            tool: "loadops",
            toolVersion: LoadOpsKitVersion.string,
            status: result.status,
            stopReason: result.stopReason?.text,
            startedAt: wholeMilliseconds(result.startTime),
            endedAt: wholeMilliseconds(result.endTime),
            durationSeconds: finite(result.durationSeconds),
            host: result.config.host,
            environment: result.config.environment,
            model: result.config.load.model.rawValue,
            coordinatedOmissionCorrected: result.coordinatedOmissionCorrected,
            successRate: finite(aggregate.successRate),
            p95Latency: aggregate.latencyMilliseconds(at: .p95),
            load: load,
            aggregate: Endpoint(aggregate, result: result),
            endpoints: result.endpoints.map { Endpoint($0, result: result) },
            failures: failures,
            timeSeries: result.timeSeries.map(\.recorded),
            peakUsers: result.peakUsers,
            droppedArrivals: result.droppedArrivals,
            warnings: result.warnings,
            availability: result.timeSeries.isEmpty ? nil : Availability.measure(result.timeSeries),
            config: EffectiveConfig(result.config)
        )
        if result.config.engine != .builtin { document.engine = result.config.engine.rawValue }
        if !result.flows.isEmpty { document.flows = result.flows.map { Flow($0, result: result) } }
        return document
    }

    /// Dates are written with millisecond precision; rounding here keeps a written and re-read document equal.
    static func wholeMilliseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: Milliseconds.roundedToThousandths(date.timeIntervalSince1970))
    }

    /// JSON has no NaN or infinity; a figure that cannot be computed is written as 0.
    static func finite(_ value: Double) -> Double { value.isFinite ? value : 0 }

    /// Means are estimates within the histogram's precision; three decimals of a millisecond is all they carry.
    static func microsecondPrecision(_ milliseconds: Double) -> Double {
        finite(Milliseconds.roundedToThousandths(milliseconds))
    }
}

extension ResultsDocument.Endpoint {
    init(_ statistics: EndpointStatistics, result: RunResult) {
        var byKind: [String: UInt64] = [:]
        for (kind, count) in statistics.failuresByKind { byKind[kind.kindName, default: 0] += count }
        self.init(
            method: statistics.key.method,
            name: statistics.key.name,
            requests: statistics.requests,
            failures: statistics.failures,
            successRate: ResultsDocument.finite(statistics.successRate),
            errorRate: ResultsDocument.finite(statistics.errorRate),
            rps: ResultsDocument.finite(result.perSecond(statistics.requests)),
            failuresPerSecond: ResultsDocument.finite(result.perSecond(statistics.failures)),
            minMs: statistics.minimumMilliseconds,
            maxMs: statistics.maximumMilliseconds,
            meanMs: ResultsDocument.microsecondPrecision(statistics.meanMilliseconds),
            medianMs: statistics.medianMilliseconds,
            percentiles: statistics.reportedPercentilesMilliseconds(corrected: true),
            uncorrectedPercentiles: statistics.reportedPercentilesMilliseconds(corrected: false),
            avgContentSize: ResultsDocument.finite(statistics.averageContentSize),
            failuresByKind: byKind,
            phases: ResultsDocument.Phases(statistics.phases)
        )
    }
}

extension ResultsDocument.Load {
    init(_ settings: LoadSettings) {
        self.init(
            model: settings.model.rawValue,
            // Users and spawn rate mean nothing for the open model (and are not written for it).
            users: settings.model == .open ? 0 : settings.users,
            spawnRate: settings.model == .open ? 0 : ResultsDocument.finite(settings.spawnRate),
            duration: ResultsDocument.finite(settings.plannedDuration),
            thinkTime: settings.thinkTime.map { ResultsDocument.ThinkTime(min: $0.lowerBound, max: $0.upperBound) },
            rate: settings.rate,
            maxConnections: settings.maxConnections,
            timeout: ResultsDocument.finite(settings.timeout),
            stages: settings.stages.map { ResultsDocument.Stage(duration: $0.duration, target: $0.target, ramp: $0.ramp) },
            requests: settings.requests
        )
    }
}

extension ResultsDocument.EffectiveConfig {
    init(_ config: LoadOpsConfig) {
        let credentials: ResultsDocument.Credentials?
        switch config.credentials {
        case .none: credentials = nil
        case .basicFile(let path)?: credentials = .init(kind: "basic_file", path: path, variable: nil)
        case .bearerEnv(let variable)?: credentials = .init(kind: "bearer_env", path: nil, variable: variable)
        }
        self.init(
            host: config.host,
            allowHosts: config.allowHosts,
            environment: config.environment,
            insecure: config.insecure,
            load: ResultsDocument.Load(config.load),
            endpoints: config.endpoints.map(ResultsDocument.EndpointSettings.init),
            credentials: credentials,
            thresholds: config.thresholds,
            thresholdsAreDefault: config.thresholdsAreDefault ? true : nil,
            output: config.output,
            source: config.sourceDescription,
            flows: config.flows.isEmpty ? nil : config.flows.map(ResultsDocument.FlowSettings.init)
        )
    }
}

extension ResultsDocument.EndpointSettings {
    init(_ endpoint: EndpointConfig) {
        self.init(
            name: endpoint.name,
            method: endpoint.method,
            path: endpoint.path,
            headers: endpoint.headers.map { name, value in ResultsDocument.Header.masked(name: name, value: value) },
            hasBody: endpoint.body != nil,
            weight: endpoint.weight,
            rate: endpoint.rate,
            expectedStatus: endpoint.expectedStatus
        )
    }
}

extension ResultsDocument.Header {
    static let redactedValue = "[redacted]"

    /// The header as a results document keeps it: the value of one that usually carries
    /// credentials never reaches a report or the history.
    static func masked(name: String, value: String) -> ResultsDocument.Header {
        ResultsDocument.Header(name: name, value: Redaction.isSensitiveHeader(name) ? redactedValue : value)
    }
}
