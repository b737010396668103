import Foundation
import Synchronization

/// Where a run's messages go: standard output (one rewritten status line on a terminal,
/// a plain line every few seconds elsewhere) and `load_test.log`, which keeps what was printed.
public final class RunConsole: RunObserver, Sendable {
    private struct State {
        var log: FileHandle?
        /// Lines printed before the log was opened (preflight, cleanup), written to it when it opens.
        var beforeLog: [String] = []
        var statusLineShown = false
        var lastPlainProgress = -Double.infinity
    }

    private let state = Mutex(State())
    public let isTerminal: Bool
    public let quiet: Bool
    /// Seconds between progress lines off a terminal (and in the log).
    public let plainInterval: Double

    public init(quiet: Bool, isTerminal: Bool = isatty(STDOUT_FILENO) == 1, plainInterval: Double = 5) {
        self.quiet = quiet
        self.isTerminal = isTerminal
        self.plainInterval = plainInterval
    }

    /// Starts the log file (anew), beginning with what was printed before it was opened. The log opens
    /// only once the load is about to start, so a run stopped before then leaves the previous run's
    /// results folder as it was.
    public func openLog(at path: String) {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = FileHandle(forWritingAtPath: path)
        state.withLock { state in
            state.log = handle
            for entry in state.beforeLog { handle?.write(Data(entry.utf8)) }
            state.beforeLog = []
        }
    }

    private static func record(_ text: String, in state: inout State) {
        let entry = stamp() + " " + text + "\n"
        if let log = state.log { log.write(Data(entry.utf8)) } else { state.beforeLog.append(entry) }
    }

    public func closeLog() {
        state.withLock { state in
            try? state.log?.close()
            state.log = nil
        }
    }

    /// A message line: printed unless quiet, always logged.
    public func line(_ text: String) {
        state.withLock { state in
            if !quiet {
                if state.statusLineShown {
                    FileHandle.standardOutput.write(Data("\r\u{1B}[2K".utf8))
                    state.statusLineShown = false
                }
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
            }
            Self.record(text, in: &state)
        }
    }

    /// The verdict line: printed like any line, and when quiet to standard error if it is a FAIL, so a
    /// cron job that prints nothing on success still mails why it failed.
    public func verdict(_ text: String, passed: Bool) {
        if quiet && !passed {
            state.withLock { state in
                FileHandle.standardError.write(Data((text + "\n").utf8))
                Self.record(text, in: &state)
            }
        } else {
            line(text)
        }
    }

    /// An error: always to standard error (as `CommandErrors.line(for:)` words it), and logged.
    public func error(_ error: any Error) {
        errorLine(CommandErrors.line(for: error))
    }

    /// An error message: always to standard error, and logged.
    public func error(_ text: String) {
        errorLine("error: " + text)
    }

    private func errorLine(_ line: String) {
        state.withLock { state in
            if state.statusLineShown {
                FileHandle.standardOutput.write(Data("\r\u{1B}[2K".utf8))
                state.statusLineShown = false
            }
            FileHandle.standardError.write(Data((line + "\n").utf8))
            Self.record(line, in: &state)
        }
    }

    /// Live progress: rewrites the status line on a terminal; a plain line every few seconds otherwise.
    public func progress(_ progress: LiveProgress) {
        let text = ProgressLine.render(progress, bar: isTerminal)
        let plain = ProgressLine.render(progress, bar: false)
        state.withLock { state in
            let due = progress.elapsed - state.lastPlainProgress >= plainInterval - 0.01
            if due {
                state.lastPlainProgress = progress.elapsed
                state.log?.write(Data((Self.stamp() + " " + plain + "\n").utf8))
            }
            guard !quiet else { return }
            if isTerminal {
                FileHandle.standardOutput.write(Data(("\r\u{1B}[2K" + text).utf8))
                state.statusLineShown = true
            } else if due {
                FileHandle.standardOutput.write(Data((plain + "\n").utf8))
            }
        }
    }

    public func runProgressed(_ progress: LiveProgress, stop: StopSignal) {
        self.progress(progress)
    }

    public func runEnded(_ outcome: GeneratorOutcome) {
        endProgress()
    }

    /// Ends the status line so the next output starts on a fresh line.
    public func endProgress() {
        state.withLock { state in
            if state.statusLineShown {
                FileHandle.standardOutput.write(Data("\n".utf8))
                state.statusLineShown = false
            }
        }
    }

    private static func stamp() -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date())
    }
}

/// The one-line live status: elapsed and remaining, users, throughput, failures, latency.
public enum ProgressLine {
    public static func render(_ progress: LiveProgress, bar: Bool) -> String {
        let elapsed = min(progress.elapsed, progress.plannedDuration)
        let fraction = progress.plannedDuration > 0 ? elapsed / progress.plannedDuration : 1
        var text = "[\(clock(elapsed)) / \(clock(progress.plannedDuration))"
        if bar {
            let width = 16
            let filled = Int((fraction * Double(width)).rounded(.down))
            text += " " + String(repeating: "█", count: filled) + String(repeating: "░", count: max(width - filled, 0))
        }
        text += String(format: " %3d%%]", Int(fraction * 100))
        if let target = progress.targetRate {
            text += " " + String(format: "%.1f of %.1f req/s", progress.requestsPerSecond, target)
            text += " | connections \(progress.users)"
        } else {
            text += " users \(progress.users)"
            text += " | " + String(format: "%.1f req/s", progress.requestsPerSecond)
        }
        text += " | " + String(format: "%.1f fail/s", progress.failuresPerSecond)
        text += " | p50 \(ms(progress.p50)) p95 \(ms(progress.p95)) p99 \(ms(progress.p99))"
        text += " | \(progress.totalRequests) reqs"
        if progress.queued > 0 { text += " | queued \(progress.queued)" }
        text += " | failures \(progress.totalFailures)"
        if !progress.failuresByKind.isEmpty {
            let kinds = progress.failuresByKind.sorted { $0.value > $1.value }.prefix(3)
                .map { "\($0.key.kindName) \($0.value)" }.joined(separator: ", ")
            text += " (\(kinds))"
        }
        return text
    }

    static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        let hours = total / 3600
        let minutes = (total % 3600) / 60
        let secs = total % 60
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%02d:%02d", minutes, secs)
    }

    static func ms(_ value: Double) -> String {
        value >= 100 ? String(format: "%.0fms", value) : String(format: "%.1fms", value)
    }
}
