import Foundation
import Synchronization
import Testing

@testable import LoadOpsKit

/// How many times the metrics page was served.
private final class ScrapeCount: Sendable {
    private let count = Mutex(0)

    func next() -> Int {
        count.withLock { count in
            count += 1
            return count
        }
    }
}

private func value(_ readings: [MonitorReading], _ metric: String) throws -> Double {
    try #require(readings.first { $0.metric == metric }, "no \(metric) in \(readings.map(\.metric))").value
}

/// Seconds between two samples, at least and at most, from the instants around each.
private struct Between {
    var shortest: Double
    var longest: Double

    init(first: (ContinuousClock.Instant, ContinuousClock.Instant), second: (ContinuousClock.Instant, ContinuousClock.Instant)) {
        shortest = MonitorClock.seconds(first.1.duration(to: second.0))
        longest = MonitorClock.seconds(first.0.duration(to: second.1))
    }

    /// A rate measured between the samples, for a counter that grew by `increase`, is within these bounds.
    func holds(_ rate: Double, increase: Double) -> Bool {
        rate >= increase / longest * 0.999 && rate <= increase / shortest * 1.001
    }
}

@Suite("Monitor sources against real servers", .serialized)
struct MonitorServiceTests {
    @Test func postgresConnectionsLockWaitsAndLongestQuery() async throws {
        try await PostgresTestServer.with { server in
            let endpoint = try ServiceEndpoint(url: server.url)
            let source = PostgresMonitorSource(name: "postgres", endpoint: endpoint, connectTimeout: 5)
            let idle = try await source.sample()
            let idleConnections = try value(idle, "connections")
            #expect(try value(idle, "max_connections") == 20)
            #expect(try value(idle, "lock_waits") == 0)

            try await PostgresSession.withSession(endpoint, connectTimeout: 5) { holder in
                try await PostgresSession.withSession(endpoint, connectTimeout: 5) { waiter in
                    try await PostgresSession.withSession(endpoint, connectTimeout: 5) { _ in
                        let busy = try await source.sample()
                        // The monitor's own connection is not counted.
                        #expect(try value(busy, "connections") == idleConnections + 3)
                        #expect(try value(busy, "connections{db=\"devstack\"}") >= 3)
                        #expect(try value(busy, "connections_used") == (idleConnections + 3) / 20 * 100)

                        _ = try await holder.execute("CREATE TABLE held (id int)")
                        _ = try await holder.execute("BEGIN")
                        _ = try await holder.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE")
                        async let blocked = waiter.count("SELECT count(*) FROM held")
                        var waiting: [MonitorReading] = []
                        try await ServiceTestSupport.waitUntil("a connection waiting on the lock for a while", timeout: 10) {
                            waiting = (try? await source.sample()) ?? []
                            return (try? value(waiting, "lock_waits")) == 1 && ((try? value(waiting, "longest_query")) ?? 0) > 0.2
                        }
                        #expect(try value(waiting, "longest_query") < 10)
                        _ = try await holder.execute("COMMIT")
                        #expect(try await blocked == 0)
                    }
                }
            }
            let after = try await source.sample()
            #expect(try value(after, "lock_waits") == 0)
            #expect(try value(after, "connections") == idleConnections)
        }
    }

    @Test func redisMemoryAgainstMaxmemoryAndCommandsPerSecond() async throws {
        try await RedisTestServer.with { server in
            try await server.cli(["CONFIG", "SET", "maxmemory", "16mb"])
            let endpoint = try ServiceEndpoint(url: server.url, passwordFromEnvironment: server.password)
            let source = RedisMonitorSource(name: "redis", endpoint: endpoint, connectTimeout: 5)
            let firstStart = ContinuousClock.now
            let first = try await source.sample()
            let firstEnd = ContinuousClock.now
            #expect(try value(first, "maxmemory") == 16 * 1024 * 1024)
            #expect(try value(first, "memory") == (try value(first, "used_memory")) / (16 * 1024 * 1024) * 100)
            #expect(try value(first, "connected_clients") == 0)
            #expect(!first.contains { $0.metric == "commands" })

            // About 4 MB of values: a quarter of maxmemory more.
            try await server.cli(["EVAL", "for i = 1, 4000 do redis.call('SET', 'k' .. i, string.rep('x', 1000)) end", "0"])
            let secondStart = ContinuousClock.now
            let second = try await source.sample()
            let between = Between(first: (firstStart, firstEnd), second: (secondStart, ContinuousClock.now))
            #expect(try value(second, "used_memory") - value(first, "used_memory") > 4_000_000)
            #expect(try value(second, "memory") > value(first, "memory") + 20)
            #expect(try value(second, "evicted_keys") == 0)
            // At least the EVAL, the CLI's AUTH, and the monitor's first INFO and second AUTH.
            let commands = try value(second, "commands")
            #expect(commands * between.longest >= 4)
        }
    }

