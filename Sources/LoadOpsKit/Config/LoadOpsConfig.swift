import Foundation

/// The effective configuration of a run: `loadops.yml`, then the environment
/// (`LOAD_TEST_*`, `.env.load-testing`), then command-line flags, merged by `ConfigLoader`.
public struct LoadOpsConfig: Sendable, Equatable {
    /// Base URL of the system under test, e.g. `http://127.0.0.1:8000`.
    public var host: String
    /// Hosts load may be sent to. Loopback is always allowed.
    public var allowHosts: [String]
    /// Free-form environment name (`staging`, `production`, ...).
    public var environment: String?
    /// Skip TLS certificate verification (self-signed test servers).
    public var insecure: Bool
    public var load: LoadSettings
    public var endpoints: [EndpointConfig]
    /// User flows (`flows:`): steps in order with values carried between them; beside or instead of `endpoints`.
    public var flows: [FlowConfig] = []
    public var credentials: CredentialsConfig?
    /// Raw threshold expressions per scope (`"aggregate"` or an endpoint name), kept for the thresholds stage.
    /// Without `thresholds:` in loadops.yml, `ThresholdSet.defaultExpressions` apply; `thresholds: {}` has none.
    public var thresholds: [String: [String]]
    /// Follow redirects within the target (at most 10 in a row); `follow_redirects: false` counts a
    /// 3xx as the answer.
    public var followRedirects = true
    /// Folder the results are written to.
    public var output: String
    /// Query parameters whose values are masked in every output, besides those whose names look secret
    /// (`key`, `api_key`, `token`, `password`, ...; see `Redaction.isSensitiveQueryParameter`).
    public var redactQuery: [String]
    /// Where the configuration came from, for messages (`loadops.yml`, or `(defaults)`).
    public var sourceDescription: String
    /// What to watch besides the load: the `monitor:` section (no sources by default).
    public var monitor = MonitorSettings()
    /// The abort rules and early warning signs (`abort:`, `warnings:`): by default, a run stops when more
    /// than 5% of its requests fail over 30 s, and every sign is watched at its default level.
    public var watch = WatchSettings.defaults
    /// Commands whose output an aborted run's `incident.md` keeps (`incident:`), such as
    /// `docker-compose logs backend --tail=100`.
    public var incidentCommands: [String] = []
    /// What sends the load (`engine:`): loadops's own generator, or Locust driven by loadops.
    public var engine = LoadEngine.builtin

    /// The results folder when neither the configuration nor a flag names one.
    public static let defaultOutput = "load_test_reports"

    public init(
        host: String = "http://127.0.0.1:8000",
        allowHosts: [String] = [],
        environment: String? = nil,
        insecure: Bool = false,
        load: LoadSettings = LoadSettings(),
        endpoints: [EndpointConfig] = [],
        credentials: CredentialsConfig? = nil,
        thresholds: [String: [String]] = ThresholdSet.defaultExpressions,
        output: String = LoadOpsConfig.defaultOutput,
        redactQuery: [String] = [],
        sourceDescription: String = "(defaults)"
    ) {
        self.host = host
        self.allowHosts = allowHosts
        self.environment = environment
        self.insecure = insecure
        self.load = load
        self.endpoints = endpoints
        self.credentials = credentials
        self.thresholds = thresholds
        self.output = output
        self.redactQuery = redactQuery
        self.sourceDescription = sourceDescription
    }

    /// The thresholds are the defaults (loadops.yml has no `thresholds:`, or writes exactly them).
    public var thresholdsAreDefault: Bool { thresholds == ThresholdSet.defaultExpressions }
}

public enum LoadModel: String, Sendable, Equatable, CaseIterable {
    /// Locust semantics: a number of users, each sending a request, waiting for the answer, thinking, repeating.
    case closed
    /// k6 constant-arrival-rate semantics: requests start on a schedule, whatever the server does.
    case open
}

