import ArgumentParser
import Foundation
import LoadOpsKit

/// The flags of every command that loads the configuration (`config show`, `run`).
/// Flags win over `LOAD_TEST_*` variables, which win over `loadops.yml`.
struct LoadOptions: ParsableArguments {
    @Option(
        name: [.short, .customLong("config")],
        help: ArgumentHelp("Configuration file (default: loadops.yml in the current folder, if there is one).", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Base URL of the system under test (LOAD_TEST_HOST).", valueName: "url"))
    var host: String?

    @Option(
        name: [.customLong("users-max"), .customLong("users")],
        help: ArgumentHelp("Closed model: number of users (LOAD_TEST_USERS_MAX).", valueName: "n"))
    var usersMax: Int?

    @Option(help: ArgumentHelp("Closed model: users started per second (LOAD_TEST_SPAWN_RATE).", valueName: "n"))
    var spawnRate: Double?

    @Option(help: ArgumentHelp("Length of the run: 30s, 10m, 1h30m or seconds (LOAD_TEST_DURATION_SECONDS).", valueName: "duration"))
    var duration: String?

    @Option(help: ArgumentHelp("Folder for the results (LOAD_TEST_OUTPUT).", valueName: "folder"))
    var output: String?

    @Option(
        help: ArgumentHelp("Load model: closed (users) or open (arrival rate) (LOAD_TEST_MODEL).", valueName: "model"),
        transform: { text in
            guard let model = LoadModel(rawValue: text.lowercased()) else {
                throw ValidationError("expected closed or open, got \"\(text)\"")
            }
            return model
        })
    var model: LoadModel?

    @Option(help: ArgumentHelp("Open model: total rate such as 50/s or 3005/min (LOAD_TEST_RATE).", valueName: "rate"))
    var rate: String?

    @Flag(help: "Skip TLS certificate verification (self-signed test servers).")
    var insecure = false

    func overrides() -> ConfigOverrides {
        ConfigOverrides(
            host: host, usersMax: usersMax, spawnRate: spawnRate, duration: duration, output: output, model: model,
            rate: rate, insecure: insecure ? true : nil)
    }

    /// The effective configuration. A `ConfigError` is printed to stderr and becomes exit code 2.
    func loadConfiguration(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        workingDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> LoadOpsConfig {
        do {
            return try ConfigLoader.load(
                path: config, environment: environment, overrides: overrides(), workingDirectory: workingDirectory)
        } catch let error as ConfigError {
            Self.writeToStandardError(error.description)
            throw ExitCode(2)
        }
    }

    static func writeToStandardError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
