import Foundation
import Testing

@testable import LoadOpsKit

/// Every flag and its `LOAD_TEST_*` variable take effect the same way: the file, then the
/// variable, then the flag; and a duration (or the model's own target) from either replaces the
/// file's stages.
@Suite("Config precedence: file, variables, flags")
struct ConfigPrecedenceTests {
    /// One setting as the file, a variable and a flag give it, and how to read it back.
    struct Layered: CustomStringConvertible, Sendable {
        var variable: String
        var fileLine: String
        var variableValue: String
        var flag: @Sendable (inout ConfigOverrides) -> Void
        var read: @Sendable (LoadOpsConfig) -> String
        var fromFile: String
        var fromVariable: String
        var fromFlag: String

        var description: String { variable }
    }

    static let settings: [Layered] = [
        Layered(variable: "LOAD_TEST_HOST", fileLine: "host: http://127.0.0.1:1", variableValue: "http://127.0.0.1:2",
                flag: { $0.host = "http://127.0.0.1:3" }, read: { $0.host },
                fromFile: "http://127.0.0.1:1", fromVariable: "http://127.0.0.1:2", fromFlag: "http://127.0.0.1:3"),
        Layered(variable: "LOAD_TEST_USERS_MAX", fileLine: "load: { users: 1 }", variableValue: "2",
                flag: { $0.usersMax = 3 }, read: { String($0.load.users) },
                fromFile: "1", fromVariable: "2", fromFlag: "3"),
        Layered(variable: "LOAD_TEST_SPAWN_RATE", fileLine: "load: { spawn_rate: 1 }", variableValue: "2",
                flag: { $0.spawnRate = 3 }, read: { DecimalNumber.format($0.load.spawnRate) },
                fromFile: "1", fromVariable: "2", fromFlag: "3"),
        Layered(variable: "LOAD_TEST_DURATION_SECONDS", fileLine: "load: { duration: 1m }", variableValue: "120",
                flag: { $0.duration = "3m" }, read: { DecimalNumber.format($0.load.duration) },
                fromFile: "60", fromVariable: "120", fromFlag: "180"),
        Layered(variable: "LOAD_TEST_OUTPUT", fileLine: "output: one", variableValue: "two",
                flag: { $0.output = "three" }, read: { $0.output },
                fromFile: "one", fromVariable: "two", fromFlag: "three"),
        Layered(variable: "LOAD_TEST_MODEL", fileLine: "load: { model: open, rate: 5/s }", variableValue: "closed",
                flag: { $0.model = .open }, read: { $0.load.model.rawValue },
                fromFile: "open", fromVariable: "closed", fromFlag: "open"),
        Layered(variable: "LOAD_TEST_RATE", fileLine: "load: { model: open, rate: 1/s }", variableValue: "2/s",
                flag: { $0.rate = "3/s" }, read: { DecimalNumber.format($0.load.rate ?? 0) },
                fromFile: "1", fromVariable: "2", fromFlag: "3"),
        Layered(variable: "LOAD_TEST_ENVIRONMENT", fileLine: "environment: one", variableValue: "two",
                flag: { $0.environment = "three" }, read: { $0.environment ?? "" },
                fromFile: "one", fromVariable: "two", fromFlag: "three"),
    ]

    @Test(arguments: settings)
    func fileThenVariableThenFlag(_ setting: Layered) throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", setting.fileLine + "\n")
        #expect(setting.read(try folder.load()) == setting.fromFile)
        let environment = [setting.variable: setting.variableValue]
        #expect(setting.read(try folder.load(environment: environment)) == setting.fromVariable)
        // The same value from .env.load-testing, under the process environment.
        try folder.write(".env.load-testing", "\(setting.variable)=\(setting.variableValue)\n")
        #expect(setting.read(try folder.load()) == setting.fromVariable)
        var overrides = ConfigOverrides()
        setting.flag(&overrides)
        #expect(setting.read(try folder.load(environment: environment, overrides: overrides)) == setting.fromFlag)
    }

    static let stagesInFile = """
        load:
          model: closed
          users: 4
          rate: 2/s
          stages:
            - { duration: 10m, users: 50, rate: 100/min }
            - { duration: 30m, users: 100, rate: 500/min }
        """

    /// The variable replaces the stages exactly as its flag does, in both models.
    @Test(arguments: [
        ("LOAD_TEST_DURATION_SECONDS", "45", "closed"),
        ("LOAD_TEST_DURATION_SECONDS", "45", "open"),
        ("LOAD_TEST_USERS_MAX", "7", "closed"),
        ("LOAD_TEST_RATE", "7/s", "open"),
    ])
    func variablesReplaceStagesLikeTheirFlags(variable: String, value: String, model: String) throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", Self.stagesInFile.replacingOccurrences(of: "model: closed", with: "model: \(model)"))
        #expect(try folder.load().load.stages.count == 2)

        let fromVariable = try folder.load(environment: [variable: value])
        var overrides = ConfigOverrides()
        switch variable {
        case "LOAD_TEST_DURATION_SECONDS": overrides.duration = value
        case "LOAD_TEST_USERS_MAX": overrides.usersMax = Int(value)
        default: overrides.rate = value
        }
        let fromFlag = try folder.load(overrides: overrides)
        #expect(fromVariable.load.stages.isEmpty, "\(variable) left the file's stages in place")
        #expect(fromVariable == fromFlag)
    }

    /// A user count only concerns the closed model and a rate the open one: the other model keeps its stages.
    @Test func targetsOfTheOtherModelKeepTheStages() throws {
        let folder = try ConfigTestFolder()
        defer { folder.remove() }
        try folder.write("loadops.yml", Self.stagesInFile)
        #expect(try folder.load(environment: ["LOAD_TEST_RATE": "7/s"]).load.stages.count == 2)
        #expect(try folder.load(overrides: ConfigOverrides(rate: "7/s")).load.stages.count == 2)
        // The model chosen last decides: the variable's rate replaces the stages once --model open is given.
        let open = try folder.load(environment: ["LOAD_TEST_RATE": "7/s"], overrides: ConfigOverrides(model: .open))
        #expect(open.load.stages.isEmpty)
        #expect(open.load.rate == 7)
    }

    /// Through the built binary: the variable shows in `config show` as the flag does.
    @Test func configShowReflectsTheDurationVariable() async throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.stagesInFile.write(toFile: "\(directory)/loadops.yml", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["LOAD_TEST_DURATION_SECONDS"] = "45"
        let shown = try await ChildProcess.run(TestSupport.binary, ["config", "show"], directory: directory, environment: environment)
        #expect(shown.status == 0, "stderr: \(shown.stderr)")
        #expect(shown.stdout.contains("  duration: 45s"), "\(shown.stdout)")
        #expect(!shown.stdout.contains("stages:"), "\(shown.stdout)")
        let flagged = try await ChildProcess.run(TestSupport.binary, ["config", "show", "--duration", "45"], directory: directory)
        #expect(flagged.stdout == shown.stdout)
    }
}
