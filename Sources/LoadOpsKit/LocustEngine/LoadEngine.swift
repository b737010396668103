import Foundation

/// What sends a run's load: loadops's own SwiftNIO generator, or Locust (headless, optionally as a
/// master with workers on other machines) driven by loadops, whose pipeline stays the same around it.
public enum LoadEngine: String, Sendable, Equatable, CaseIterable {
    case builtin
    case locust
}

/// How `loadops run --engine locust` runs Locust: alone, as a master with local worker processes, or
/// as a master waiting for workers started on other machines.
public struct LocustRunOptions: Sendable, Equatable {
    /// `--workers N`: a master and N worker processes on this machine.
    public var localWorkers: Int
    /// `--expect-workers N`: the master waits for N workers started elsewhere (`loadops worker`).
    public var expectedWorkers: Int
    /// `--master-bind HOST:PORT`: where the master listens for workers.
    public var masterBind: String?
    /// The Python interpreter that has Locust installed.
    public var python: String

    public init(localWorkers: Int = 0, expectedWorkers: Int = 0, masterBind: String? = nil,
                python: String = LocustInstallation.defaultPython) {
        self.localWorkers = localWorkers
        self.expectedWorkers = expectedWorkers
        self.masterBind = masterBind
        self.python = python
    }

    /// A master is needed as soon as any worker is.
    public var isDistributed: Bool { localWorkers > 0 || expectedWorkers > 0 }

    /// At most this many local workers: each is a Python process of its own.
    public static let maximumLocalWorkers = 256
}

/// Problems with the Locust engine found before any load is sent (exit 2) or while it runs.
public enum LocustEngineError: Error, CustomStringConvertible, ExitStatusProviding, Equatable {
    case notInstalled(python: String, reason: String)
    case badMasterAddress(String)
    case badWorkerCount(flag: String, value: Int)
    case distributedWithoutLocust(flag: String)
    case cannotStart(what: String, reason: String)
    case masterFailed(status: Int32, logPath: String, lastLine: String?)
    case noResults(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    /// `load.requests` / `--requests`: Locust has no way to stop after a number of requests.
    case requestCountUnsupported

    public var description: String {
        switch self {
        case .notInstalled(let python, let reason):
            return "the Locust engine needs Locust, which \(python) cannot run (\(reason)); install it with: \(python) -m pip install locust"
        case .badMasterAddress(let text):
            return "--master-bind / --master: expected HOST:PORT such as 0.0.0.0:5557 or 10.0.0.5:5557, got \"\(text)\""
        case .badWorkerCount(let flag, let value):
            return "\(flag): expected a whole number from 1 to \(LocustRunOptions.maximumLocalWorkers), got \(value)"
        case .distributedWithoutLocust(let flag):
            return "\(flag) runs Locust workers: add --engine locust (or engine: locust in loadops.yml)"
        case .cannotStart(let what, let reason):
            return "cannot start \(what): \(reason)"
        case .masterFailed(let status, let logPath, let lastLine):
            return "Locust exited with status \(status) before writing its results" + (lastLine.map { ": \($0)" } ?? "")
                + " (its output: \(logPath))"
        case .noResults(let path, let reason):
            return "Locust's results \(path) cannot be read: \(reason)"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .requestCountUnsupported:
            return "load.requests (--requests, LOAD_TEST_REQUESTS) needs the built-in engine: Locust cannot stop after a number of "
                + "requests; drop it, or run with --engine builtin"
        }
    }

    public var exitStatus: ExitStatus {
        switch self {
        case .notInstalled, .badMasterAddress, .badWorkerCount, .distributedWithoutLocust, .cannotWrite, .requestCountUnsupported:
            return .badInput
        case .cannotStart, .masterFailed, .noResults: return .checkFailed
        }
    }
}

/// `HOST:PORT` for the master: `0.0.0.0:5557`, `10.0.0.5:5557`, `[::1]:5557`.
public struct LocustMasterAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(LocustEngineError) {
        guard let colon = text.lastIndex(of: ":") else { throw .badMasterAddress(text) }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else {
            throw .badMasterAddress(text)
        }
        self.init(host: host, port: port)
    }

    public var text: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Finding Locust: `python3 -m locust`, so the interpreter that has it is the one named.
public enum LocustInstallation {
    public static let defaultPython = "python3"

    /// `locust 2.47.0 ...` → the version; throws the install hint when Locust cannot be run.
    public static func version(python: String) throws(LocustEngineError) -> String {
        let outcome: LocustProcess.Captured
        do {
            outcome = try LocustProcess.capture([python, "-m", "locust", "--version"], timeout: 30)
        } catch {
            throw .notInstalled(python: python, reason: String(describing: error))
        }
        guard outcome.status == 0, let line = outcome.output.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("locust ") }) else {
            let last = outcome.output.split(whereSeparator: \.isNewline).last.map(String.init) ?? "exit status \(outcome.status)"
            throw .notInstalled(python: python, reason: last.count > 160 ? String(last.prefix(160)) + "…" : last)
        }
        return line.split(separator: " ").dropFirst().first.map(String.init) ?? "unknown"
    }
}
