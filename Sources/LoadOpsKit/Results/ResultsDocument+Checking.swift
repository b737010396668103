import Foundation

extension ResultsDocument {
    /// The longest run a document may describe: a run lasts at most `LoadLimits.maximumDurationSeconds`,
    /// plus its timeouts; anything past a year is not a run's figure.
    static let maximumDocumentSeconds: Double = 366 * 86_400
    /// Any other figure (milliseconds, requests per second, bytes): finite and below this.
    static let maximumFigure: Double = 1e15

    /// Every figure within what a run can produce, so that nothing reading the document later (the
    /// history, comparisons, summaries) meets NaN, infinity or a number too large to convert. A
    /// document made by hand or by another tool is refused here with the field named, before it is stored.
    public func checkFigures(path: String) throws(ResultsDocumentError) {
        let check = FigureCheck(path: path)
        try check.seconds(durationSeconds, "duration_seconds")
        try check.percent(successRate, "success_rate")
        try check.figure(p95Latency, "p95_latency")
        try check.load(load, "load")
        try check.endpoint(aggregate, "aggregate")
        for (index, endpoint) in endpoints.enumerated() { try check.endpoint(endpoint, "endpoints[\(index)]") }
        for (index, point) in timeSeries.enumerated() {
            let field = "time_series[\(index)]"
            guard point.timestamp.isFinite, abs(point.timestamp) < Self.maximumFigure else {
                throw check.failure("\(field).timestamp", expected: "a time in seconds since 1970", found: point.timestamp)
            }
            try check.seconds(point.elapsed, "\(field).elapsed")
            try check.users(point.users, "\(field).users")
            for (value, name) in [(point.requestsPerSecond, "requests_per_second"), (point.failuresPerSecond, "failures_per_second"),
                                  (point.p50, "p50"), (point.p95, "p95"), (point.p99, "p99")] {
                try check.figure(value, "\(field).\(name)")
            }
        }
        try check.users(peakUsers, "peak_users")
        if let availability {
            try check.percent(availability.percent, "availability.percent")
            try check.seconds(availability.measuredSeconds, "availability.measured_seconds")
            for (index, outage) in availability.outages.enumerated() {
                try check.seconds(outage.start, "availability.outages[\(index)].start")
                try check.seconds(outage.end, "availability.outages[\(index)].end")
            }
        }
        try check.load(config.load, "config.load")
        for (index, endpoint) in config.endpoints.enumerated() {
            try check.figure(endpoint.weight, "config.endpoints[\(index)].weight")
            if let rate = endpoint.rate { try check.figure(rate, "config.endpoints[\(index)].rate") }
        }
        for (index, flow) in (config.flows ?? []).enumerated() {
            try check.figure(flow.weight, "config.flows[\(index)].weight")
            if let rate = flow.rate { try check.figure(rate, "config.flows[\(index)].rate") }
            if let thinkTime = flow.thinkTime {
                try check.seconds(thinkTime.min, "config.flows[\(index)].think_time.min")
                try check.seconds(thinkTime.max, "config.flows[\(index)].think_time.max")
            }
        }
        for (index, flow) in (flows ?? []).enumerated() { try check.flow(flow, "flows[\(index)]") }
        for (index, threshold) in (thresholds ?? []).enumerated() {
            if let observed = threshold.observedValue, !observed.isFinite {
                throw check.failure("thresholds[\(index)].observed_value", expected: "a finite number", found: observed)
            }
        }
    }

    private struct FigureCheck {
        let path: String

        func failure(_ field: String, expected: String, found: Double) -> ResultsDocumentError {
            .malformed(path: path, field: field, reason: "expected \(expected), found \(found)")
        }

        func range(_ value: Double, _ field: String, _ limit: Double, _ expected: String) throws(ResultsDocumentError) {
            guard value.isFinite, value >= 0, value <= limit else { throw failure(field, expected: expected, found: value) }
        }

