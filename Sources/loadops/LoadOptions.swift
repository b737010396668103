import ArgumentParser
import Foundation
import LoadOpsKit

/// `-c/--config`, for every command that reads the configuration.
struct ConfigFileOption: ParsableArguments {
    @Option(
        name: [.customShort("c"), .customLong("config")],
        help: ArgumentHelp("Configuration file (default: loadops.yml in the current folder, if there is one).", valueName: "file"))
    var path: String?

    /// The configuration: the file, then the `LOAD_TEST_*` variables (no flags).
    func load() throws -> LoadOpsConfig {
        try ConfigLoader.load(
            path: path, environment: ProcessInfo.processInfo.environment,
            workingDirectory: FileManager.default.currentDirectoryPath)
    }
}

/// The flags of every command that loads the configuration (`config show`, `run`).
/// Flags win over `LOAD_TEST_*` variables, which win over `loadops.yml`.
struct LoadOptions: ParsableArguments {
    @OptionGroup var configFile: ConfigFileOption

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

    @Option(help: ArgumentHelp(
        "Stop once this many requests have been answered or failed, within the duration (LOAD_TEST_REQUESTS).", valueName: "n"))
    var requests: String?

    @Flag(help: "Skip TLS certificate verification (self-signed test servers).")
    var insecure = false

    func overrides() -> ConfigOverrides {
        ConfigOverrides(
            host: host, usersMax: usersMax, spawnRate: spawnRate, duration: duration, output: output, model: model,
            rate: rate, insecure: insecure ? true : nil, requests: requests)
    }

    /// The effective configuration: the file, the environment, then these flags.
    func loadConfiguration() throws -> LoadOpsConfig {
        try ConfigLoader.load(
            path: configFile.path, environment: ProcessInfo.processInfo.environment, overrides: overrides(),
            workingDirectory: FileManager.default.currentDirectoryPath)
    }
}
