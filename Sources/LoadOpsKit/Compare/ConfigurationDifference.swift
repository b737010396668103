import Foundation

/// Whether two runs were measured under the same conditions. A percentage change between an
/// open-model run at 141 req/s and a closed-model baseline at 26 users says nothing about the
/// service, so the comparison names what differs instead of letting the table speak alone.
///
/// Compared: the host, the load model, the load settings that shape the traffic (users, spawn rate,
/// think time, rate, stages, connection cap), the endpoints and flow steps (by method and name) and the
/// flows (by name). Durations and
/// timeouts are left out: a shorter run of the same load is still comparable.
public enum ConfigurationDifference {
    /// One line per difference, e.g. `load model: open (current) vs closed (baseline)`; empty when comparable.
    public static func between(current: ResultsDocument, baseline: ResultsDocument) -> [String] {
        var differences: [String] = []
        func differ(_ what: String, _ now: String, _ before: String) {
            if now != before { differences.append("\(what): \(now) (current) vs \(before) (baseline)") }
        }
        differ("host", current.host, baseline.host)
        differ("load model", current.load.model, baseline.load.model)
        if current.load.model == baseline.load.model {
            differ("load", describe(current.load), describe(baseline.load))
        }
        func differ(_ what: String, _ now: Set<String>, _ before: Set<String>) {
            guard now != before else { return }
            var parts: [String] = []
            let added = now.subtracting(before).sorted()
            let removed = before.subtracting(now).sorted()
            if !added.isEmpty { parts.append("only in the current run: " + added.joined(separator: ", ")) }
            if !removed.isEmpty { parts.append("only in the baseline: " + removed.joined(separator: ", ")) }
            differences.append("\(what): " + parts.joined(separator: "; "))
        }
        differ("endpoints", Set(current.endpoints.map { "\($0.method) \($0.name)" }),
               Set(baseline.endpoints.map { "\($0.method) \($0.name)" }))
        differ("flows", Set((current.flows ?? []).map(\.name)), Set((baseline.flows ?? []).map(\.name)))
        return differences
    }

    /// The load settings that shape the traffic, as one comparable phrase.
    static func describe(_ load: ResultsDocument.Load) -> String {
        var parts: [String] = []
        if load.model == LoadModel.open.rawValue {
            if let rate = load.rate { parts.append("\(ReportNumber.decimal(rate)) req/s") }
            parts.append("up to \(load.maxConnections) connections")
        } else {
            parts += load.closedModelSettings
        }
        if !load.stages.isEmpty {
            parts.append("stages " + load.stages.map {
                "\(ReportNumber.decimal($0.duration)) s \($0.ramp ? "ramp to" : "at") \(ReportNumber.decimal($0.target))"
            }.joined(separator: ", "))
        }
        return parts.joined(separator: ", ")
    }
}

extension ResultsDocument.Load {
    /// `10 users`, `spawn rate 5/s`, `think time 1-3 s`: the closed model's settings as people read them.
    var closedModelSettings: [String] {
        var parts = ["\(users) users", "spawn rate \(ReportNumber.decimal(spawnRate))/s"]
        if let thinkTime {
            parts.append("think time \(ReportNumber.decimal(thinkTime.min))-\(ReportNumber.decimal(thinkTime.max)) s")
        }
        return parts
    }
}
