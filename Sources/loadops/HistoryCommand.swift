import ArgumentParser
import Foundation
import LoadOpsKit

/// `--db`, shared by the commands that read or write the run history.
struct HistoryDatabaseOption: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp("The history database.", valueName: "path"))
    var given: String = HistoryDefaults.databasePath

    /// `--db` with `~` expanded (a relative path stays relative to the working folder).
    var path: String { UserPath.expandingHome(given) }
}

/// `loadops history`: the runs recorded in the history database, one run in detail, or a metric's trend.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List recorded runs, show one, or follow a metric across runs.",
        discussion: """
            Every `loadops run` is recorded in the history database (default \(HistoryDefaults.databasePath)); \
            `loadops import` adds results made elsewhere. `loadops history trend --metric p95` is the \
            weekly regression review in one screen.
            """,
        subcommands: [List.self, Show.self, Trend.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List runs, newest first (the default).")

        @OptionGroup var database: HistoryDatabaseOption

        @Option(help: ArgumentHelp("How many runs to list.", valueName: "n"))
        var last: Int = 20

        func validate() throws {
            guard last > 0 else { throw ValidationError("--last must be a positive number of runs, found \(last)") }
        }

        func run() throws {
            print(try HistoryReport.runList(databasePath: database.path, last: last), terminator: "")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one run with its endpoints.")

        @Argument(help: ArgumentHelp("A run id, `latest` or `previous`.", valueName: "run"))
        var runSpec: String = "latest"

        @OptionGroup var database: HistoryDatabaseOption

        func run() throws {
            print(try HistoryReport.runDetail(runSpec, databasePath: database.path), terminator: "")
        }
    }

    struct Trend: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trend",
            abstract: "Show a metric across the last runs, as a table and a sparkline.",
            discussion: """
                Only runs of one configuration are shown: the same fingerprint (`history show` prints it) \
                of everything in results.json's `config` but the output folder and the config file's path. \
                By default the configuration of the latest run, on --host and in --environment when given; \
                --config-of picks another run's configuration; --all-configurations shows every run.
                """)

        @Option(help: ArgumentHelp(
            "One of \(TrendMetric.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "metric"))
        var metric: String = TrendMetric.p95.rawValue

        @Option(help: ArgumentHelp("An endpoint name (or `METHOD name`); default: all endpoints together.", valueName: "name"))
        var endpoint: String?

        @Option(help: ArgumentHelp("How many runs to show.", valueName: "n"))
        var last: Int = 20

        @Option(help: ArgumentHelp("Only runs against this host: a base URL, or host[:port] for any scheme.", valueName: "host"))
        var host: String?

        @Option(help: ArgumentHelp("Only runs in this environment.", valueName: "name"))
        var environment: String?

        @Option(help: ArgumentHelp(
            "Only runs with the configuration of this run (an id, `latest` or `previous`); default: the latest run in scope.",
            valueName: "run"))
        var configOf: String?

        @Flag(help: "Show runs of every configuration, not only one.")
        var allConfigurations = false

        @OptionGroup var database: HistoryDatabaseOption

        func validate() throws {
            guard TrendMetric(rawValue: metric) != nil else {
                throw ValidationError("--metric must be one of \(TrendMetric.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(metric)\"")
            }
            guard last > 0 else { throw ValidationError("--last must be a positive number of runs, found \(last)") }
            if configOf != nil && allConfigurations {
                throw ValidationError("--config-of and --all-configurations contradict each other: use one of them")
            }
            for (option, value) in [("--host", host), ("--environment", environment), ("--config-of", configOf)] {
                if let value, value.trimmingCharacters(in: .whitespaces).isEmpty {
                    throw ValidationError("\(option) needs a value, found an empty one")
                }
            }
        }

        func run() throws {
            let request = TrendRequest(
                metric: TrendMetric(rawValue: metric) ?? .p95, endpoint: endpoint, last: last, host: host,
                environment: environment, configOf: configOf, allConfigurations: allConfigurations)
            print(try HistoryReport.trend(request, databasePath: database.path), terminator: "")
        }
    }
}
