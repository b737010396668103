import DurationSyntax

/// A behaviour option that could not be read or does not make sense.
public struct TargetOptionError: Error, CustomStringConvertible, Equatable {
    /// The option name without dashes, e.g. `latency`.
    public var option: String
    /// What the user gave.
    public var value: String
    /// What would have been accepted.
    public var expected: String

    public init(option: String, value: String, expected: String) {
        self.option = option
        self.value = value
        self.expected = expected
    }

    public var description: String {
        "--\(option): cannot use '\(value)': expected \(expected)"
    }
}

// The small text syntax used by `loadops target` flags. Parsed here rather than in LoadOpsKit so
// the target stays a standalone module; durations are read by the one duration parser every
// loadops command uses (DurationSyntax), so `1m` and `1h30m` mean the same everywhere.

extension TargetLatency {
    /// Reads `20ms`, `1.5s`, `1m`, `10ms-50ms` (uniform), `normal:50ms,10ms` (mean, stddev), or `0` / `none`.
    public static func parse(_ text: String) throws(TargetOptionError) -> TargetLatency {
        let expected = "a delay such as 20ms or 1m, a uniform range such as 10ms-50ms, or normal:MEAN,STDDEV such as normal:50ms,10ms"
        let trimmed = text.trimmedForOption
        let failure = TargetOptionError(option: "latency", value: text, expected: expected)
        if trimmed == "none" || trimmed == "0" {
            return .none
        }
        let latency: TargetLatency
        if trimmed.hasPrefix("normal:") {
            let parts = trimmed.dropFirst("normal:".count).split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2,
                let mean = Duration.parseTarget(String(parts[0])),
                let stddev = Duration.parseTarget(String(parts[1]))
            else { throw failure }
            latency = .normal(mean: mean, stddev: stddev)
        } else if trimmed.contains("-") {
            let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2,
                let low = Duration.parseTarget(String(parts[0])),
                let high = Duration.parseTarget(String(parts[1]))
            else { throw failure }
            latency = .uniform(min: low, max: high)
        } else {
            guard let delay = Duration.parseTarget(trimmed) else { throw failure }
            latency = .fixed(delay)
        }
        do {
            try latency.validate()
        } catch {
            throw TargetOptionError(option: "latency", value: text, expected: error.expected)
        }
        return latency
    }
}

/// Reads a duration option such as `5s`, `250ms`, `1.5s` or `1m`.
public func parseTargetDuration(_ text: String, option: String) throws(TargetOptionError) -> Duration {
    guard let duration = Duration.parseTarget(text.trimmedForOption) else {
        throw TargetOptionError(option: option, value: text, expected: "a duration such as 5s, 250ms, 1.5s or 1m, at most \(Duration.targetLimitText)")
    }
    return duration
}

/// Reads an error rate as a fraction (`0.05`) or a percentage (`5%`).
public func parseTargetErrorRate(_ text: String) throws(TargetOptionError) -> Double {
    let trimmed = text.trimmedForOption
    let failure = TargetOptionError(option: "error-rate", value: text, expected: "a fraction between 0 and 1 such as 0.05, or a percentage such as 5%")
    let rate: Double
    if trimmed.hasSuffix("%") {
        guard let percent = Double(trimmed.dropLast()) else { throw failure }
        rate = percent / 100
    } else {
        guard let fraction = Double(trimmed) else { throw failure }
        rate = fraction
    }
    guard rate.isFinite, rate >= 0, rate <= 1 else { throw failure }
    return rate
}

/// Reads a rate limit in requests per second (a whole number, at least 1).
public func parseTargetRateLimit(_ text: String) throws(TargetOptionError) -> Int {
    guard let limit = Int(text.trimmedForOption), limit >= 1 else {
        throw TargetOptionError(option: "rate-limit", value: text, expected: "a whole number of requests per second, at least 1, such as 100")
    }
    return limit
}

/// Reads `--auth USER:PASSWORD`: the user name ends at the first colon, so a password may hold
/// colons. Errors never repeat the password.
public func parseTargetAccount(_ text: String) throws(TargetOptionError) -> TargetAccount {
    guard let colon = text.firstIndex(of: ":") else {
        // Without a colon there is no telling which part is a password: show none of it.
        throw TargetOptionError(option: "auth", value: "(hidden)", expected: "USER:PASSWORD with a colon between them, such as --auth alice:secret")
    }
    let account = TargetAccount(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
    try account.validate()
    return account
}

extension TargetAccount {
    func validate() throws(TargetOptionError) {
        guard !username.isEmpty, !username.contains(":") else {
            throw TargetOptionError(option: "auth", value: description,
                                    expected: "USER:PASSWORD with a user name before the colon, such as --auth alice:secret")
        }
        guard !password.isEmpty else {
            throw TargetOptionError(option: "auth", value: "\(username):", expected: "a password after the colon, such as --auth \(username):secret")
        }
    }
}

extension Duration {
    /// What `DurationParser` reads (`250us`, `20ms`, `1.5s`, `1m`, `1h30m`, or seconds), as a
    /// `Duration`. Nil when unreadable, or longer than a day: a delay past that is a typo, and
    /// nanoseconds past 1e15 would not fit the target's timers.
    static func parseTarget(_ text: String) -> Duration? {
        guard let seconds = try? DurationParser.seconds(from: text), seconds <= targetLimitSeconds else { return nil }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    static let targetLimitSeconds: Double = 86_400
    static let targetLimitText = "1 day (24h)"

    var targetNanoseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }

    /// Shortest exact spelling: `5s`, `250ms`, `1500us`.
    var targetText: String {
        let nanoseconds = targetNanoseconds
        if nanoseconds == 0 { return "0ms" }
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        if nanoseconds % 1_000_000 == 0 { return "\(nanoseconds / 1_000_000)ms" }
        if nanoseconds % 1_000 == 0 { return "\(nanoseconds / 1_000)us" }
        return "\(Double(nanoseconds) / 1e6)ms"
    }
}

extension String {
    fileprivate var trimmedForOption: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
