import Foundation

/// `loadops init`: a commented `loadops.yml` that works against the built-in target, the
/// operations guide's checklists in `checklists/`, and the `baselines/` and `archive/` folders of the project layout.
public enum ProjectInitializer {
    /// Creates what is missing and returns the paths it created. Writes nothing at all when
    /// `loadops.yml` already exists.
    @discardableResult
    public static func initialize(in directory: String) throws -> [String] {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ProjectInitializerError.directoryMissing(directory)
        }
        let configPath = (directory as NSString).appendingPathComponent(ConfigLoader.defaultFileName)
        guard !fileManager.fileExists(atPath: configPath) else {
            throw ProjectInitializerError.configExists(configPath)
        }

        var created: [String] = []
        do {
            try template.write(toFile: configPath, atomically: true, encoding: .utf8)
            created.append(configPath)
            for folder in ["checklists", "baselines", "archive"] {
                let path = (directory as NSString).appendingPathComponent(folder)
                if !fileManager.fileExists(atPath: path) {
                    try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true)
                    created.append(path)
                }
            }
            // The operations guide's pre-test checklist and cleanup scripts, as data; existing ones are kept.
            for (name, text) in [("preflight.yml", ChecklistTemplates.preflightTemplate),
                                 ("cleanup.yml", ChecklistTemplates.cleanupTemplate),
                                 ("post-test.yml", ChecklistTemplates.postTestTemplate)] {
                let path = (directory as NSString).appendingPathComponent("checklists/\(name)")
                if !fileManager.fileExists(atPath: path) {
                    try text.write(toFile: path, atomically: true, encoding: .utf8)
                    created.append(path)
                }
            }
            // Keeps the empty archive folder in git.
            let keep = (directory as NSString).appendingPathComponent("archive/.gitkeep")
            if !fileManager.fileExists(atPath: keep) {
                guard fileManager.createFile(atPath: keep, contents: Data()) else {
                    throw ProjectInitializerError.writeFailed(keep, reason: "cannot create the file")
                }
                created.append(keep)
            }
        } catch let error as ProjectInitializerError {
            throw error
        } catch {
            throw ProjectInitializerError.writeFailed(directory, reason: error.localizedDescription)
        }
        return created
    }

    /// The starting `loadops.yml`: the check-in API's endpoints against the built-in target, closed model, 30 seconds.
    public static let template = """
        # loadops.yml: what to load test and how hard. Written by `loadops init`.
        #
        # Every setting can be overridden by a LOAD_TEST_* variable (in the environment or in
        # .env.load-testing) and by a flag, e.g. `loadops run --users 50 --duration 10m`.
        # `loadops config show` prints the result of all three.

        # Base URL of the system under test. This one is the built-in demo API.
        host: http://127.0.0.1:8000

        # Load is only sent to loopback and to the hosts listed here: to its target, a load
        # test looks like a denial-of-service attack. Add the staging hosts you may test.
        allow_hosts: []

        # environment: staging           # recorded with the results (staging, production, ...)
        output: load_test_reports          # where results are written

        load:
          # closed: a number of users, each sending a request, waiting for the answer and
          #         thinking before the next one (Locust).
          # open:   requests start at a set rate whatever the server does (k6); give the
          #         endpoints below their rates (uncomment them) when you switch.
          model: closed
          users: 10
          spawn_rate: 5                    # users started per second
          duration: 30s                    # 30s, 10m, 1h30m ...
          think_time: 100ms-500ms          # pause between a user's requests
          timeout: 10s
          # A step profile replaces duration, e.g. "100 RPM for 10 min, then 500 RPM for 30 min"
          # with model: open (for the closed model give users instead of rate):
          # stages:
          #   - { duration: 10m, rate: 100/min }
          #   - { duration: 30m, rate: 500/min }

        # The check-in API's load profile (sessions, patient check-in, pre check-in), which `loadops target`
        # serves. The weights keep its mix in the closed model; the rates are its requests per minute, for
        # the open model.
        # Placeholders: {uuid}, {seq} (1, 2, 3...), {int:1-100}.
        endpoints:
          - method: GET
            path: /sessions/{uuid}
            weight: 5
            # rate: 3005/min
          - method: POST
            path: /sessions/{uuid}
            body: { status: "created", visit: "{int:1-1000}" }
            weight: 5
            # rate: 3005/min
          - method: GET
            path: /patient_checkin/{uuid}
            weight: 1
            # rate: 588/min
          - method: POST
            path: /patient_checkin/{uuid}
            body: { status: "created", visit: "{int:1-1000}" }
            weight: 1
            # rate: 588/min
          - method: GET
            path: /pre_checkin/{uuid}
            weight: 4
            # rate: 2417/min
          - method: POST
            path: /pre_checkin/{uuid}
            body: { status: "created", visit: "{int:1-1000}" }
            weight: 4
            # rate: 2417/min

        # User flows: steps sent in order by one user, each iteration with fresh variables and cookies,
        # values carried from one answer to the next request. Beside the endpoints or instead of them.
        # {name} is a variable: made under vars, a column of a data file (data: accounts.csv), or
        # extracted from an earlier step's answer (extract: { token: $.data.token }). An iteration stops
        # at its first failing step: its status, a check or an extraction.
        # flows:
        #   - name: checkin
        #     weight: 1                      # closed model: share of the users' iterations
        #     # rate: 588/min                # open model: iterations started per minute
        #     vars:
        #       id: "{uuid}"
        #     steps:
        #       - "post /sessions/{id}":
        #           check: [{ status: [200, 201] }]
        #       - "get /sessions/{id}":
        #           check: [{ json: $.id, equals: "{id}" }]
        #       - "post /patient_checkin/{id}":
        #           check: [{ status: 200 }]

        # A deployment that needs credentials: a file of key:secret lines (as `ecsctl.sh creds` prints
        # them for an ECS deployment), rotated across users as HTTP basic auth:
        # credentials:
        #   file: ~/.ecs/.htpasswd
        # or a bearer token taken from an environment variable:
        #   bearer_env: API_TOKEN

        # Pass/fail criteria, for the whole run ("aggregate") or per endpoint:
        # thresholds:
        #   aggregate: ["p95 < 1s", "error_rate < 5%"]
        #   "get /sessions/{uuid}": ["p99 < 2s"]

        # What to watch besides the load, every interval, each source within the timeout (a slow or
        # dead source only gives error samples of its own). `loadops monitor` shows the same in a
        # second terminal.
        # monitor:
        #   interval: 5s
        #   timeout: 3s
        #   sources:
        #     - host: { disk_path: / }       # CPU, memory, load, disk used, disk and network bytes/s
        #     - postgres: { url: postgres://devstack@127.0.0.1:5432/devstack, password_env: DB_PASSWORD }
        #     - redis: { url: redis://127.0.0.1:6379 }
        #     - prometheus:                  # the system under test's /metrics; counters become rates
        #         url: http://127.0.0.1:9100/metrics
        #         series: [process_cpu_seconds_total, { name: go_goroutines, warn: "> 500" }]
        #     - command: { name: queue_depth, run: "cat /tmp/queue_depth" }   # prints a number

        # The run stops itself when a rule holds over its window (after the grace period), is recorded
        # as aborted, exits 1, and leaves incident.md. Without this section: error_rate > 5% over 30s.
        # abort:
        #   grace: 10s
        #   rules:
        #     - error_rate > 5% over 30s
        #     - p95 > 1s over 60s
        #     - monitor.host.cpu > 95% over 60s

        # Early warning signs, printed when they start and clear; each level may be changed or set to off.
        # warnings:
        #   cpu: 85%
        #   memory: 85%
        #   db_connections: 90%
        #   redis_memory: 80%
        #   latency_trend: 1.5x
        #   error_rate_climbing: 1%

        # Commands whose output incident.md keeps after an abort (10 s each, the last 8 KB):
        # incident:
        #   - docker-compose logs backend --tail=100

        """
}

public enum ProjectInitializerError: Error, CustomStringConvertible, Equatable, Sendable {
    case configExists(String)
    case directoryMissing(String)
    case writeFailed(String, reason: String)

    public var description: String {
        switch self {
        case .configExists(let path):
            return "\(path) already exists; nothing was written (edit it, or move it away and run `loadops init` again)"
        case .directoryMissing(let path):
            return "\(path): no such folder"
        case .writeFailed(let path, let reason):
            return "\(path): cannot write: \(reason)"
        }
    }
}
