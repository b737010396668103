import Foundation

/// `loadops demo`: the check-in API's load profile, scaled to a short run, through the real pipeline.
public enum DemoRun {
    /// The demo's configuration, as a user would write it: the check-in API's load profile (sessions
    /// read and created 3005 times a minute, patient check-in 588, pre check-in 2417) as two flows
    /// whose steps share one session's UUID, against a target that remembers the sessions created.
    public static func configuration(port: Int, duration: String, output: String) -> String {
        """
        # loadops demo: the check-in API's load profile against the built-in target.
        host: http://127.0.0.1:\(port)
        output: \(output)
        load:
          model: open
          duration: \(duration)
          max_connections: 200
          timeout: 10s
        flows:
          - name: patient check-in
            rate: 588/min
            vars: { id: "{uuid}" }
            steps:
              - "post /sessions/{id}":
                  name: "POST /sessions/{id} (patient)"
                  check: [{ status: 201 }]
              - "get /sessions/{id}":
                  name: "GET /sessions/{id} (patient)"
                  check: [{ json: $.id, equals: "{id}" }]
              - get /patient_checkin/{id}
              - "post /patient_checkin/{id}":
                  check: [{ json: $.status, equals: checked_in }]
          - name: pre check-in
            rate: 2417/min
            vars: { id: "{uuid}" }
            steps:
              - "post /sessions/{id}":
                  check: [{ status: 201 }]
              - "get /sessions/{id}":
                  check: [{ json: $.id, equals: "{id}" }]
              - get /pre_checkin/{id}
              - "post /pre_checkin/{id}":
                  check: [{ json: $.status, equals: completed }]
        thresholds:
          aggregate: ["error_rate < 1%", "outage < 3s"]
          "flow patient check-in": ["p95 < 1s"]
        """
    }

    public static func run(targetPort: Int, duration: String, output: String, console: RunConsole,
                           stop: StopSignal, workingDirectory: String) async throws -> RunReport {
        let folder = UserPath.resolve(output, relativeTo: workingDirectory)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let configPath = (folder as NSString).appendingPathComponent("demo-loadops.yml")
        try configuration(port: targetPort, duration: duration, output: output)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        console.line("demo configuration: \(configPath)")
        let request = RunRequest(configPath: configPath, overrides: ConfigOverrides(), environment: [:],
                                 workingDirectory: workingDirectory)
        return try await RunPipeline.run(request, console: console, stop: stop)
    }
}
