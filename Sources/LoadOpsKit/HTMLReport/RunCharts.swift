/// The three charts of a run over time, drawn the same way by the report (from a results document)
/// and by the web UI (live): requests and failures per second; p50, p95 and p99; users, or for the open
/// model the target rate and the connections in use.
enum RunCharts {
    enum Palette {
        static let requests = "#2e7d32", failures = "#c62828", p50 = "#1f77b4", p95 = "#ff7f0e", p99 = "#8e44ad"
        static let users = "#37474f", target = "#607d8b", connections = "#00838f"
        static let cycle = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
    }

    /// - Parameters:
    ///   - targetRate: the open model's target rate when the buckets do not carry it (a run that kept none).
    ///   - baselineP95: drawn as a line on the latency chart.
    static func make(_ buckets: [ChartBuckets.Bucket], openModel: Bool, marks: [TimeChart.Mark],
                     targetRate: [(x: Double, y: Double)]? = nil, baselineP95: Double? = nil) -> [TimeChart] {
        let points = { (value: (ChartBuckets.Bucket) -> Double?) in
            buckets.compactMap { bucket in value(bucket).map { (x: bucket.elapsed, y: $0) } }
        }
        let throughput = TimeChart(title: "Requests and failures per second", unit: "req/s", series: [
            .init(name: "requests/s", points: points { $0.requestsPerSecond }, color: Palette.requests),
            .init(name: "failures/s", points: points { $0.failuresPerSecond }, color: Palette.failures),
        ], marks: marks)
        var latency = TimeChart(title: "Response times", unit: "ms", series: [
            .init(name: "p50", points: points { $0.p50 }, color: Palette.p50),
            .init(name: "p95", points: points { $0.p95 }, color: Palette.p95),
            .init(name: "p99", points: points { $0.p99 }, color: Palette.p99),
        ], marks: marks)
        if let baselineP95 { latency.horizontalLines = [(y: baselineP95, label: "baseline p95")] }
        let load = openModel
            ? TimeChart(title: "Target rate and connections in use", unit: "req/s, connections", series: [
                .init(name: "target rate (req/s)", points: targetRate ?? points { $0.targetRate }, color: Palette.target, dashed: true),
                .init(name: "connections in use", points: points { Double($0.users) }, color: Palette.connections),
            ], marks: marks)
            : TimeChart(title: "Users", unit: "users", series: [
                .init(name: "users", points: points { Double($0.users) }, color: Palette.users),
            ], marks: marks)
        return [throughput, latency, load]
    }
}
