import ArgumentParser
import LoadOpsKit

/// `loadops config show`: the configuration a run would use, after the file, the environment and the flags.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Inspect the effective configuration.",
        subcommands: [Show.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print the merged configuration (loadops.yml, LOAD_TEST_* variables, flags) as YAML, secrets masked.")

        @OptionGroup var options: LoadOptions

        func run() throws {
            let config = try options.loadConfiguration()
            print(ConfigRenderer.yaml(config), terminator: "")
        }
    }
}
