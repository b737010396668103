import ArgumentParser
import Foundation
import LoadOpsKit
import LoadTarget

/// `loadops target`: runs the built-in demo API until SIGINT or SIGTERM.
struct TargetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "target",
        abstract: "Run the built-in demo API (a system under test for demos and tests).",
        discussion: """
            Routes: GET /health; GET|POST /sessions/{uuid}, /patient_checkin/{uuid}, \
            /pre_checkin/{uuid}; GET /__target/stats; anything else is echoed.
            For user flows (requests that pass values on): --sessions makes POST /sessions/{uuid} \
            create a session (201) that the other routes then want, or answer 404; --auth adds \
            POST /login {"username":…,"password":…} → {"token":…}, and every route but /health, \
            /__target/stats and /login then wants 'Authorization: Bearer TOKEN', or answers 401. \
            Both are counted in /__target/stats.
            Prints one line 'loadops target listening on http://HOST:PORT (...)' when ready, \
            and the request counts when stopped with Ctrl-C or SIGTERM.
            """
    )

    // Values are read as text and parsed here, so a bad value exits with 2 and a
    // message saying what was expected, like every other loadops command.
    @Option(help: "Address to listen on. Loopback unless you ask otherwise.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free port.")
    var port: String = "8000"

    @Option(help: "Delay before answering: 20ms, 10ms-50ms (uniform), normal:50ms,10ms (mean,stddev).")
    var latency: String?

    @Option(help: "Delay added for each second the server has run: 5ms makes every answer 5 ms slower a second (a target slowing down under load).")
    var latencyGrowth: String?

    @Option(help: "Fraction of requests answered with 500: 0.05 or 5%.")
    var errorRate: String?

    @Option(help: "Requests per second across the server; past it, 429 with Retry-After: 1.")
    var rateLimit: String?

    @Option(help: "Pause the server periodically, e.g. --stall-every 5s --stall-for 1s.")
    var stallEvery: String?

    @Option(help: "How long each pause lasts (with --stall-every).")
    var stallFor: String?

    @Option(help: "Send Connection: close on every Nth response.")
    var closeEvery: String?

    @Option(help: "Event-loop threads.")
    var threads: String = "1"

    @Flag(help: "Remember sessions: POST /sessions/{uuid} creates one (201); GET /sessions/{uuid}, /patient_checkin/{uuid} and /pre_checkin/{uuid} answer 404 for a session never created (up to a million kept, the oldest forgotten first).")
    var sessions = false

    @Option(help: ArgumentHelp(
        "An account for POST /login, as USER:PASSWORD; repeat for more. Turns on tokens: every route but /health, /__target/stats and /login then needs 'Authorization: Bearer TOKEN' from a login, or answers 401.",
        valueName: "user:password"))
    var auth: [String] = []

    func run() async throws {
        let settings: (behaviour: TargetBehaviour, port: Int, threads: Int)
        do {
            settings = try readSettings()
        } catch {
            throw BadTargetOption(error: error)
        }

        // Listen for signals before printing the ready line, so a signal sent as soon as
        // the line is read stops us cleanly instead of killing the process.
        let signals = TerminationSignals()
        defer { signals.cancel() }

        let server: LoadTargetServer
        do {
            server = try await LoadTargetServer.start(host: host, port: settings.port, behaviour: settings.behaviour, threads: settings.threads)
        } catch let error as TargetOptionError {
            throw BadTargetOption(error: error)
        }

        if !Self.isLoopback(host) {
            CommandOutput.printWarning("listening on \(host), not loopback; other machines can reach this server")
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        print("loadops target listening on http://\(shownHost):\(server.port) (\(settings.behaviour.summary))")
        // Whoever started us may be reading the port from a pipe, where stdout is block-buffered.
        fflush(nil)

        let signalNumber = await signals.first()
        writeToStandardError("loadops target: stopping (signal \(signalNumber))\n")
        try await server.stop()
        print(server.counts().description)
        fflush(nil)
    }

    private func readSettings() throws(TargetOptionError) -> (behaviour: TargetBehaviour, port: Int, threads: Int) {
        guard let portNumber = Int(port), (0...65535).contains(portNumber) else {
            throw TargetOptionError(option: "port", value: port, expected: "a port between 0 and 65535 (0 picks a free port)")
        }
        guard let threadCount = Int(threads), (1...256).contains(threadCount) else {
            throw TargetOptionError(option: "threads", value: threads, expected: "a whole number of event-loop threads between 1 and 256")
        }
        var behaviour = TargetBehaviour()
        if let latency {
            behaviour.latency = try TargetLatency.parse(latency)
        }
        if let latencyGrowth {
            behaviour.latencyGrowth = try parseTargetDuration(latencyGrowth, option: "latency-growth")
        }
        if let errorRate {
            behaviour.errorRate = try parseTargetErrorRate(errorRate)
        }
        if let rateLimit {
            behaviour.rateLimit = try parseTargetRateLimit(rateLimit)
        }
        switch (stallEvery, stallFor) {
        case (nil, nil):
            break
        case (let every?, let duration?):
            behaviour.stall = TargetStall(
                every: try parseTargetDuration(every, option: "stall-every"),
                duration: try parseTargetDuration(duration, option: "stall-for"))
        case (nil, let duration?):
            throw TargetOptionError(option: "stall-for", value: duration, expected: "to be given together with --stall-every, e.g. --stall-every 5s --stall-for 1s")
        case (let every?, nil):
            throw TargetOptionError(option: "stall-every", value: every, expected: "to be given together with --stall-for, e.g. --stall-every 5s --stall-for 1s")
        }
        if let closeEvery {
            guard let count = Int(closeEvery), count >= 1 else {
                throw TargetOptionError(option: "close-every", value: closeEvery, expected: "a whole number of responses, at least 1")
            }
            behaviour.closeEvery = count
        }
        behaviour.rememberSessions = sessions
        for account in auth {
            behaviour.accounts.append(try parseTargetAccount(account))
        }
        try behaviour.validate()
        return (behaviour, portNumber, threadCount)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// A `loadops target` option that cannot be used: bad input (exit 2), worded by the option's parser.
private struct BadTargetOption: Error, CustomStringConvertible, ExitStatusProviding {
    let error: TargetOptionError
    var description: String { error.description }
    var exitStatus: ExitStatus { .badInput }
}

/// SIGINT and SIGTERM as an async value. The default actions are switched off first
/// so a signal reaches the dispatch source instead of killing the process.
private final class TerminationSignals {
    private let queue = DispatchQueue(label: "loadops.target.signals")
    private var sources: [any DispatchSourceSignal] = []
    private let signals: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation

    init() {
        (signals, continuation) = AsyncStream<Int32>.makeStream()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { [continuation] in continuation.yield(signalNumber) }
            source.resume()
            sources.append(source)
        }
    }

    /// Suspends until the first signal and returns its number.
    func first() async -> Int32 {
        var iterator = signals.makeAsyncIterator()
        return await iterator.next() ?? SIGTERM
    }

    func cancel() {
        for source in sources {
            source.cancel()
        }
        continuation.finish()
    }
}

private func writeToStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
