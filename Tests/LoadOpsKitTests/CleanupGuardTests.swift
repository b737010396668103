import Foundation
import Testing

@testable import LoadOpsKit

/// The cleanup's two guards: no output folder that is (or lies in) a system folder, and no run
/// against an environment whose name says production, however it is spelt.
@Suite("Cleanup guards", .serialized)
struct CleanupGuardTests {
    @Test(arguments: [
        "/", "/var", "/etc", "/etc/nginx", "/usr", "/usr/local/share", "/bin", "/boot", "/lib", "/lib64", "/opt", "/srv",
        "/root", "/home", "/tmp", "/proc", "/sys", "/dev", "/var/lib", "/var/lib/postgresql", "/var/log", "/run",
    ])
    func systemFoldersAreRefused(folder: String) throws {
        // Only folders that exist here are resolved; the guard refuses them before reading anything.
        guard FileManager.default.fileExists(atPath: folder) else { return }
        let project = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: project) }
        #expect(throws: CleanupError.self, "\(folder)") {
            _ = try OutputFolderGuard(output: folder, workingDirectory: project)
        }
    }

    @Test func systemFoldersAreRecognisedByPath() {
        for folder in ["/var", "/etc/ssl", "/usr/lib/x", "/home/alice", "/Users/alice", "/tmp", "/opt", "/var/lib/docker",
                       "/var/cache/apt", "/boot/efi"] {
            #expect(OutputFolderGuard.systemFolder(containing: folder) != nil, "\(folder)")
        }
        for folder in ["/tmp/reports", "/tmp/a/b", "/home/alice/project/load_test_reports", "/opt/loadops/reports",
                       "/srv/loadtests/out", "/var/lib/loadops/reports", "/var/tmp/x", "/mnt/data/reports"] {
            #expect(OutputFolderGuard.systemFolder(containing: folder) == nil, "\(folder)")
        }
    }

    /// `output: /var` with `remove: ["*"]`, planned (a dry run reads only): the step is refused and says why.
    @Test func cleanupRefusesASystemOutputFolder() async throws {
        let project = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: project) }
        try FileManager.default.createDirectory(atPath: project + "/checklists", withIntermediateDirectories: true)
        try "steps:\n  - kind: remove\n    paths: [\"*\"]\n"
            .write(toFile: project + "/checklists/cleanup.yml", atomically: true, encoding: .utf8)
        try "output: /var\n".write(toFile: project + "/loadops.yml", atomically: true, encoding: .utf8)
        let dry = try await ChildProcess.run(TestSupport.binary, ["cleanup", "--dry-run"], directory: project)
        #expect(dry.status != 0, "stdout: \(dry.stdout)")
        #expect((dry.stdout + dry.stderr).contains("refused: the output folder \"/var\" is /var, a system folder"),
                "stdout: \(dry.stdout) stderr: \(dry.stderr)")
    }

    @Test(arguments: ["production", "prod", "PROD", "Production-EU", "production-eu", "preprod", "eu-prod-2"])
    func productionNamesAreRefused(environment: String) throws {
        let checklist = try CleanupChecklistParser.parse(text: "- kind: remove\n  paths: [\"*.csv\"]\n", displayPath: "c.yml", environment: [:])
        let config = LoadOpsConfig(environment: environment, sourceDescription: "loadops.yml")
        #expect(throws: CleanupError.productionRefused(environment: environment, source: "loadops.yml")) {
            try CleanupRunner.authorize(checklist, displayPath: "c.yml", config: config, options: CleanupOptions(assumeYes: true))
        }
        try CleanupRunner.authorize(checklist, displayPath: "c.yml", config: config,
                                    options: CleanupOptions(assumeYes: true, allowProduction: true))
        try CleanupRunner.authorize(checklist, displayPath: "c.yml", config: LoadOpsConfig(environment: "staging"),
                                    options: CleanupOptions(assumeYes: true))
    }

    @Test func productionEUIsRefusedThroughTheBinary() async throws {
        let project = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: project) }
        try FileManager.default.createDirectory(atPath: project + "/checklists", withIntermediateDirectories: true)
        try "steps:\n  - kind: remove\n    paths: [\"*.csv\"]\n"
            .write(toFile: project + "/checklists/cleanup.yml", atomically: true, encoding: .utf8)
        try "output: out\nenvironment: production-eu\n".write(toFile: project + "/loadops.yml", atomically: true, encoding: .utf8)
        let refused = try await ChildProcess.run(TestSupport.binary, ["cleanup", "--yes"], directory: project)
        #expect(refused.status == 2, "stdout: \(refused.stdout) stderr: \(refused.stderr)")
        #expect(refused.stderr.contains("environment is \"production-eu\""), "\(refused.stderr)")
    }
}
