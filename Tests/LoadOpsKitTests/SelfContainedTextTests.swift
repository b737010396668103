import Foundation
import LoadTarget
import Testing

@testable import LoadOpsKit

/// What loadops writes and prints reads on its own (no references to documents outside the
/// repository), and `loadops target` reads durations as every other command does.
@Suite(.serialized) struct SelfContainedTextTests {
    /// Words that point outside the project: its source notes, issue numbers, an unnamed guide.
    static func outsideReferences(in text: String) -> [String] {
        let lower = text.lowercased()
        return ["seed", "issue ", "design.md", "the guide", "guide's"].filter { word in
            // "the operations guide's" names the document; a bare "guide's" does not.
            word == "guide's" ? lower.replacingOccurrences(of: "operations guide's", with: "").contains(word) : lower.contains(word)
        }
    }

    @Test func generatedFilesSayWhatTheyMean() async throws {
        #expect(Self.outsideReferences(in: ProjectInitializer.template) == [])
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let initialised = try await ChildProcess.run(TestSupport.binary, ["init"], directory: directory)
        #expect(initialised.status == 0, "\(initialised.stderr)")
        for file in ["loadops.yml", "checklists/preflight.yml", "checklists/cleanup.yml", "checklists/post-test.yml"] {
            let text = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
            #expect(Self.outsideReferences(in: text) == [], "\(file)")
        }
        let loadopsYml = try String(contentsOfFile: "\(directory)/loadops.yml", encoding: .utf8)
        #expect(loadopsYml.contains("check-in API"))
    }

    @Test func helpTextsSayWhatTheyMean() async throws {
        let commands = ["", "demo", "run", "init", "config show", "target", "preflight", "cleanup", "archive", "history",
                        "import", "compare", "baseline", "summary"]
        for command in commands {
            let arguments = command.split(separator: " ").map(String.init) + ["--help"]
            let help = try await ChildProcess.run(TestSupport.binary, arguments)
            #expect(help.status == 0, "\(command): \(help.stderr)")
            #expect(Self.outsideReferences(in: help.stdout) == [], "loadops \(command) --help: \(help.stdout)")
        }
        let demo = try await ChildProcess.run(TestSupport.binary, ["demo", "--help"])
        #expect(demo.stdout.contains("check-in API"), "\(demo.stdout)")
    }

    // MARK: one duration syntax

    @Test func targetDurationsReadLikeEveryOtherDuration() throws {
        #expect(try TargetLatency.parse("1m") == .fixed(.seconds(60)))
        #expect(try TargetLatency.parse("1h30m") == .fixed(.seconds(5400)))
        #expect(try TargetLatency.parse("250us") == .fixed(.microseconds(250)))
        #expect(try TargetLatency.parse("10ms-1.5s") == .uniform(min: .milliseconds(10), max: .milliseconds(1500)))
        #expect(try parseTargetDuration("1m", option: "stall-every") == .seconds(60))
        #expect(try parseTargetDuration("2m30s", option: "stall-for") == .seconds(150))
        // The same text means the same length to `loadops run`.
        for text in ["1m", "1h30m", "250us", "1.5s", "90"] {
            let seconds = try DurationParser.seconds(from: text)
            #expect(try parseTargetDuration(text, option: "stall-for") == .nanoseconds(Int64((seconds * 1e9).rounded())))
        }
        #expect(throws: TargetOptionError.self) { try parseTargetDuration("2d", option: "stall-for") }
    }

    /// `loadops target --latency 1m --stall-every 2m --stall-for 1m30s` starts and says what it does.
    @Test func targetAcceptsMinutesOnTheCommandLine() async throws {
        let port = TestSupport.freePort()
        let target = ChildProcess(TestSupport.binary, ["target", "--port", String(port), "--latency", "1m",
                                                       "--stall-every", "2m", "--stall-for", "1m30s"])
        try target.start()
        // Its counters answer at once, whatever the latency of the API routes.
        let listening: Void? = try? await ServiceTestSupport.waitUntil("the target to listen", timeout: 20) {
            (try? TestSupport.httpGet(port: port, path: "/__target/stats"))?.contains("\"total\"") == true
        }
        // Stopped by its PID whether or not it started.
        target.signal(SIGTERM)
        let result = await target.wait(timeout: 10)
        #expect(listening != nil, "stdout: \(result.stdout) stderr: \(result.stderr)")
        let firstLine = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(firstLine.hasPrefix("loadops target listening on http://127.0.0.1:\(port)"), "\(result.stdout)\(result.stderr)")
        #expect(firstLine.contains("60s"), "\(firstLine)")
    }
}
