import Foundation

/// `loadops monitor`: the configured sources alone, for a second terminal during a test: one line
/// per interval (or one JSON object per line), until Ctrl-C or the duration.
public enum MonitorConsole {
    /// Checks the flags and the configuration, then samples and writes each round through `write`
    /// (a line, newline included). Throws a `ConfigError` for a bad flag and `MonitorSetupError`
    /// when no source is configured, before anything is sampled (exit 2).
    ///
    /// - Parameters:
    ///   - interval: `--interval` (`1s`, `500ms`), replacing the configuration's.
    ///   - duration: `--duration`; nil samples until the task is cancelled (or the process ends).
    public static func run(
        config: LoadOpsConfig, interval: String?, duration: String?, json: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath,
        write: @escaping @Sendable (String) -> Void
    ) async throws {
        var settings = config.monitor
        if let interval {
            settings.interval = try flag("--interval", interval, .positiveDuration)
            guard settings.interval >= MonitorSettings.minimumInterval else {
                throw ConfigError.invalid(
                    .commandLine("--interval"),
                    "the interval must be at least \(DurationParser.format(MonitorSettings.minimumInterval)), got \"\(interval)\"")
            }
        }
        let seconds = try duration.map { try flag("--duration", $0, .positiveDuration) }
        guard !settings.isEmpty else { throw MonitorSetupError(configuration: config.sourceDescription) }

        let sampler = MonitorSampler(settings: settings, environment: environment, workingDirectory: workingDirectory)
        await sampler.run(duration: seconds) { round in
            write((json ? jsonLine(round) : line(round)) + "\n")
        }
    }

    private static func flag<T>(_ name: String, _ text: String, _ rule: ValueRule<T>) throws -> T {
        do {
            return try rule(text)
        } catch {
            throw ConfigError.invalid(.commandLine(name), error.description)
        }
    }

    // MARK: text

    /// `14:03:05  host cpu=12.3% memory=41% load1=0.52 … | postgres connections=12 … | queue_depth error: no answer within 3s`.
    public static func line(_ round: MonitorRound) -> String {
        let parts = round.samples.map { sample -> String in
            if let error = sample.error { return "\(sample.source) error: \(error)" }
            if sample.readings.isEmpty { return "\(sample.source) (no readings yet)" }
            return ([sample.source] + sample.readings.map { "\($0.metric)=\(text(of: $0))" }).joined(separator: " ")
        }
        return CivilTime(local: round.time).clockText(.seconds) + "  " + parts.joined(separator: " | ")
    }

    /// A reading as people read it: `12.3%`, `1.5 MB`, `240 KB/s`, `1800/s`, `2.4s`, `0.52`.
    public static func text(of reading: MonitorReading) -> String {
        switch reading.unit {
        case .percent: return ReportNumber.decimal(reading.value, places: 1) + "%"
        case .bytes: return bytes(reading.value)
        case .bytesPerSecond: return bytes(reading.value) + "/s"
        case .perSecond: return ReportNumber.decimal(reading.value, places: 1) + "/s"
        case .seconds: return ReportNumber.decimal(reading.value, places: 1) + "s"
        case .number: return ReportNumber.decimal(reading.value)
        }
    }

    private static func bytes(_ value: Double) -> String {
        var scaled = value
        for unit in ["B", "KB", "MB", "GB"] {
            if abs(scaled) < 1024 || unit == "GB" {
                return ReportNumber.decimal(scaled, places: unit == "B" ? 0 : 1) + " " + unit
            }
            scaled /= 1024
        }
        return ReportNumber.decimal(scaled, places: 1) + " GB"
    }

    // MARK: JSON

    /// One object per round, on one line:
    /// `{"elapsed":5,"round":1,"samples":[{"readings":{"cpu":{"unit":"%","value":12.3},…},"seconds":0.002,"source":"host"},
    /// {"error":"no answer within 5s","seconds":5,"source":"postgres"}],"time":"2026-12-02T14:03:05.000Z"}`.
    public static func jsonLine(_ round: MonitorRound) -> String {
        struct Reading: Encodable {
            var value: Double
            var unit: String
        }
        struct Sample: Encodable {
            var source: String
            var seconds: Double
            var readings: [String: Reading]?
            var error: String?
        }
        struct Round: Encodable {
            var round: Int
            var time: String
            var elapsed: Double
            var samples: [Sample]
        }
        func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
        let document = Round(
            round: round.index, time: ResultsDocument.iso8601(fractional: true).string(from: round.time), elapsed: rounded(round.elapsed),
            samples: round.samples.map { sample in
                Sample(
                    source: sample.source, seconds: rounded(sample.seconds),
                    readings: sample.error == nil
                        ? Dictionary(sample.readings.map { ($0.metric, Reading(value: rounded($0.value), unit: $0.unit.rawValue)) },
                                     uniquingKeysWith: { first, _ in first })
                        : nil,
                    error: sample.error)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(document) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// `loadops monitor` with nothing to monitor.
public struct MonitorSetupError: Error, CustomStringConvertible, ExitStatusProviding, Sendable {
    /// Where the configuration came from: `loadops.yml`, or `(defaults)` when there is no file.
    public var configuration: String

    public var exitStatus: ExitStatus { .badInput }

    public var description: String {
        let place = configuration == "(defaults)"
            ? "there is no loadops.yml here (run `loadops init` to write one, or pass -c FILE)"
            : "\(configuration) has no monitor sources"
        return "nothing to monitor: \(place); add a monitor: section such as\n"
            + "monitor:\n  interval: 5s\n  sources:\n    - host: { disk_path: / }\n"
            + "    - postgres: { url: postgres://user@127.0.0.1:5432/app, password_env: DB_PASSWORD }"
    }
}
