import Foundation
import NIOCore

/// A `/metrics` page of the system under test, in the Prometheus text format: one reading per
/// configured series, named as written. Counters (and a histogram's or summary's `_count`, `_sum`
/// and `_bucket`) are recorded as rates per second, from the second sample on; gauges as they are.
actor PrometheusMonitorSource: MonitorSource {
    nonisolated let name: String
    let url: String
    let series: [PrometheusSeries]
    let connectTimeout: Double
    private var rates = CounterRates()

    init(name: String, url: String, series: [PrometheusSeries], connectTimeout: Double) {
        self.name = name
        self.url = url
        self.series = series
        self.connectTimeout = connectTimeout
    }

    func sample() async throws -> [MonitorReading] {
        let page = PrometheusExposition(parsing: try await MetricsPageClient.get(url, connectTimeout: connectTimeout))
        var gauges: [MonitorReading] = []
        var counters: [String: Double] = [:]
        var missing: [String] = []
        for entry in series {
            // NaN (a gauge with nothing to report yet) is no reading either.
            guard let value = page.total(metric: entry.metric, labels: entry.labels), value.isFinite else {
                missing.append(entry.selector)
                continue
            }
            if page.isCounter(entry.metric) {
                counters[entry.selector] = value
            } else {
                gauges.append(MonitorReading(entry.selector, value, .number))
            }
        }
        if !missing.isEmpty, missing.count == series.count {
            throw MonitorSourceError("\(Redaction.redactURL(url)) has none of the series \(missing.joined(separator: ", "))")
        }
        let perSecond = rates.rates(counters)
        // In the configuration's order.
        return series.compactMap { entry in
            if let rate = perSecond[entry.selector] { return MonitorReading(entry.selector, rate, .perSecond) }
            return gauges.first { $0.metric == entry.selector }
        }
    }
}

/// A metrics page: its body as text when the status is 200. The body may take `maximumBodyBytes`.
enum MetricsPageClient {
    static let maximumBodyBytes = 16 * 1024 * 1024

    static func get(_ url: String, connectTimeout: Double) async throws -> String {
        let answer: HTTPGetClient.Answer
        do {
            answer = try await HTTPGetClient.get(url, connectTimeout: connectTimeout,
                                                 accept: "text/plain;version=0.0.4;q=1, */*;q=0.1",
                                                 userAgent: "loadops-monitor", keepBodyUpTo: maximumBodyBytes)
        } catch let failure as HTTPGetClient.Failure {
            throw MonitorSourceError(failure.description)
        }
        guard answer.status == 200 else {
            throw MonitorSourceError("HTTP \(answer.status) from \(Redaction.redactURL(url)), expected 200")
        }
        return String(decoding: answer.body.readableBytesView, as: UTF8.self)
    }
}
