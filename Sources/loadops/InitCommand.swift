import ArgumentParser
import Foundation
import LoadOpsKit

/// `loadops init`: a starting `loadops.yml` and the project folders. Never overwrites a configuration.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a commented loadops.yml and the checklists/, baselines/ and archive/ folders.")

    @Argument(help: ArgumentHelp("Folder to set up (default: the current folder).", valueName: "folder"))
    var directory: String?

    func run() throws {
        let folder = directory ?? FileManager.default.currentDirectoryPath
        let created = try ProjectInitializer.initialize(in: folder)
        for path in created {
            let shown = path.hasPrefix(folder + "/") ? String(path.dropFirst(folder.count + 1)) : path
            print("created \(shown)")
        }
        print("next: `loadops config show` to check the settings, then `loadops run`")
    }
}
