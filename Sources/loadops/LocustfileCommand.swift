import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops locustfile`: the locustfile `loadops run --engine locust` would run, for teams that use Locust directly.
struct LocustfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locustfile",
        abstract: "Write the locustfile for the configuration's scenario, without running it.",
        discussion: """
            The same endpoints, weights, placeholders, headers, JSON bodies, expected statuses, think \
            time, credentials (the key:secret file read where Locust runs; a bearer token read from the \
            environment, never written into the file), TLS verification and stages as `loadops run`. \
            The open model's rates become constant_throughput users, an approximation. Prints the \
            Locust command line that runs it as loadops would.
            """)

    @OptionGroup var configFile: ConfigFileOption

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write it (default: locustfile.py; - for standard output).", valueName: "file"))
    var output: String = LocustLoadSender.locustfileName

    func run() throws {
        let config = try configFile.load()
        let script = LocustfileGenerator.make(config)
        if output == "-" {
            print(script.source, terminator: "")
            return
        }
        let path = UserPath.resolve(output, relativeTo: FileManager.default.currentDirectoryPath)
        do {
            try Data(script.source.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw LocustEngineError.cannotWrite(path: path, reason: error.localizedDescription)
        }
        print("wrote \(output) (\(config.endpoints.count) endpoint\(config.endpoints.count == 1 ? "" : "s"), from \(config.sourceDescription))")
        var command = "locust -f \(output) --headless -H \(Redaction.redactURL(config.host))"
        if let users = script.users, let spawnRate = script.spawnRate, let seconds = script.runSeconds {
            command += " -u \(users) -r \(LocustfileGenerator.number(spawnRate)) -t \(seconds)s"
        }
        print("run it with: \(command) --csv load_test")
    }
}
