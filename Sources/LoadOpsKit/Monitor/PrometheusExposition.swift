import Foundation

/// The samples of a `/metrics` page in the Prometheus text exposition format (0.0.4; OpenMetrics
/// pages read the same way): `name{label="value",...} value [timestamp]` lines, with `# TYPE`
/// lines saying which metric families are counters.
struct PrometheusExposition: Equatable {
    struct Sample: Equatable {
        var metric: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample] = []
    /// `# TYPE` per metric family: `counter`, `gauge`, `histogram`, `summary`, `untyped`.
    var types: [String: String] = [:]

    /// Lines that are not samples (a broken exporter, a truncated page) are skipped: one bad line
    /// must not hide every other series.
    init(parsing text: String) {
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let words = line.split(separator: " ", omittingEmptySubsequences: true)
                if words.count >= 4, words[1] == "TYPE" { types[String(words[2])] = String(words[3]) }
                continue
            }
            if let sample = Self.sample(Substring(line)) { samples.append(sample) }
        }
    }

    /// Whether a series only goes up, so that its rate is what matters: a counter (by its `# TYPE`
    /// or its `_total` name), or the `_count`, `_sum` and `_bucket` series of a histogram or summary.
    func isCounter(_ metric: String) -> Bool {
        if types[metric] == "counter" || metric.hasSuffix("_total") { return true }
        for suffix in ["_count", "_sum", "_bucket"] where metric.hasSuffix(suffix) {
            if let type = types[String(metric.dropLast(suffix.count))], type == "histogram" || type == "summary" { return true }
        }
        return false
    }

    /// The sum of the samples of `metric` that carry every one of `labels` with its value; nil when
    /// none does.
    func total(metric: String, labels: [String: String]) -> Double? {
        let matching = samples.filter { sample in
            sample.metric == metric && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    // MARK: line syntax

    static func sample(_ line: Substring) -> Sample? {
        guard let (metric, afterName) = metricName(line) else { return nil }
        var rest = afterName
        var labels: [String: String] = [:]
        if rest.first == "{" {
            guard let (parsed, afterLabels) = labelSet(rest) else { return nil }
            labels = parsed
            rest = afterLabels
        }
        // The value, then an optional timestamp, which the monitor does not need.
        guard let valueText = rest.split(separator: " ", omittingEmptySubsequences: true).first,
            let value = number(valueText)
        else { return nil }
        return Sample(metric: metric, labels: labels, value: value)
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` at the start, and the rest.
    static func metricName(_ text: Substring) -> (String, Substring)? {
        guard let first = text.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return nil }
        let name = text.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
        return (String(name), text[name.endIndex...])
    }

    /// `{a="x",b="y\"z"}` at the start (quoted values with `\\`, `\"`, `\n` escapes, an optional
    /// trailing comma), and the rest.
    static func labelSet(_ text: Substring) -> ([String: String], Substring)? {
        guard text.first == "{" else { return nil }
        var labels: [String: String] = [:]
        var rest = text.dropFirst()
        while true {
            rest = rest.drop { $0 == " " }
            if rest.first == "}" { return (labels, rest.dropFirst()) }
            let name = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            guard !name.isEmpty else { return nil }
            rest = rest[name.endIndex...].drop { $0 == " " }
            guard rest.first == "=" else { return nil }
            rest = rest.dropFirst().drop { $0 == " " }
            guard rest.first == "\"" else { return nil }
            rest = rest.dropFirst()
            var value = ""
            var escaped = false
            var closed = false
            while let character = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    value.append(character == "n" ? "\n" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    closed = true
                    break
                } else {
                    value.append(character)
                }
            }
            guard closed else { return nil }
            labels[String(name)] = value
            rest = rest.drop { $0 == " " }
            if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { return nil }
        }
    }

    /// A sample value: a decimal or exponent number, `+Inf`, `-Inf`, `NaN`.
    static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else { return nil }
            return Double(text)
        }
    }
}
