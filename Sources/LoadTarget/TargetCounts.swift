/// What the target has answered so far. `GET /__target/stats` is not counted.
///
/// Route keys are `METHOD template`, e.g. `GET /sessions/{id}`, `POST /pre_checkin/{id}`,
/// `GET /health`; methods other than GET and POST on a known route share `OTHER /…`;
/// everything else is `echo`.
public struct TargetCounts: Sendable, Equatable, CustomStringConvertible {
    public var total: Int
    public var byStatus: [Int: Int]
    public var byRoute: [String: Int]
    /// Nil unless the target remembers sessions.
    public var sessions: TargetSessionCounts?
    /// Nil unless the target has accounts (`--auth`).
    public var auth: TargetAuthCounts?

    public init(
        total: Int = 0, byStatus: [Int: Int] = [:], byRoute: [String: Int] = [:],
        sessions: TargetSessionCounts? = nil, auth: TargetAuthCounts? = nil
    ) {
        self.total = total
        self.byStatus = byStatus
        self.byRoute = byRoute
        self.sessions = sessions
        self.auth = auth
    }

    /// `requests served: N (200: a, 429: b, 500: c)`, statuses in ascending order, then the
    /// session and login counts when those are on.
    public var description: String {
        let statuses = byStatus.keys.sorted().map { "\($0): \(byStatus[$0] ?? 0)" }
        var text = "requests served: \(total)"
        if !statuses.isEmpty {
            text += " (\(statuses.joined(separator: ", ")))"
        }
        if let sessions {
            text += "; sessions: \(sessions.created) created, \(sessions.unknown) unknown"
        }
        if let auth {
            text += "; logins: \(auth.loginsAccepted) accepted, \(auth.loginsRefused) refused"
            text += "; requests without a valid token: \(auth.requestsRefused)"
        }
        return text
    }

    /// The body of `GET /__target/stats`, keys sorted so the output is stable.
    var json: String {
        let statuses = byStatus.keys.sorted().map { "\"\($0)\":\(byStatus[$0] ?? 0)" }
        let routes = byRoute.keys.sorted().map { "\(jsonString($0)):\(byRoute[$0] ?? 0)" }
        var text = "{\"total\":\(total),\"by_status\":{\(statuses.joined(separator: ","))},\"by_route\":{\(routes.joined(separator: ","))}"
        if let sessions {
            text += ",\"sessions\":{\"created\":\(sessions.created),\"unknown\":\(sessions.unknown),\"remembered\":\(sessions.remembered)}"
        }
        if let auth {
            text += ",\"auth\":{\"logins_accepted\":\(auth.loginsAccepted),\"logins_refused\":\(auth.loginsRefused)"
            text += ",\"requests_refused\":\(auth.requestsRefused)}"
        }
        return text + "}"
    }
}

/// Session memory as the target saw it (`/__target/stats` key `sessions`).
public struct TargetSessionCounts: Sendable, Equatable {
    /// `POST /sessions/{uuid}` answered 201 (creating a session again counts again).
    public var created: Int
    /// Requests answered 404 because their session was never created or has been forgotten.
    public var unknown: Int
    /// Sessions held now.
    public var remembered: Int

    public init(created: Int = 0, unknown: Int = 0, remembered: Int = 0) {
        self.created = created
        self.unknown = unknown
        self.remembered = remembered
    }
}

/// Logins and tokens as the target saw them (`/__target/stats` key `auth`).
public struct TargetAuthCounts: Sendable, Equatable {
    /// `POST /login` answered 200 with a token.
    public var loginsAccepted: Int
    /// `POST /login` answered 401: no such user or the wrong password.
    public var loginsRefused: Int
    /// Other requests answered 401 for a missing, unknown or forgotten token.
    public var requestsRefused: Int

    public init(loginsAccepted: Int = 0, loginsRefused: Int = 0, requestsRefused: Int = 0) {
        self.loginsAccepted = loginsAccepted
        self.loginsRefused = loginsRefused
        self.requestsRefused = requestsRefused
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
