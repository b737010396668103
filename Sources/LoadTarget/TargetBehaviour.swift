/// How the built-in target misbehaves, so that demos and tests meet the same
/// problems a real system under test has: slow answers, failures, throttling
/// and pauses.
///
/// Knobs apply to the API and echo routes only. `GET /health` and
/// `GET /__target/stats` are control routes: always answered at once, never
/// failed or throttled, so a run can check the target is up whatever the knobs say.
///
/// Order of decisions for every other request:
/// 1. rate limit: past `rateLimit` requests in the current one-second window → 429
///    (answered without latency, like an edge rate limiter);
/// 2. error injection: `errorRate` of the remaining requests → 500;
/// 3. routing: 200, 400 (id is not a UUID) or 405 (method not allowed); with `accounts`, 401
///    first for a request without a valid token; with `rememberSessions`, 201 for a created
///    session and 404 for an unknown one.
/// The 500 and routed answers wait for `latency`; every answer is held by a stall window.
///
/// `rememberSessions` and `accounts` make user flows testable: a value one request creates (a
/// session, a token) must come back in the next ones, or the target says 404 or 401 and counts it.
/// Both are off by default, and then cost nothing per request.
public struct TargetBehaviour: Sendable, Equatable {
    /// Delay added before answering.
    public var latency: TargetLatency
    /// Extra delay that grows with the server's age: each second since it started adds this much to
    /// every delayed answer (a target that slows down under a steady load). Nil: no growth.
    public var latencyGrowth: Duration?
    /// Fraction (0...1) of requests answered with 500. Counter based, not random:
    /// request n fails when `floor(n * rate)` grows, so 0.1 fails exactly every 10th.
    public var errorRate: Double
    /// Requests per second across the whole server; nil means unlimited.
    /// One-second fixed windows counted from server start.
    public var rateLimit: Int?
    /// Periodic pauses; nil means none.
    public var stall: TargetStall?
    /// Send `Connection: close` (and close) on every Nth counted response; nil means never.
    public var closeEvery: Int?
    /// Seed for the latency distribution, so runs can be repeated.
    public var seed: UInt64
    /// `POST /sessions/{uuid}` creates a session (201) that later requests must name:
    /// `GET /sessions/{uuid}`, `/patient_checkin/{uuid}` and `/pre_checkin/{uuid}` answer 404 for
    /// a session never created. Off: every UUID is answered 200, as if it existed.
    public var rememberSessions: Bool
    /// Accounts `POST /login` accepts. Not empty: every route but `/health`, `/__target/stats` and
    /// `/login` wants `Authorization: Bearer <token>` with a token from a login, or answers 401.
    public var accounts: [TargetAccount]
    /// The most sessions, and separately the most tokens, remembered at once; past it the oldest
    /// is forgotten first (and then answered 404 or 401 like one never made).
    public var rememberedLimit: Int

    public init(
        latency: TargetLatency = .none,
        latencyGrowth: Duration? = nil,
        errorRate: Double = 0,
        rateLimit: Int? = nil,
        stall: TargetStall? = nil,
        closeEvery: Int? = nil,
        seed: UInt64 = 0x5EED,
        rememberSessions: Bool = false,
        accounts: [TargetAccount] = [],
        rememberedLimit: Int = 1_000_000
    ) {
        self.latency = latency
        self.latencyGrowth = latencyGrowth
        self.errorRate = errorRate
        self.rateLimit = rateLimit
        self.stall = stall
        self.closeEvery = closeEvery
        self.seed = seed
        self.rememberSessions = rememberSessions
        self.accounts = accounts
        self.rememberedLimit = rememberedLimit
    }

    /// A well-behaved target: no delay, no errors, no limit, no stalls.
    public static let healthy = TargetBehaviour()

