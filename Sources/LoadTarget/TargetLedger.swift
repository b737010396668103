import Foundation

/// The target's shared mutable state: counters, the rate-limit window, the error
/// pattern and the latency random source. Kept under one lock and touched once per
/// request, so one acquisition decides and counts the answer.
struct TargetLedger {
    enum Outcome {
        /// 429: over the rate limit.
        case throttled
        /// 500: injected failure.
        case failed
        /// What the route answers (200, 400 or 405).
        case routed
    }

    struct Admission {
        var outcome: Outcome
        /// Delay before answering, before stall windows are applied.
        var latencyNanoseconds: Int64
        /// Close the connection after this response (`closeEvery`).
        var closeConnection: Bool
    }

    /// What a routed answer tells about a user flow, counted apart from its status.
    enum FlowEvent: Int, CaseIterable {
        case sessionCreated
        case sessionUnknown
        case loginAccepted
        case loginRefused
        case requestRefused
    }

    private let behaviour: TargetBehaviour
    private var total = 0
    private var flowEventCounts = [Int](repeating: 0, count: FlowEvent.allCases.count)
    /// Indexed by status code; arrays rather than dictionaries keep counting cheap.
    private var statusCounts = [Int](repeating: 0, count: 600)
    private var routeCounts = [Int](repeating: 0, count: TargetRoute.allCases.count * TargetMethodClass.allCases.count)
    private var limiterWindow: Int64 = -1
    private var limiterCount = 0
    /// Requests that passed the rate limit; drives the error pattern.
    private var admittedCount = 0
    private var random: SplitMix64

    init(behaviour: TargetBehaviour) {
        self.behaviour = behaviour
        self.random = SplitMix64(seed: behaviour.seed)
    }

    /// Counts a request on a control route (no knobs apply) and tells whether to close.
    mutating func recordControl(slot: Int, status: Int) -> Bool {
        record(slot: slot, status: status)
    }

    /// Decides the answer for a request on an API or echo route and counts it.
    /// `routedStatus` is what the route answers if neither throttled nor failed; `event`
    /// is counted only then too.
    mutating func admit(slot: Int, routedStatus: Int, event: FlowEvent? = nil, elapsedNanoseconds: Int64) -> Admission {
        if let limit = behaviour.rateLimit {
            let window = elapsedNanoseconds / 1_000_000_000
            if window != limiterWindow {
                limiterWindow = window
                limiterCount = 0
            }
            limiterCount += 1
            if limiterCount > limit {
                let close = record(slot: slot, status: 429)
                return Admission(outcome: .throttled, latencyNanoseconds: 0, closeConnection: close)
            }
        }
        admittedCount += 1
        let outcome: Outcome = injectsFailure(requestNumber: admittedCount) ? .failed : .routed
        let close = record(slot: slot, status: outcome == .failed ? 500 : routedStatus)
        if outcome == .routed, let event {
            flowEventCounts[event.rawValue] += 1
        }
        return Admission(outcome: outcome, latencyNanoseconds: sampleLatency(), closeConnection: close)
    }

    func snapshot() -> TargetCounts {
        var byStatus: [Int: Int] = [:]
        for (status, count) in statusCounts.enumerated() where count > 0 {
            byStatus[status] = count
        }
        var byRoute: [String: Int] = [:]
        for route in TargetRoute.allCases {
            for method in TargetMethodClass.allCases {
                let count = routeCounts[route.rawValue * TargetMethodClass.allCases.count + method.rawValue]
                guard count > 0 else { continue }
                let key = route == .echo ? route.template : "\(method.label) \(route.template)"
                byRoute[key, default: 0] += count
            }
        }
        var counts = TargetCounts(total: total, byStatus: byStatus, byRoute: byRoute)
        if behaviour.rememberSessions {
            // `remembered` is the session memory's to say; `TargetCore.counts` fills it in.
            counts.sessions = TargetSessionCounts(
                created: flowEventCounts[FlowEvent.sessionCreated.rawValue], unknown: flowEventCounts[FlowEvent.sessionUnknown.rawValue])
        }
        if !behaviour.accounts.isEmpty {
            counts.auth = TargetAuthCounts(
                loginsAccepted: flowEventCounts[FlowEvent.loginAccepted.rawValue],
                loginsRefused: flowEventCounts[FlowEvent.loginRefused.rawValue],
                requestsRefused: flowEventCounts[FlowEvent.requestRefused.rawValue])
        }
        return counts
    }

    private mutating func record(slot: Int, status: Int) -> Bool {
        total += 1
        if status >= 0, status < statusCounts.count {
            statusCounts[status] += 1
        }
        routeCounts[slot] += 1
        if let closeEvery = behaviour.closeEvery {
            return total % closeEvery == 0
        }
        return false
    }

    /// Request n fails when floor(n * rate) steps up: an even spread with exactly
    /// floor(N * rate) failures among the first N requests.
    private func injectsFailure(requestNumber: Int) -> Bool {
        let rate = behaviour.errorRate
        guard rate > 0 else { return false }
        return (Double(requestNumber) * rate).rounded(.down) > (Double(requestNumber - 1) * rate).rounded(.down)
    }

    private mutating func sampleLatency() -> Int64 {
        switch behaviour.latency {
        case .none:
            return 0
        case .fixed(let delay):
            return delay.targetNanoseconds
        case .uniform(let low, let high):
            let lowNanoseconds = low.targetNanoseconds
            let span = UInt64(max(0, high.targetNanoseconds - lowNanoseconds))
            return lowNanoseconds + Int64(random.next() % (span + 1))
        case .normal(let mean, let stddev):
            // Box-Muller with 53-bit uniforms; u1 is in (0, 1] so log stays finite.
            let unit = 9_007_199_254_740_992.0  // 2^53
            let u1 = (Double(random.next() >> 11) + 1) / unit
            let u2 = Double(random.next() >> 11) / unit
            let standard = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            let sample = Double(mean.targetNanoseconds) + standard * Double(stddev.targetNanoseconds)
            return Int64(max(0, sample))
        }
    }
}

/// Small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// When a response due `dueNanoseconds` after start may be sent, given the stall windows
/// [k·every, k·every + duration) for k ≥ 1: inside a window it waits for the window's end.
func stallAdjusted(dueNanoseconds: Int64, stall: TargetStall?) -> Int64 {
    guard let stall else { return dueNanoseconds }
    let every = stall.every.targetNanoseconds
    let duration = stall.duration.targetNanoseconds
    guard every > 0, dueNanoseconds >= every else { return dueNanoseconds }
    let windowStart = (dueNanoseconds / every) * every
    if dueNanoseconds < windowStart + duration {
        return windowStart + duration
    }
    return dueNanoseconds
}
