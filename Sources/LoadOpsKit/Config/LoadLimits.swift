import Foundation

/// The largest values a run may ask for. Past them a load test makes no sense, and the arithmetic
/// the generator does with them (arrivals = rate × duration, one connection per user, timers in
/// nanoseconds) would overflow. Every limit is checked when the configuration is read, and the
/// message names it, so a typo costs an exit 2 rather than a crash or a run of centuries.
public enum LoadLimits {
    /// A run, a stage, a timeout or a pause: 30 days.
    public static let maximumDurationSeconds: Double = 30 * 86_400
    /// Closed-model users, and the open model's connections.
    public static let maximumUsers = 1_000_000
    /// Requests per second, for the whole run or one endpoint.
    public static let maximumRate: Double = 10_000_000
    /// Users started per second, and an endpoint's weight.
    public static let maximumSpawnRate: Double = 1_000_000
    public static let maximumWeight: Double = 1_000_000
    /// `loadops run --threads`: event loops, each a thread.
    public static let maximumThreads = 1024
    /// `load.requests`: requests in one run.
    public static let maximumRequests = 1_000_000_000

    /// How each limit reads in a message.
    static let durationText = "30 days (720h)"
    static let rateText = "10000000/s"

    /// `--threads`: nil (the default) or 1 to `maximumThreads`.
    public static func checkThreads(_ threads: Int?) throws(ConfigError) {
        guard let threads, !(1...maximumThreads).contains(threads) else { return }
        throw ConfigError.invalid(
            .commandLine("--threads"), "expected a whole number from 1 to \(maximumThreads), got \"\(threads)\"")
    }
}
