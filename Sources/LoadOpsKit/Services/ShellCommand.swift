import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a checklist's `command:` through `/bin/sh -c` with a time limit.
///
/// Spawned with posix_spawn in a process group of its own and reaped with waitpid, rather
/// than through Foundation's `Process`: on Linux its termination handler did not fire inside
/// the async command (the shell stayed a zombie), and a process group lets the timeout stop
/// the shell's children too, by the group's id. Output goes to a temporary file rather than a
/// pipe, so a background grandchild holding the pipe open cannot make us wait past the limit.
enum ShellCommand {
    struct Outcome: Sendable, Equatable {
        /// nil when the command was killed for running too long.
        var exitStatus: Int32?
        var timedOut: Bool
        /// The last non-empty line of stdout and stderr together, for a one-line reason.
        var lastLine: String?
        var seconds: Double
        /// The end of stdout and stderr together, at most the bytes asked for (none by default).
        var output = ""
    }

    /// - Parameter keepingOutput: bytes of the output's end to keep in `Outcome.output`.
    static func run(_ command: String, timeout: Double, workingDirectory: String, keepingOutput: Int = 0) async throws -> Outcome {
        let outputPath = NSTemporaryDirectory() + "/loadops-command-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }

        let started = ContinuousClock.now
        let pid = try spawn(command, outputPath: outputPath, workingDirectory: workingDirectory)
        RunningCommandGroups.add(pid)
        defer { RunningCommandGroups.remove(pid) }
        let status = try await waitForExit(pid, within: timeout)
        if status == nil {
            // Ask politely, then insist; the negative id addresses the whole process group.
            kill(-pid, SIGTERM)
            if try await waitForExit(pid, within: 2) == nil {
                kill(-pid, SIGKILL)
                if try await waitForExit(pid, within: 5) == nil {
                    // Cancelled (or stuck): SIGKILL cannot be refused, so this wait is short.
                    var ignored: Int32 = 0
                    waitpid(pid, &ignored, 0)
                }
            }
            // Children the shell left behind in its group get the same.
            kill(-pid, SIGKILL)
        }
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let lastLine = text.split(whereSeparator: \.isNewline).last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty })
            .map { String($0.prefix(200)) }
        var output = ""
        if keepingOutput > 0 {
            let bytes = Array(text.utf8)
            output = bytes.count <= keepingOutput ? text
                : "[… \(bytes.count - keepingOutput) earlier bytes left out]\n" + String(decoding: bytes.suffix(keepingOutput), as: UTF8.self)
        }
        return Outcome(exitStatus: status, timedOut: status == nil, lastLine: lastLine, seconds: seconds, output: output)
    }

    private static func spawn(_ command: String, outputPath: String, workingDirectory: String) throws -> pid_t {
        // The folder and the command travel as arguments ($0, $1), so neither needs quoting.
        let arguments = ["/bin/sh", "-c", "cd -- \"$0\" && exec /bin/sh -c \"$1\"", workingDirectory, command]
        switch ProcessSpawn.spawn(arguments, searchingPath: false, output: .replacing(outputPath)) {
        case .success(let pid): return pid
        case .failure(let failure): throw ServiceError("cannot start /bin/sh: \(failure.reason)")
        }
    }

    /// The exit status (128 + signal when killed), or nil if still running after `seconds`.
    private static func waitForExit(_ pid: pid_t, within seconds: Double) async throws -> Int32? {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
                let signal = status & 0x7f
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal
            }
            if reaped < 0 && errno != EINTR {
                throw ServiceError("lost track of the command (pid \(pid)): \(String(cString: strerror(errno)))")
            }
            if ContinuousClock.now >= deadline || Task.isCancelled { return nil }
            // Polling keeps this free of signal handlers; 10 ms is far below any useful timeout.
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