    @Test func prometheusSeriesGaugesAsTheyAreCountersAsRates() async throws {
        let scrapes = ScrapeCount()
        let server = try await RecordingHTTPServer.start { path in
            guard path == "/metrics" else { return "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" }
            let n = Double(scrapes.next())
            let body = """
                # HELP requests_total Requests served.
                # TYPE requests_total counter
                requests_total \(1000 * n)
                # TYPE http_requests_total counter
                http_requests_total{code="200",method="GET"} \(10 * n)
                http_requests_total{code="500",method="GET"} \(3 * n)
                http_requests_total{method="POST",code="500"} \(2 * n) 1700000000000
                # TYPE pool_in_use gauge
                pool_in_use{pool="db"} 7
                pool_in_use{pool="cache"} 3
                # TYPE latency_seconds histogram
                latency_seconds_bucket{le="0.1"} \(3 * n)
                latency_seconds_bucket{le="+Inf"} \(4 * n)
                latency_seconds_count \(4 * n)
                latency_seconds_sum \(0.5 * n)
                escapes{path="a\\"b\\\\c,d}"} 1.5e1
                not a sample line
                saturation NaN

                """
            return "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        }
        try await stopping({ try await server.stop() }) {
            let series = try [
                "requests_total", "http_requests_total{code=\"500\"}", "pool_in_use{pool=\"db\"}", "latency_seconds_count",
                "escapes{path=\"a\\\"b\\\\c,d}\"}", "saturation", "not_on_the_page",
            ].map { try ValueRule.seriesSelector($0) }
            let source = PrometheusMonitorSource(
                name: "app", url: "http://scraper:s3cret@127.0.0.1:\(server.port)/metrics", series: series, connectTimeout: 5)

            let firstStart = ContinuousClock.now
            let first = try await source.sample()
            let firstEnd = ContinuousClock.now
            // Gauges at once (NaN is left out); counters need a second sample.
            #expect(first == [
                MonitorReading("pool_in_use{pool=\"db\"}", 7, .number), MonitorReading("escapes{path=\"a\\\"b\\\\c,d}\"}", 15, .number),
            ])
            let secondStart = ContinuousClock.now
            let second = try await source.sample()
            let between = Between(first: (firstStart, firstEnd), second: (secondStart, ContinuousClock.now))
            #expect(second.map(\.metric) == [
                "requests_total", "http_requests_total{code=\"500\"}", "pool_in_use{pool=\"db\"}", "latency_seconds_count",
                "escapes{path=\"a\\\"b\\\\c,d}\"}",
            ])
            #expect(second.filter { $0.unit == .perSecond }.count == 3)
            #expect(between.holds(try value(second, "requests_total"), increase: 1000))
            #expect(between.holds(try value(second, "http_requests_total{code=\"500\"}"), increase: 5))
            #expect(between.holds(try value(second, "latency_seconds_count"), increase: 4))

            // The URL's user and password go as basic authentication, and never into a message.
            #expect(server.requests.allSatisfy { $0.contains("Authorization: Basic \(Data("scraper:s3cret".utf8).base64EncodedString())") })
            let missing = PrometheusMonitorSource(
                name: "app", url: "http://scraper:s3cret@127.0.0.1:\(server.port)/nothing", series: series, connectTimeout: 5)
            await #expect { try await missing.sample() } throws: { error in
                "\(error)" == "HTTP 404 from http://scraper:***@127.0.0.1:\(server.port)/nothing, expected 200"
            }
        }
    }

    @Test func expositionLinesAndCounterTypes() {
        let page = PrometheusExposition(parsing: """
            # TYPE queue_depth gauge
            queue_depth 4
            # TYPE jobs counter
            jobs_total{kind="a"} 10
            jobs_total{kind="b"} 5 1700000000000
            # TYPE rpc summary
            rpc_count 3
            rpc_sum 1.5
            rpc{quantile="0.5"} 0.2
            up{job="x",} 1
            broken{a="unterminated} 1
            """)
        #expect(page.total(metric: "jobs_total", labels: [:]) == 15)
        #expect(page.total(metric: "jobs_total", labels: ["kind": "b"]) == 5)
        #expect(page.total(metric: "up", labels: ["job": "x"]) == 1)
        #expect(page.total(metric: "broken", labels: [:]) == nil)
        #expect(page.isCounter("jobs_total") && page.isCounter("rpc_count") && page.isCounter("rpc_sum"))
        #expect(!page.isCounter("queue_depth") && !page.isCounter("rpc") && !page.isCounter("up"))
    }
}
