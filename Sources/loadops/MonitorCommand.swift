import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops monitor`: the `monitor:` sources of loadops.yml alone, for a second terminal during a test.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Watch the configured monitor sources: host, PostgreSQL, Redis, Prometheus metrics, commands.",
        discussion: """
            Samples every source of loadops.yml's monitor: section each interval, each within its \
            timeout, and prints one line per interval (or one JSON object per line with --json) until \
            Ctrl-C or --duration. A source that fails or does not answer shows as an error on its line; \
            the others keep their interval.

            Exit codes: 0 done (--duration reached), 2 bad usage or no monitor sources configured, \
            130 interrupted.
            """
    )

    @OptionGroup var configFile: ConfigFileOption

    @Option(help: ArgumentHelp("Time between samples, replacing the configuration's: 5s, 500ms.", valueName: "duration"))
    var interval: String?

    @Option(help: ArgumentHelp("Stop after this long: 30s, 10m (default: until Ctrl-C).", valueName: "duration"))
    var duration: String?

    @Flag(help: "Print one JSON object per interval, one per line.")
    var json = false

    func run() async throws {
        // Ctrl-C ends the monitor's commands too, not only loadops.
        let trap = InterruptTrap(stop: nil)
        defer { trap.remove() }
        try await MonitorConsole.run(config: try configFile.load(), interval: interval, duration: duration, json: json) { line in
            FileHandle.standardOutput.write(Data(line.utf8))
        }
    }
}
