import Foundation
import Testing
@testable import LoadOpsKit

/// Every command prints its errors in one form, `loadops COMMAND: error: …` on standard error, and
/// `loadops.yml` and the checklists are read by one YAML loader with one error format.
@Suite struct ErrorStyleTests {
    /// Bad input to each command, through the built binary: one prefix, the message after it, exit 2
    /// (or 1 where the command was used correctly but found nothing to work on).
    @Test func everyCommandPrintsErrorsInOneForm() async throws {
        let folder = try TestSupport.temporaryDirectory("loadops-error-style")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "host: http://127.0.0.1:9\nload:\n  users: many\n".write(toFile: "\(folder)/bad.yml", atomically: true, encoding: .utf8)
        try "- kind: disk\n  path: [\n".write(toFile: "\(folder)/broken.yml", atomically: true, encoding: .utf8)
        try "{ \"not\": \"results\" }\n".write(toFile: "\(folder)/other.json", atomically: true, encoding: .utf8)

        let cases: [(arguments: [String], status: Int32, message: String)] = [
            (["run", "-c", "bad.yml"], 2, "loadops run: error: bad.yml:3:10: load.users: expected a whole number"),
            (["config", "show", "-c", "bad.yml"], 2, "loadops config show: error: bad.yml:3:10: load.users: expected"),
            (["run", "--tolerance", "lots"], 2, #"loadops run: error: --tolerance: expected a percentage such as 5% or 10, got "lots""#),
            (["compare", "--format", "html"], 2, #"loadops compare: error: --format: expected one of table, markdown, json, got "html""#),
            (["compare", "--metric-tolerance", "p97=3%"], 2, "loadops compare: error: --metric-tolerance: expected METRIC=PERCENT"),
            (["summary", "--output", "nowhere"], 2, "loadops summary: error: "),
            (["import", "missing.json"], 2, "loadops import: error: missing.json: no such file, and no Locust stats file missing.json_stats.csv"),
            (["import", "other.json"], 2, "loadops import: error: "),
            (["history", "show", "latest"], 2, "loadops history show: error: "),
            (["history", "trend", "--metric", "p97"], 2, "loadops history trend: error: --metric must be one of"),
            (["preflight", "--checklist", "broken.yml"], 2, "loadops preflight: error: broken.yml:"),
            (["cleanup", "--checklist", "missing.yml", "--yes"], 2, "loadops cleanup: error: missing.yml: checklist not found"),
            (["archive", "verify"], 1, "loadops archive verify: error: no archives in archive"),
            (["archive", "--quiet"], 1, "loadops archive: error: results folder load_test_reports does not exist"),
            (["target", "--port", "70000"], 2, "loadops target: error: "),
        ]
        for (arguments, status, message) in cases {
            let result = try await ChildProcess.run(TestSupport.binary, arguments, directory: folder)
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix(message), "\(arguments): \(result.stderr)")
            #expect(result.stderr.components(separatedBy: "error:").count == 2, "\(arguments): \(result.stderr)")
        }
    }

    /// The same YAML mistake in loadops.yml and in a checklist is reported the same way, by one loader.
    @Test func configAndChecklistsShareOneYAMLLoaderAndErrorFormat() throws {
        let folder = try TestSupport.temporaryDirectory("loadops-yaml-loader")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let broken = "host: [\n"
        let duplicated = "timeout: 1s\ntimeout: 2s\n"
        for text in [broken, duplicated] {
            try text.write(toFile: "\(folder)/loadops.yml", atomically: true, encoding: .utf8)
            try text.write(toFile: "\(folder)/checklist.yml", atomically: true, encoding: .utf8)
            let configError = try #require(catching {
                _ = try ConfigLoader.load(path: "loadops.yml", environment: [:], workingDirectory: folder)
            })
            let checklistError = try #require(catching {
                _ = try PreflightChecklistParser.parse(path: "checklist.yml", workingDirectory: folder, config: LoadOpsConfig(),
                                                       environment: [:])
            })
            #expect(configError.kind == .syntax && checklistError.kind == .syntax)
            #expect(configError.line != nil && configError.line == checklistError.line && configError.column == checklistError.column)
            #expect(configError.message == checklistError.message, "\(configError) / \(checklistError)")
            #expect(configError.description == "loadops.yml:" + checklistError.description.dropFirst("checklist.yml:".count))
        }
        // Unreadable files are refused in the same words too.
        try FileManager.default.createDirectory(atPath: "\(folder)/folder.yml", withIntermediateDirectories: true)
        let configFolder = try #require(catching {
            _ = try ConfigLoader.load(path: "folder.yml", environment: [:], workingDirectory: folder)
        })
        let checklistFolder = try #require(catching {
            _ = try CleanupChecklistParser.parse(path: "folder.yml", workingDirectory: folder, environment: [:])
        })
        #expect(configFolder == ConfigError.unreadableFile("folder.yml", reason: "it is a folder, not a file"))
        #expect(checklistFolder == configFolder)
    }

    /// A checklist's unknown kind is found by the one kind reader for checks and steps alike.
    @Test func checksAndStepsReadTheirKindTheSameWay() throws {
        let check = catching {
            _ = try PreflightChecklistParser.parse(text: "- kind: htp\n", displayPath: "p.yml", config: LoadOpsConfig(), environment: [:])
        }
        let step = catching {
            _ = try CleanupChecklistParser.parse(text: "- kind: comand\n", displayPath: "c.yml", environment: [:])
        }
        #expect(check?.description.hasPrefix(#"p.yml:1:9: [0].kind: unknown check kind "htp"; expected one of"#) == true, "\(String(describing: check))")
        #expect(check?.description.contains(#"(did you mean "http"?)"#) == true)
        #expect(step?.description.hasPrefix(#"c.yml:1:9: [0].kind: unknown step kind "comand"; expected one of"#) == true, "\(String(describing: step))")
        #expect(step?.description.contains(#"(did you mean "command"?)"#) == true)
    }

    private func catching(_ body: () throws -> Void) -> ConfigError? {
        do {
            try body()
            return nil
        } catch {
            return error as? ConfigError
        }
    }
}