    /// Checks the knobs make sense together; the server refuses to start otherwise.
    public func validate() throws(TargetOptionError) {
        try latency.validate()
        if let latencyGrowth, latencyGrowth < .zero || latencyGrowth > .seconds(10) {
            throw TargetOptionError(option: "latency-growth", value: latencyGrowth.targetText,
                                    expected: "a delay added per second of the server's age, between 0ms and 10s, such as 5ms")
        }
        guard errorRate >= 0, errorRate <= 1, errorRate.isFinite else {
            throw TargetOptionError(option: "error-rate", value: "\(errorRate)", expected: "a fraction between 0 and 1, or a percentage such as 5%")
        }
        if let rateLimit, rateLimit < 1 {
            throw TargetOptionError(option: "rate-limit", value: "\(rateLimit)", expected: "a whole number of requests per second, at least 1")
        }
        if let stall {
            guard stall.every > .zero else {
                throw TargetOptionError(option: "stall-every", value: stall.every.targetText, expected: "a period greater than zero, such as 5s")
            }
            guard stall.duration > .zero, stall.duration < stall.every else {
                throw TargetOptionError(
                    option: "stall-for", value: stall.duration.targetText,
                    expected: "a pause greater than zero and shorter than --stall-every (\(stall.every.targetText))")
            }
        }
        if let closeEvery, closeEvery < 1 {
            throw TargetOptionError(option: "close-every", value: "\(closeEvery)", expected: "a whole number of responses, at least 1")
        }
        var usernames: Set<String> = []
        for account in accounts {
            try account.validate()
            guard usernames.insert(account.username).inserted else {
                throw TargetOptionError(option: "auth", value: account.description, expected: "each user name once")
            }
        }
        guard rememberedLimit >= 1 else {
            throw TargetOptionError(option: "remembered-limit", value: "\(rememberedLimit)", expected: "a whole number of sessions or tokens, at least 1")
        }
    }

    /// One line for humans, e.g. `latency 20ms, error rate 5%, rate limit 100 req/s, stall 1s every 5s`.
    public var summary: String {
        var parts: [String] = []
        parts.append(latency == .none ? "no latency" : "latency \(latency.targetText)")
        if let latencyGrowth {
            parts.append("latency growing \(latencyGrowth.targetText) a second")
        }
        parts.append(errorRate == 0 ? "no errors" : "error rate \(formatPercent(errorRate))")
        parts.append(rateLimit.map { "rate limit \($0) req/s" } ?? "no rate limit")
        if let stall {
            parts.append("stall \(stall.duration.targetText) every \(stall.every.targetText)")
        }
        if let closeEvery {
            parts.append("close every \(closeEvery) responses")
        }
        if rememberSessions {
            parts.append("sessions remembered")
        }
        if !accounts.isEmpty {
            parts.append("auth: \(accounts.count) \(accounts.count == 1 ? "account" : "accounts")")
        }
        return parts.joined(separator: ", ")
    }
}

/// Delay before the target answers.
public enum TargetLatency: Sendable, Equatable {
    case none
    /// Always the same delay.
    case fixed(Duration)
    /// Uniformly spread between the two bounds (inclusive).
    case uniform(min: Duration, max: Duration)
    /// Normal (Gaussian) around `mean` with standard deviation `stddev`,
    /// cut at zero: samples below zero become zero. Simple, and enough to give
    /// percentiles that differ from the mean.
    case normal(mean: Duration, stddev: Duration)

    func validate() throws(TargetOptionError) {
        switch self {
        case .none:
            return
        case .fixed(let delay):
            guard delay >= .zero else {
                throw TargetOptionError(option: "latency", value: targetText, expected: "a delay of zero or more")
            }
        case .uniform(let low, let high):
            guard low >= .zero, high >= low else {
                throw TargetOptionError(option: "latency", value: targetText, expected: "a range MIN-MAX with 0 <= MIN <= MAX, such as 10ms-50ms")
            }
        case .normal(let mean, let stddev):
            guard mean >= .zero, stddev >= .zero else {
                throw TargetOptionError(option: "latency", value: targetText, expected: "normal:MEAN,STDDEV with both zero or more, such as normal:50ms,10ms")
            }
        }
    }

    /// The same syntax `TargetLatency.parse` reads.
    public var targetText: String {
        switch self {
        case .none: return "0ms"
        case .fixed(let delay): return delay.targetText
        case .uniform(let low, let high): return "\(low.targetText)-\(high.targetText)"
        case .normal(let mean, let stddev): return "normal:\(mean.targetText),\(stddev.targetText)"
        }
    }
}

/// Every `every` since the server started, the target pauses for `duration`:
/// with every=5s and duration=1s the windows are [5s, 6s), [10s, 11s), …
/// A response due inside a window is sent when the window ends.
public struct TargetStall: Sendable, Equatable {
    public var every: Duration
    public var duration: Duration

    public init(every: Duration, duration: Duration) {
        self.every = every
        self.duration = duration
    }
}

func formatPercent(_ fraction: Double) -> String {
    let percent = fraction * 100
    if percent == percent.rounded() {
        return "\(Int(percent))%"
    }
    return "\(percent)%"
}
