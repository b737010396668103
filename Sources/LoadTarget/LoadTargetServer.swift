import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The server could not start.
public struct LoadTargetStartError: Error, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var reason: String

    public var description: String {
        "cannot listen on \(host):\(port): \(reason)"
    }
}

/// A small HTTP/1.1 server that behaves like a system under test, for demos and tests.
///
/// Routes:
/// - `GET /health` → 200 `{"status":"ok"}`
/// - `GET|POST /sessions/{uuid}`, `/patient_checkin/{uuid}`, `/pre_checkin/{uuid}` →
///   200 `{"id":"<uuid>","status":"…"}`; 400 if the id is not a UUID; 405 for other methods
/// - `GET /__target/stats` → the request counters as JSON (not counted itself)
/// - anything else → 200 echo `{"method":…,"path":…,"body_bytes":…}`
///
/// With `rememberSessions`, `POST /sessions/{uuid}` answers 201 `{"id":…,"status":"created"}` and the
/// other API routes 404 `{"error":"no such session"}` for a session never created. With `accounts`,
/// `POST /login` with `{"username":…,"password":…}` answers 200 `{"token":…,"user":…}` (401
/// `{"error":"invalid credentials"}`, 400 for a body that is not such JSON), and every route but
/// `/health`, `/__target/stats` and `/login` answers 401 `{"error":"missing or invalid token"}`
/// without `Authorization: Bearer <token>`.
///
/// See `TargetBehaviour` for latency, errors, rate limit and stalls.
public final class LoadTargetServer: Sendable {
    /// The port actually bound (useful when started with port 0).
    public let port: Int
    public let host: String
    public let behaviour: TargetBehaviour

    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let core: TargetCore
    private let stopped = NIOLockedValueBox(false)

    private init(host: String, port: Int, behaviour: TargetBehaviour, group: MultiThreadedEventLoopGroup, channel: any Channel, core: TargetCore) {
        self.host = host
        self.port = port
        self.behaviour = behaviour
        self.group = group
        self.channel = channel
        self.core = core
    }

    /// Starts listening. Binds to loopback unless another host is given explicitly;
    /// port 0 picks a free port (read it back from `port`).
    public static func start(
        host: String = "127.0.0.1",
        port: Int = 0,
        behaviour: TargetBehaviour = .healthy,
        threads: Int = 1
    ) async throws -> LoadTargetServer {
        try behaviour.validate()
        guard threads >= 1 else {
            throw TargetOptionError(option: "threads", value: "\(threads)", expected: "a whole number of event-loop threads, at least 1")
        }
        guard (0...65535).contains(port) else {
            throw TargetOptionError(option: "port", value: "\(port)", expected: "a port between 0 and 65535 (0 picks a free port)")
        }

        let core = TargetCore(behaviour: behaviour, startedAt: .now())
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(TargetRequestHandler(core: core))
                }
            }

        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw LoadTargetStartError(host: host, port: port, reason: bindFailureReason(error, port: port))
        }
        guard let boundPort = channel.localAddress?.port else {
            try? await channel.close()
            try? await group.shutdownGracefully()
            throw LoadTargetStartError(host: host, port: port, reason: "the socket has no local port")
        }
        return LoadTargetServer(host: host, port: boundPort, behaviour: behaviour, group: group, channel: channel, core: core)
    }

    /// Requests answered so far (decided, including those still waiting out a delay).
    public func counts() -> TargetCounts {
        core.counts()
    }

    /// Closes the listening socket and every connection, then ends the event-loop threads.
    /// Calling it again does nothing.
    public func stop() async throws {
        let alreadyStopped = stopped.withLockedValue { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        // The listening socket may already be closed if the loop failed; that is fine.
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}

/// NIO's bind errors read like `bind(descriptor:ptr:bytes:): … (errno: 98)`; say it plainly.
private func bindFailureReason(_ error: any Error, port: Int) -> String {
    guard let ioError = error as? IOError else { return "\(error)" }
    if ioError.errnoCode == EADDRINUSE {
        return "the port is already in use by another process (port 0 picks a free one)"
    }
    if ioError.errnoCode == EACCES {
        return "permission denied (ports below 1024 need privileges)"
    }
    return String(cString: strerror(ioError.errnoCode))
}
