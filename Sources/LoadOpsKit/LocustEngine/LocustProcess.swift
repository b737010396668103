import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One Locust process (master, worker or a standalone run) that loadops started and stops by its PID.
///
/// Spawned with posix_spawnp in a process group of its own: a terminal's Ctrl-C reaches loadops
/// only, which then stops each process itself (SIGTERM, which Locust answers by writing its final
/// statistics, then SIGKILL to the group if it is still there), so no Locust is left behind. Output
/// goes to a log file, never a pipe, so a chatty process cannot block on a full pipe.
final class LocustProcess: Sendable {
    let pid: pid_t
    let logPath: String
    let role: String
    private let exit = Mutex<Int32?>(nil)

    private init(pid: pid_t, logPath: String, role: String) {
        self.pid = pid
        self.logPath = logPath
        self.role = role
    }

    struct Captured: Sendable {
        var status: Int32
        var output: String
    }

    /// Starts `arguments` (the first is looked up in PATH), output appended to `logPath` (nil: loadops's own output).
    static func start(_ arguments: [String], logPath: String?, role: String) throws(LocustEngineError) -> LocustProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        let pid: pid_t
        switch ProcessSpawn.spawn(arguments, searchingPath: true, output: logPath.map { .appending($0) } ?? .inherited,
                                  environment: environment) {
        case .success(let started):
            pid = started
        case .failure(let failure):
            throw .cannotStart(what: "\(role) (\(arguments[0]))", reason: failure.reason)
        }
        return LocustProcess(pid: pid, logPath: logPath ?? "", role: role)
    }

    /// Runs `arguments` to the end (at most `timeout` seconds) and returns its status and output.
    static func capture(_ arguments: [String], timeout: Double) throws(LocustEngineError) -> Captured {
        let logPath = NSTemporaryDirectory() + "/loadops-locust-\(UUID().uuidString).log"
        defer { unlink(logPath) }
        let process = try start(arguments, logPath: logPath, role: arguments.joined(separator: " "))
        let deadline = Date().addingTimeInterval(timeout)
        while process.exitStatus == nil {
            if Date() > deadline {
                process.kill()
                _ = process.waitBlocking()
                throw .cannotStart(what: arguments.joined(separator: " "), reason: "no answer within \(Int(timeout)) s")
            }
            usleep(20_000)
        }
        return Captured(status: process.exitStatus ?? -1, output: process.output())
    }

    /// The exit status (128 + signal when killed), or nil while it runs. Reaps the process once.
    var exitStatus: Int32? {
        exit.withLock { known in
            if let known { return known }
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let signal = status & 0x7f
                known = signal == 0 ? (status >> 8) & 0xff : 128 + signal
            } else if reaped < 0 && errno == ECHILD {
                known = -1
            }
            return known
        }
    }

    var isRunning: Bool { exitStatus == nil }

    /// Asks it to stop as Locust expects (SIGTERM: final statistics written, workers told to quit),
    /// then, after `grace` seconds, kills its whole process group.
    func stop(grace: Double) async {
        guard isRunning else { return }
        Glibc.kill(pid, SIGTERM)
        _ = await waitForExit(within: grace)
        kill()
        _ = await waitForExit(within: 5)
    }

    /// SIGKILL to its process group (it and anything it started).
    func kill() {
        if isRunning { Glibc.kill(-pid, SIGKILL) }
    }

    /// Waits up to `seconds` for the process to end; its status, or nil when it still runs.
    func waitForExit(within seconds: Double) async -> Int32? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if let status = exitStatus { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return exitStatus
    }

    private func waitBlocking() -> Int32? {
        for _ in 0..<500 {
            if let status = exitStatus { return status }
            usleep(10_000)
        }
        return exitStatus
    }

    /// What it printed so far.
    func output() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// The last line worth showing: an error's last line rather than Locust's shutdown notice.
    func lastMeaningfulLine() -> String? {
        let lines = output().split(whereSeparator: \.isNewline).map(String.init)
            .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let interesting = lines.last { $0.contains("Error") || $0.contains("error") || $0.contains("Exception") }
        return (interesting ?? lines.last).map { $0.count > 300 ? String($0.prefix(300)) + "…" : $0 }
    }
}
