/// The open model's arrivals: when the n-th request of the run is due. Rates are piecewise
/// constant (steps) or linear (ramps), so arrival times are exact, not drawn from a timer.
public struct ArrivalRateSchedule: Sendable, Equatable {
    struct Segment: Sendable, Equatable {
        var start: Double
        var duration: Double
        var fromRate: Double
        var toRate: Double
        /// Arrivals due before this segment starts.
        var arrivalsBefore: Double

        var arrivals: Double { (fromRate + toRate) / 2 * duration }
    }

    let segments: [Segment]
    /// Arrivals in the whole run.
    public let totalArrivals: Int
    public let duration: Double

    /// A constant `rate` (requests per second) for `duration` seconds, or the stages' steps and ramps.
    public init(rate: Double, duration: Double, stages: [LoadStage] = []) {
        var segments: [Segment] = []
        var start = 0.0
        var before = 0.0
        if stages.isEmpty {
            segments.append(Segment(start: 0, duration: duration, fromRate: rate, toRate: rate, arrivalsBefore: 0))
            start = duration
        } else {
            var previous = 0.0
            for stage in stages where stage.duration > 0 {
                let from = stage.ramp ? previous : stage.target
                let segment = Segment(start: start, duration: stage.duration, fromRate: from, toRate: stage.target, arrivalsBefore: before)
                segments.append(segment)
                start += stage.duration
                before += segment.arrivals
                previous = stage.target
            }
        }
        self.init(segments: segments, duration: start)
    }

    private init(segments: [Segment], duration: Double) {
        self.segments = segments
        self.duration = duration
        // Arrival n is due when n arrivals have been scheduled; those due before the end are sent.
        let arrivals = segments.last.map { $0.arrivalsBefore + $0.arrivals } ?? 0
        self.totalArrivals = Int((arrivals - 1e-9).rounded(.up))
    }

    /// This schedule until `elapsed`, then `newRate` until the same end: the arrivals due before the
    /// change keep their numbers and times, the later ones follow the new rate.
    public func changingRate(to newRate: Double, at elapsed: Double) -> ArrivalRateSchedule {
        let cut = min(max(elapsed, 0), duration)
        var kept: [Segment] = []
        for var segment in segments where segment.start < cut {
            if segment.start + segment.duration > cut {
                segment.toRate = rate(at: cut)
                segment.duration = cut - segment.start
            }
            kept.append(segment)
        }
        if duration > cut {
            let before = kept.last.map { $0.arrivalsBefore + $0.arrivals } ?? 0
            kept.append(Segment(start: cut, duration: duration - cut, fromRate: newRate, toRate: newRate, arrivalsBefore: before))
        }
        return ArrivalRateSchedule(segments: kept, duration: duration)
    }

    /// Seconds from the start at which arrival `n` (0-based) is due.
    public func time(ofArrival n: Int) -> Double {
        let target = Double(n)
        var chosen = segments.last
        for segment in segments where target < segment.arrivalsBefore + segment.arrivals {
            chosen = segment
            break
        }
        guard let segment = chosen else { return duration }
        let inside = target - segment.arrivalsBefore
        let a = segment.fromRate
        let slope = (segment.toRate - segment.fromRate) / segment.duration
        if abs(slope) < 1e-12 {
            return a > 0 ? segment.start + inside / a : segment.start + segment.duration
        }
        // arrivals(τ) = a·τ + slope·τ²/2 = inside
        let discriminant = max(a * a + 2 * slope * inside, 0)
        let tau = (-a + discriminant.squareRoot()) / slope
        return segment.start + min(max(tau, 0), segment.duration)
    }

    /// Target rate (requests per second) at `elapsed` seconds.
    public func rate(at elapsed: Double) -> Double {
        for segment in segments where elapsed < segment.start + segment.duration {
            let fraction = (elapsed - segment.start) / segment.duration
            return segment.fromRate + (segment.toRate - segment.fromRate) * max(fraction, 0)
        }
        return 0
    }
}

/// The closed model's user count over time: the stages' targets (stepped or ramped),
/// approached no faster than the spawn rate, as Locust spawns users.
public struct UserCountSchedule: Sendable, Equatable {
    let users: Int
    let stages: [LoadStage]
    let spawnRate: Double

    public init(users: Int, spawnRate: Double, stages: [LoadStage]) {
        self.users = users
        self.spawnRate = spawnRate
        self.stages = stages
    }

    /// The stage's target at `elapsed` seconds, before the spawn rate limits it.
    public func target(at elapsed: Double) -> Double {
        guard !stages.isEmpty else { return Double(users) }
        var start = 0.0
        var previous = 0.0
        for stage in stages {
            if elapsed < start + stage.duration {
                guard stage.ramp else { return stage.target }
                let fraction = (elapsed - start) / stage.duration
                return previous + (stage.target - previous) * fraction
            }
            start += stage.duration
            previous = stage.target
        }
        return previous
    }

    /// Moves `current` toward the target at `elapsed`, by at most `spawnRate × step` users.
    public func next(current: Double, elapsed: Double, step: Double) -> Double {
        next(current: current, toward: target(at: elapsed), step: step)
    }

    /// Moves `current` toward `goal`, by at most `spawnRate × step` users.
    public func next(current: Double, toward goal: Double, step: Double) -> Double {
        let limit = spawnRate * step
        if goal > current { return min(goal, current + limit) }
        return max(goal, current - limit)
    }
}
