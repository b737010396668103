import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

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

/// One HTTP/1.1 GET on SwiftNIO for a metrics page: its body as text when the status is 200.
/// The body may take `maximumBodyBytes`; a user name and password in the URL are sent as basic
/// authentication and never shown.
enum MetricsPageClient {
    static let maximumBodyBytes = 16 * 1024 * 1024

    static func get(_ url: String, connectTimeout: Double) async throws -> String {
        let shown = Redaction.redactURL(url)
        guard let parts = URLParts(url), ["http", "https"].contains(parts.scheme.lowercased()), !parts.host.isEmpty, parts.portIsValid
        else { throw MonitorSourceError("not an http:// or https:// URL: \(shown)") }
        let scheme = parts.scheme.lowercased()
        let port = parts.port.flatMap { Int($0) } ?? (scheme == "https" ? 443 : 80)
        let address = parts.host.contains(":") ? "[\(parts.host)]:\(port)" : "\(parts.host):\(port)"
        var target = parts.rest
        if let fragment = target.firstIndex(of: "#") { target = String(target[..<fragment]) }
        if !target.hasPrefix("/") { target = "/" + target }

        var headers = HTTPHeaders()
        headers.add(name: "Host", value: parts.port.map { "\(parts.host):\($0)" } ?? parts.host)
        headers.add(name: "Accept", value: "text/plain;version=0.0.4;q=1, */*;q=0.1")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "User-Agent", value: "loadops-monitor")
        if let userInfo = parts.userInfo, !userInfo.isEmpty {
            let decoded = userInfo.removingPercentEncoding ?? userInfo
            headers.add(name: "Authorization", value: "Basic " + Data(decoded.utf8).base64EncodedString())
        }

        let tls: NIOSSLContext?
        do {
            tls = scheme == "https" ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        } catch {
            throw MonitorSourceError("cannot set up TLS for \(address): \(error)")
        }
        let serverName = parts.host.first?.isNumber == true || parts.host.contains(":") ? nil : parts.host
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(max(connectTimeout, 0.1) * 1000)))
                .connect(host: parts.host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers)))
                try await outbound.write(.end(nil))
                var status: HTTPResponseStatus?
                var body = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        status = head.status
                    case .body(var chunk):
                        guard body.readableBytes + chunk.readableBytes <= maximumBodyBytes else {
                            throw MonitorSourceError("\(shown) is larger than \(maximumBodyBytes / 1024 / 1024) MiB")
                        }
                        body.writeBuffer(&chunk)
                    case .end:
                        guard let status else { throw MonitorSourceError("no HTTP response from \(shown)") }
                        guard status == .ok else { throw MonitorSourceError("HTTP \(status.code) from \(shown), expected 200") }
                        return String(decoding: body.readableBytesView, as: UTF8.self)
                    }
                }
                throw MonitorSourceError("the server closed the connection before the end of the answer (\(address))")
            }
        } catch let error as MonitorSourceError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw MonitorSourceError(ServiceError.networkReason(error) + " (\(address))")
        }
    }
}