        func seconds(_ value: Double, _ field: String) throws(ResultsDocumentError) {
            try range(value, field, ResultsDocument.maximumDocumentSeconds,
                      "a number of seconds from 0 to \(DecimalNumber.format(ResultsDocument.maximumDocumentSeconds)) (366 days)")
        }

        func percent(_ value: Double, _ field: String) throws(ResultsDocumentError) {
            try range(value, field, 100, "a percentage from 0 to 100")
        }

        func figure(_ value: Double, _ field: String) throws(ResultsDocumentError) {
            try range(value, field, ResultsDocument.maximumFigure, "a number from 0 to 1e15")
        }

        func users(_ value: Int, _ field: String) throws(ResultsDocumentError) {
            guard (0...LoadLimits.maximumUsers).contains(value) else {
                throw .malformed(path: path, field: field,
                                 reason: "expected a whole number from 0 to \(LoadLimits.maximumUsers), found \(value)")
            }
        }

        func load(_ load: ResultsDocument.Load, _ field: String) throws(ResultsDocumentError) {
            try users(load.users, "\(field).users")
            try users(load.maxConnections, "\(field).max_connections")
            try figure(load.spawnRate, "\(field).spawn_rate")
            try seconds(load.duration, "\(field).duration")
            try seconds(load.timeout, "\(field).timeout")
            if let rate = load.rate { try figure(rate, "\(field).rate") }
            if let thinkTime = load.thinkTime {
                try seconds(thinkTime.min, "\(field).think_time.min")
                try seconds(thinkTime.max, "\(field).think_time.max")
            }
            for (index, stage) in load.stages.enumerated() {
                try seconds(stage.duration, "\(field).stages[\(index)].duration")
                try figure(stage.target, "\(field).stages[\(index)].target")
            }
        }

        func endpoint(_ endpoint: ResultsDocument.Endpoint, _ field: String) throws(ResultsDocumentError) {
            try percent(endpoint.successRate, "\(field).success_rate")
            try percent(endpoint.errorRate, "\(field).error_rate")
            for (value, name) in [(endpoint.rps, "rps"), (endpoint.failuresPerSecond, "failures_per_second"),
                                  (endpoint.minMs, "min_ms"), (endpoint.maxMs, "max_ms"), (endpoint.meanMs, "mean_ms"),
                                  (endpoint.medianMs, "median_ms"), (endpoint.avgContentSize, "avg_content_size")] {
                try figure(value, "\(field).\(name)")
            }
            for percentile in Percentile.allCases {
                if let value = endpoint.percentiles[percentile] {
                    try figure(value, "\(field).percentiles[\"\(percentile.rawValue)\"]")
                }
                if let value = endpoint.uncorrectedPercentiles[percentile] {
                    try figure(value, "\(field).uncorrected_percentiles[\"\(percentile.rawValue)\"]")
                }
            }
            if let phases = endpoint.phases {
                let named = [(phases.connect, "connect"), (phases.tlsHandshake, "tls_handshake"),
                             (phases.timeToFirstByte, "time_to_first_byte"), (phases.receive, "receive")]
                for case let (phase?, name) in named {
                    for (value, key) in [(phase.meanMs, "mean_ms"), (phase.p50, "p50"), (phase.p95, "p95"),
                                         (phase.p99, "p99"), (phase.maxMs, "max_ms")] {
                        try figure(value, "\(field).phases.\(name).\(key)")
                    }
                }
            }
        }

        func flow(_ flow: ResultsDocument.Flow, _ field: String) throws(ResultsDocumentError) {
            try percent(flow.failureRate, "\(field).failure_rate")
            try figure(flow.iterationsPerSecond, "\(field).iterations_per_second")
            let duration = flow.duration
            for (value, name) in [(duration.minMs, "min_ms"), (duration.maxMs, "max_ms"), (duration.meanMs, "mean_ms"),
                                  (duration.medianMs, "median_ms")] {
                try figure(value, "\(field).duration.\(name)")
            }
            for (percentile, value) in duration.percentiles {
                try figure(value, "\(field).duration.percentiles[\"\(percentile.rawValue)\"]")
            }
        }
    }
}
