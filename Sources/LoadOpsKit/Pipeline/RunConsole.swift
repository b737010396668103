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
        /// Keys of the warning signs that hold now, in the order they started: shown on the status line.
        var activeWarnings: [String] = []
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

    /// An error line, worded by the command (`loadops run: error: …`): always to standard error, and logged.
    public func errorLine(_ line: String) {
        state.withLock { state in
            if state.statusLineShown {
                FileHandle.standardOutput.write(Data("\r\u{1B}[2K".utf8))
                state.statusLineShown = false
            }
            FileHandle.standardError.write(Data((line + "\n").utf8))
            Self.record(line, in: &state)
        }
    }

    /// A warning sign starting or clearing, or an abort rule firing: a line each, as it happens.
    public func watchEvent(_ event: WatchEvent) {
        switch event {
        case .warningStarted(let key, let message):
            state.withLock { $0.activeWarnings.append(key) }
            line("⚠ warning: \(message)")
        case .warningCleared(let key, let message):
            state.withLock { $0.activeWarnings.removeAll { $0 == key } }
            line("✓ cleared: \(message)")
        case .aborted(let rule):
            line("✗ abort rule holds: \(rule): stopping the load")
        }
    }

    /// Live progress: rewrites the status line on a terminal; a plain line every few seconds otherwise.
    public func progress(_ second: SecondSnapshot) {
        let warnings = state.withLock { $0.activeWarnings }
        let flag = warnings.isEmpty ? "" : " | ⚠ \(warnings.joined(separator: ", "))"
        let text = ProgressLine.render(second, bar: isTerminal) + flag
        let plain = ProgressLine.render(second, bar: false) + flag
        state.withLock { state in
            let due = second.elapsed - state.lastPlainProgress >= plainInterval - 0.01
            if due {
                state.lastPlainProgress = second.elapsed
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

    public func runProgressed(_ second: SecondSnapshot, stop: StopSignal) {
        progress(second)
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
        ISO8601Timestamp.format(Date(), fractional: false)
    }
}

/// The one-line live status: elapsed and remaining, users, throughput, failures, latency.
public enum ProgressLine {
    public static func render(_ second: SecondSnapshot, bar: Bool) -> String {
        let elapsed = min(second.elapsed, second.plannedDuration)
        let fraction = second.plannedDuration > 0 ? elapsed / second.plannedDuration : 1
        var text = "[\(ReportNumber.clock(elapsed, rounding: .down)) / \(ReportNumber.clock(second.plannedDuration, rounding: .down))"
        if bar {
            let width = 16
            let filled = Int((fraction * Double(width)).rounded(.down))
            text += " " + String(repeating: "█", count: filled) + String(repeating: "░", count: max(width - filled, 0))
        }
        text += " " + ReportNumber.rightAligned(Int(fraction * 100), width: 3) + "%]"
        if let target = second.targetRate {
            text += " \(rate(second.requestsPerSecond)) of \(rate(target)) req/s"
            text += " | connections \(second.users)"
        } else {
            text += " users \(second.users)"
            text += " | \(rate(second.requestsPerSecond)) req/s"
        }
        text += " | \(rate(second.failuresPerSecond)) fail/s"
        text += " | p50 \(ms(second.p50)) p95 \(ms(second.p95)) p99 \(ms(second.p99))"
        text += " | \(second.totalRequests) reqs"
        if second.queued > 0 { text += " | queued \(second.queued)" }
        text += " | failures \(second.totalFailures)"
        if !second.totalFailuresByKind.isEmpty {
            let kinds = second.totalFailuresByKind.sorted { $0.value > $1.value }.prefix(3)
                .map { "\($0.key.kindName) \($0.value)" }.joined(separator: ", ")
            text += " (\(kinds))"
        }
        return text
    }

    /// Requests per second, one decimal.
    static func rate(_ value: Double) -> String { ReportNumber.fixed(value, places: 1) }

    /// `12.3ms`, `250ms`.
    static func ms(_ value: Double) -> String { ReportNumber.fixed(value, places: value >= 100 ? 0 : 1) + "ms" }
}