public struct LoadSettings: Sendable, Equatable {
    public var model: LoadModel
    /// Closed model: the number of users (Locust `--users`, `--users-max` of the operations guide's `run_load_tests.sh`).
    public var users: Int
    /// Closed model: users started per second.
    public var spawnRate: Double
    /// Length of the run in seconds (ignored when `stages` is not empty: the stages set it).
    public var duration: Double
    /// Closed model: pause between a user's requests, seconds (uniform between the bounds).
    public var thinkTime: ClosedRange<Double>?
    /// Open model: total arrival rate in requests per second when endpoints carry no rate of their own.
    public var rate: Double?
    /// Open model: most connections the generator may open.
    public var maxConnections: Int
    /// Per-request timeout in seconds.
    public var timeout: Double
    /// Step or ramp profile. Closed model: `users`; open model: `rate`.
    public var stages: [LoadStage]
    /// Stop once this many requests have been answered or failed (as `ab -n`); the duration still
    /// bounds the run. nil: the duration (or the stages) alone decides.
    public var requests: Int?

    public init(
        model: LoadModel = .closed,
        users: Int = 10,
        spawnRate: Double = 10,
        duration: Double = 60,
        thinkTime: ClosedRange<Double>? = nil,
        rate: Double? = nil,
        maxConnections: Int = 1000,
        timeout: Double = 30,
        stages: [LoadStage] = [],
        requests: Int? = nil
    ) {
        self.model = model
        self.users = users
        self.spawnRate = spawnRate
        self.duration = duration
        self.thinkTime = thinkTime
        self.rate = rate
        self.maxConnections = maxConnections
        self.timeout = timeout
        self.stages = stages
        self.requests = requests
    }

    /// Total planned length: the sum of the stages, or `duration`.
    public var plannedDuration: Double {
        stages.isEmpty ? duration : stages.reduce(0) { $0 + $1.duration }
    }
}

/// One step of a load profile: hold (or, with `ramp`, move linearly to) `target` for `duration` seconds.
/// `target` is users in the closed model and requests per second in the open model.
public struct LoadStage: Sendable, Equatable {
    public var duration: Double
    public var target: Double
    public var ramp: Bool

    public init(duration: Double, target: Double, ramp: Bool = false) {
        self.duration = duration
        self.target = target
        self.ramp = ramp
    }
}

public struct EndpointConfig: Sendable, Equatable {
    /// Name in reports (Locust's `Name` column); defaults to the path template.
    public var name: String
    public var method: String
    /// Path template: `{uuid}`, `{int:1-1000}`, `{seq}` are filled per request.
    public var path: String
    public var headers: [(String, String)]
    /// Request body, already serialised (JSON), may hold the same placeholders as the path.
    public var body: String?
    /// Share of the requests (closed model, and open model without per-endpoint rates).
    public var weight: Double
    /// Open model: this endpoint's own arrival rate, requests per second.
    public var rate: Double?
    /// Status codes counted as success; empty means any 1xx-3xx.
    public var expectedStatus: [Int]

    public init(
        name: String? = nil,
        method: String = "GET",
        path: String,
        headers: [(String, String)] = [],
        body: String? = nil,
        weight: Double = 1,
        rate: Double? = nil,
        expectedStatus: [Int] = []
    ) {
        self.name = name ?? path
        self.method = method.uppercased()
        self.path = path
        self.headers = headers
        self.body = body
        self.weight = weight
        self.rate = rate
        self.expectedStatus = expectedStatus
    }

    public static func == (lhs: EndpointConfig, rhs: EndpointConfig) -> Bool {
        lhs.name == rhs.name && lhs.method == rhs.method && lhs.path == rhs.path
            && lhs.headers.elementsEqual(rhs.headers, by: { $0 == $1 }) && lhs.body == rhs.body
            && lhs.weight == rhs.weight && lhs.rate == rhs.rate && lhs.expectedStatus == rhs.expectedStatus
    }

    public func isSuccess(status: Int) -> Bool {
        expectedStatus.isEmpty ? (100..<400).contains(status) : expectedStatus.contains(status)
    }
}

public enum CredentialsConfig: Sendable, Equatable {
    /// A file of `key:secret` lines (an ECS deployment's `ecsctl.sh creds` output), rotated across users as HTTP basic auth.
    case basicFile(path: String)
    /// A bearer token read from the named environment variable.
    case bearerEnv(variable: String)
}
