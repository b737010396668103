import Foundation

/// `loadops demo`: the check-in API's load profile, scaled to a short run, through the real pipeline.
public enum DemoRun {
    /// The demo's configuration, as a user would write it.
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
        endpoints:
          - "get /sessions/{uuid}": 3005/min
          - "post /sessions/{uuid}": 3005/min
          - "get /patient_checkin/{uuid}": 588/min
          - "post /patient_checkin/{uuid}": 588/min
          - "get /pre_checkin/{uuid}": 2417/min
          - "post /pre_checkin/{uuid}": 2417/min
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
