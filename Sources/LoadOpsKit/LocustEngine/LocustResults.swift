import Foundation

/// Locust's own output read back into loadops's measures: the final statistics of `--json-file`
/// (exact counts and Locust's response-time buckets per endpoint), the failures of `_failures.csv`
/// (by error), and the per-second rows of `_stats_history.csv` (the time series, and the live
/// progress while Locust runs).
///
/// Locust rewrites its CSV statistics once a second, so at the end they may miss the last moment;
/// the JSON is written once, at shutdown, after the workers' final reports: its counts are the ones kept.
enum LocustResults {
    /// One entry of `--json-file` (Locust's `serialize_stats`).
    struct JSONEntry: Decodable {
        var name: String
        var method: String?
        var num_requests: UInt64
        var num_failures: UInt64
        var total_content_length: UInt64?
        var min_response_time: Double?
        var max_response_time: Double?
        var start_time: Double?
        var last_request_timestamp: Double?
        /// Rounded milliseconds (as text) to how many responses took that long.
        var response_times: [String: UInt64]
    }

    static func readJSON(_ path: String) throws(LocustEngineError) -> [JSONEntry] {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return try JSONDecoder().decode([JSONEntry].self, from: data)
        } catch let error as DecodingError {
            throw .noResults(path: path, reason: "not Locust's statistics JSON (\(error))")
        } catch {
            throw .noResults(path: path, reason: FileErrorReason.text(error))
        }
    }

    /// Per endpoint, in the configuration's order (entries Locust reported under other names follow).
    static func endpoints(_ entries: [JSONEntry], failures: [EndpointKey: [FailureKind: UInt64]],
                          keys: [EndpointKey]) -> [EndpointStatistics] {
        var statistics = keys.map { EndpointStatistics(key: $0) }
        for entry in entries {
            let key = EndpointKey(method: entry.method ?? "", name: entry.name)
            var endpoint = EndpointStatistics(key: key)
            endpoint.requests = entry.num_requests
            endpoint.failures = min(entry.num_failures, entry.num_requests)
            endpoint.contentBytes = entry.total_content_length ?? 0
            endpoint.latency = histogram(entry)
            endpoint.uncorrected = endpoint.latency
            endpoint.failuresByKind = kinds(failures[key] ?? [:], total: endpoint.failures)
            if let index = statistics.firstIndex(where: { $0.key == key }) {
                statistics[index].add(endpoint)
            } else {
                statistics.append(endpoint)
            }
        }
        return statistics
    }

    /// Locust's buckets as a latency histogram (microseconds), with its exact minimum and maximum.
    static func histogram(_ entry: JSONEntry) -> LatencyHistogram {
        var histogram = LatencyHistograms.make()
        var buckets = entry.response_times.compactMap { key, count in Double(key).map { (milliseconds: $0, count: count) } }
            .filter { $0.count > 0 }.sorted { $0.milliseconds < $1.milliseconds }
        guard !buckets.isEmpty else { return histogram }
        // Locust's buckets are rounded (the 0 bucket holds everything under 0.5 ms): kept within the exact extremes.
        let lowest = entry.min_response_time ?? 0
        let highest = entry.max_response_time ?? Double(LatencyHistograms.highestTrackableMicroseconds) / 1000
        func microseconds(_ milliseconds: Double) -> UInt64 {
            let clamped = min(max(milliseconds, lowest), max(highest, lowest))
            return UInt64(min(max(clamped * 1000, 0), Double(LatencyHistograms.highestTrackableMicroseconds)).rounded())
        }
        // One response in the lowest and the highest bucket is the exact minimum and maximum.
        if let maximum = entry.max_response_time {
            buckets[buckets.count - 1].count -= 1
            _ = histogram.record(microseconds(maximum))
        }
        if let minimum = entry.min_response_time, buckets[0].count > 0 {
            buckets[0].count -= 1
            _ = histogram.record(microseconds(minimum))
        }
        for bucket in buckets where bucket.count > 0 {
            _ = histogram.record(microseconds(bucket.milliseconds), count: bucket.count)
        }
        return histogram
    }

    /// Failures by kind as Locust's failures file had them, topped up to the final count: what
    /// happened after its last rewrite is counted with the most frequent kind.
    static func kinds(_ counted: [FailureKind: UInt64], total: UInt64) -> [FailureKind: UInt64] {
        var kinds = counted
        var sum = kinds.values.reduce(0, +)
        while sum > total, let largest = kinds.max(by: { $0.value < $1.value }) {
            let cut = min(largest.value, sum - total)
            kinds[largest.key] = largest.value - cut
            if kinds[largest.key] == 0 { kinds[largest.key] = nil }
            sum -= cut
        }
        if sum < total {
            let kind = kinds.max(by: { $0.value < $1.value })?.key ?? .other("failed in Locust")
            kinds[kind, default: 0] += total - sum
        }
        return kinds
    }

    /// `PREFIX_failures.csv`: per endpoint, the failures by kind. A missing file is no failures.
    static func failures(_ path: String) -> [EndpointKey: [FailureKind: UInt64]] {
        guard FileManager.default.fileExists(atPath: path), let table = try? CSVTable.read(path),
              let columns = try? table.columnIndexes(["Method", "Name", "Error", "Occurrences"], path: path) else { return [:] }
        var result: [EndpointKey: [FailureKind: UInt64]] = [:]
        for row in table.rows {
            guard let reader = try? LocustCSVImporter.RowReader(row: row, columns: columns, fieldCount: table.header.count, path: path),
                  let count = try? reader.count("Occurrences") else { continue }
            let key = EndpointKey(method: reader.text("Method"), name: reader.text("Name"))
            result[key, default: [:]][kind(ofError: reader.text("Error")), default: 0] += count
        }
        return result
    }

    /// Locust's error text (`CatchResponseError('HTTPError: 503')`) as a failure kind.
    static func kind(ofError text: String) -> FailureKind {
        if let range = text.range(of: "HTTPError: ") {
            let digits = text[range.upperBound...].prefix { $0.isNumber }
            if let code = Int(digits) { return .httpStatus(code) }
        }
        let lower = text.lowercased()
        if lower.contains("refused") { return .connectionRefused }
        if lower.contains("reset by peer") || lower.contains("connectionreset") { return .connectionReset }
        if lower.contains("timed out") || lower.contains("timeout") { return .timeout }
        if lower.contains("ssl") || lower.contains("certificate") { return .tls(cleaned(text)) }
        return .other(cleaned(text))
    }

    /// `CatchResponseError('ConnectionError: x')` → `ConnectionError: x`.
    private static func cleaned(_ text: String) -> String {
        var inner = Substring(text)
        if let open = inner.firstIndex(of: "("), inner.hasSuffix(")") {
            inner = inner[inner.index(after: open)..<inner.index(before: inner.endIndex)]
            if inner.count >= 2, let first = inner.first, first == inner.last, first == "'" || first == "\"" {
                inner = inner.dropFirst().dropLast()
            }
        }
        return String(inner.prefix(300))
    }

    /// The `Aggregated` rows of `PREFIX_stats_history.csv` written so far (a line still being written
    /// is left for the next read); rows before the first user are left out.
    static func history(_ path: String) -> [SecondSnapshot] {
        // Bytes, not characters: Locust ends its lines with CRLF, which Swift reads as one character.
        guard let data = FileManager.default.contents(atPath: path), let lastNewline = data.lastIndex(of: UInt8(ascii: "\n")),
              let text = String(data: data[...lastNewline], encoding: .utf8) else { return [] }
        guard var rows = try? CSVText.parse(text), !rows.isEmpty else { return [] }
        let header = rows.removeFirst()
        let table = CSVTable(header: header.fields.map { $0.trimmingCharacters(in: .whitespaces) }, rows: rows)
        let points = (try? LocustCSVImporter.parseHistory(table, path: path)) ?? []
        guard let first = points.firstIndex(where: { $0.users > 0 || $0.totalRequests > 0 }) else { return [] }
        // Locust's Requests/s column is often 0 in headless runs: the rates are the rows' own counts over their interval.
        var kept = Array(points[first...])
        for index in kept.indices {
            let seconds = index == kept.startIndex ? 1 : max(kept[index].timestamp - kept[index - 1].timestamp, 1)
            kept[index].requestsPerSecond = Double(kept[index].requests) / seconds
            kept[index].failuresPerSecond = Double(kept[index].failures) / seconds
        }
        return kept
    }
}
