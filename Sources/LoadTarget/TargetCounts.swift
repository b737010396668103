/// What the target has answered so far. `GET /__target/stats` is not counted.
///
/// Route keys are `METHOD template`, e.g. `GET /sessions/{id}`, `POST /pre_checkin/{id}`,
/// `GET /health`; methods other than GET and POST on a known route share `OTHER /…`;
/// everything else is `echo`.
public struct TargetCounts: Sendable, Equatable, CustomStringConvertible {
    public var total: Int
    public var byStatus: [Int: Int]
    public var byRoute: [String: Int]

    public init(total: Int = 0, byStatus: [Int: Int] = [:], byRoute: [String: Int] = [:]) {
        self.total = total
        self.byStatus = byStatus
        self.byRoute = byRoute
    }

    /// `requests served: N (200: a, 429: b, 500: c)`, statuses in ascending order.
    public var description: String {
        let statuses = byStatus.keys.sorted().map { "\($0): \(byStatus[$0] ?? 0)" }
        if statuses.isEmpty {
            return "requests served: \(total)"
        }
        return "requests served: \(total) (\(statuses.joined(separator: ", ")))"
    }

    /// The body of `GET /__target/stats`, keys sorted so the output is stable.
    var json: String {
        let statuses = byStatus.keys.sorted().map { "\"\($0)\":\(byStatus[$0] ?? 0)" }
        let routes = byRoute.keys.sorted().map { "\(jsonString($0)):\(byRoute[$0] ?? 0)" }
        return "{\"total\":\(total),\"by_status\":{\(statuses.joined(separator: ","))},\"by_route\":{\(routes.joined(separator: ","))}}"
    }
}

/// A JSON string literal, escaping what JSON requires.
func jsonString(_ text: String) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    out += "\""
    return out
}
