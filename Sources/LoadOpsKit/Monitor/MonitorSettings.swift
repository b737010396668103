import Foundation

/// loadops.yml's `monitor:` section: what to watch during a run (and in `loadops monitor`), how often.
public struct MonitorSettings: Sendable, Equatable {
    public static let defaultInterval: Double = 5
    /// Shorter intervals would make the monitor a load of its own.
    public static let minimumInterval: Double = 0.1

    /// Seconds between samples.
    public var interval: Double
    /// Seconds a sample may take; nil means the interval.
    public var timeout: Double?
    public var sources: [MonitorSourceSettings]

    public init(interval: Double = MonitorSettings.defaultInterval, timeout: Double? = nil, sources: [MonitorSourceSettings] = []) {
        self.interval = interval
        self.timeout = timeout
        self.sources = sources
    }

    /// The timeout in force: as configured, and never longer than the interval (an `--interval`
    /// shorter than the file's timeout shortens it).
    public var effectiveTimeout: Double { min(timeout ?? interval, interval) }

    public var isEmpty: Bool { sources.isEmpty }

    /// Each source's kind (`host`, `postgres`, ...) by the source's name, for rules that depend on the kind.
    /// The passwords of the monitored services (in their URLs or named by `password_env:`), to be
    /// masked wherever they might show.
    public func passwords(environment: [String: String]) -> [String] {
        sources.compactMap { source in
            switch source.kind {
            case .postgres(let endpoint, let variable), .redis(let endpoint, let variable):
                return MonitorSourceSettings.withPassword(endpoint, variable: variable, environment: environment).password
            case .host, .prometheus, .command:
                return nil
            }
        }
    }

    public var kindsByName: [String: String] {
        Dictionary(sources.map { ($0.name, $0.kind.name) }, uniquingKeysWith: { first, _ in first })
    }

    /// The Prometheus series' warn levels, keyed `SOURCE.SERIES` as their readings are named
    /// (`prometheus.go_goroutines`, `app.http_requests_total{code="500"}`).
    public var warnLevels: [String: MonitorWarnLevel] {
        var levels: [String: MonitorWarnLevel] = [:]
        for source in sources {
            guard case .prometheus(_, let series) = source.kind else { continue }
            for entry in series {
                if let warn = entry.warn { levels["\(source.name).\(entry.selector)"] = warn }
            }
        }
        return levels
    }
}

/// One `monitor.sources` entry.
public struct MonitorSourceSettings: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// This machine, from /proc; `diskPath` is the file system whose used space is reported.
        case host(diskPath: String)
        /// `passwordVariable`: `password_env:`, read when the source is made (it wins over a password in the URL).
        case postgres(ServiceEndpoint, passwordVariable: String?)
        case redis(ServiceEndpoint, passwordVariable: String?)
        /// A `/metrics` page in the Prometheus text format, and the series to record from it.
        case prometheus(url: String, series: [PrometheusSeries])
        /// A shell command whose output's last line is a number.
        case command(String)

        public var name: String {
            switch self {
            case .host: return "host"
            case .postgres: return "postgres"
            case .redis: return "redis"
            case .prometheus: return "prometheus"
            case .command: return "command"
            }
        }
    }

    /// In samples and output: the kind unless the configuration names it (a command is always named).
    public var name: String
    public var kind: Kind

    public init(name: String? = nil, kind: Kind) {
        self.name = name ?? kind.name
        self.kind = kind
    }

    /// The source that samples this entry.
    func makeSource(timeout: Double, environment: [String: String], workingDirectory: String) -> any MonitorSource {
        // Connections and commands get a little longer than the sample's timeout, so a silent
        // server or a hung command ends with the sampler's "no answer within ..." rather than
        // whichever limit fires first.
        let ownLimit = timeout + 1
        switch kind {
        case .host(let diskPath):
            return HostMonitorSource(name: name, diskPath: diskPath)
        case .postgres(let endpoint, let variable):
            return PostgresMonitorSource(
                name: name, endpoint: Self.withPassword(endpoint, variable: variable, environment: environment),
                connectTimeout: ownLimit)
        case .redis(let endpoint, let variable):
            return RedisMonitorSource(
                name: name, endpoint: Self.withPassword(endpoint, variable: variable, environment: environment),
                connectTimeout: ownLimit)
        case .prometheus(let url, let series):
            return PrometheusMonitorSource(name: name, url: url, series: series, connectTimeout: ownLimit)
        case .command(let command):
            return CommandMonitorSource(name: name, command: command, timeout: ownLimit, workingDirectory: workingDirectory)
        }
    }

    static func withPassword(_ endpoint: ServiceEndpoint, variable: String?, environment: [String: String]) -> ServiceEndpoint {
        guard let variable else { return endpoint }
        var endpoint = endpoint
        if let password = environment[variable], !password.isEmpty {
            endpoint.password = password
            endpoint.unsetPasswordVariable = nil
        } else if endpoint.password == nil {
            endpoint.unsetPasswordVariable = variable
        }
        return endpoint
    }
}

/// A series recorded from a Prometheus `/metrics` page: `process_cpu_seconds_total`, or with label
/// matchers `http_requests_total{code="500"}` (every series carrying those labels, added up).
public struct PrometheusSeries: Sendable, Equatable {
    /// As written in the configuration; the reading's name.
    public var selector: String
    public var metric: String
    /// Labels a series must carry, with these values.
    public var labels: [String: String]
    /// When the recorded value is worrying, e.g. `> 0.9`.
    public var warn: MonitorWarnLevel?

    public init(selector: String, metric: String, labels: [String: String] = [:], warn: MonitorWarnLevel? = nil) {
        self.selector = selector
        self.metric = metric
        self.labels = labels
        self.warn = warn
    }
}

/// A level past which a reading deserves a warning: `> 0.9`, `>= 80`.
public struct MonitorWarnLevel: Sendable, Equatable {
    public var comparison: ThresholdOperator
    public var value: Double

    public init(_ comparison: ThresholdOperator, _ value: Double) {
        self.comparison = comparison
        self.value = value
    }

    public func holds(for observed: Double) -> Bool { comparison.holds(observed, value) }

    /// `> 0.9`.
    public var text: String { "\(comparison.rawValue) \(DecimalNumber.format(value))" }
}
