import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The web UI could not listen where `--bind` asks (exit 2).
public struct WebUIBindError: Error, CustomStringConvertible, ExitStatusProviding, Sendable {
    public var address: String
    public var reason: String

    public var exitStatus: ExitStatus { .badInput }
    public var description: String { "--bind \(address): cannot listen there: \(reason)" }
}

/// `loadops ui`: a page to start, watch, change and stop a run, served by SwiftNIO's HTTP/1.1 server
/// on an event loop of its own (never one of the generator's). Every request passes `WebUIAccess`
/// first; the live view goes out as server-sent events, once a second and whenever the run's phase
/// changes.
public final class WebUIServer: Sendable {
    /// The address to open, with the token: the one place the token is ever shown.
    public let url: String
    public let address: ListenAddress
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let session: WebUISession
    private let events: WebUIEventStream

    private init(url: String, address: ListenAddress, group: MultiThreadedEventLoopGroup, channel: any Channel,
                 session: WebUISession, events: WebUIEventStream) {
        self.url = url
        self.address = address
        self.group = group
        self.channel = channel
        self.session = session
        self.events = events
    }

    /// Listens at once; a port in use is an error here, before anything else happens.
    public static func start(_ settings: WebUISettings) async throws -> WebUIServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let events = WebUIEventStream(eventLoop: loop)
        let session = WebUISession(settings: settings) { events.publishSoon() }
        events.source = { session.view() }
        let access = WebUIAccess(address: settings.address)
        let routes = WebUIRoutes(access: access, session: session, events: events)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(WebUIRequestHandler(routes: routes))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: settings.address.host, port: settings.address.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw WebUIBindError(address: settings.address.authority,
                                  reason: ListenFailureReason.text(error, portInUse: "choose another with --bind"))
        }
        events.startTicking()
        // Every interface includes loopback, which is the address this machine's browser can open.
        let local = settings.address.isWildcard
            ? ListenAddress(host: settings.address.host.contains(":") ? "::1" : "127.0.0.1", port: settings.address.port)
            : settings.address
        return WebUIServer(url: "http://\(local.authority)/?\(WebUIAccess.tokenQueryParameter)=\(access.token)",
                           address: settings.address, group: group, channel: channel, session: session, events: events)
    }

    /// Serves until `stop` is asked for (SIGINT, SIGTERM), then stops the run under way, waits until
    /// its results are written, and closes. True when a run was under way.
    @discardableResult
    public func serve(until stop: StopSignal) async -> Bool {
        while !stop.isRequested {
            try? await Task.sleep(for: .milliseconds(100))
        }
        return await close(reason: stop.reason ?? .signal("SIGTERM"))
    }

    /// Stops the run under way with `reason` (its results are saved) and stops listening. True when
    /// a run was under way.
    @discardableResult
    public func close(reason: StopReason) async -> Bool {
        let interrupted = await session.shutdown(reason: reason)
        events.stop()
        try? await channel.close()
        try? await group.shutdownGracefully()
        return interrupted
    }
}

/// The open `/events` streams, each sent the view once a second and whenever the phase changes.
final class WebUIEventStream: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var ticker: RepeatedTask?
        var source: (@Sendable () -> WebUIView)?
    }

    let eventLoop: any EventLoop
    private let state = Mutex(State())

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Builds the view each time it is sent.
    var source: (@Sendable () -> WebUIView)? {
        get { state.withLock { $0.source } }
        set { state.withLock { $0.source = newValue } }
    }

    func startTicking() {
        let task = eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in publish() }
        state.withLock { $0.ticker = task }
    }

    func stop() {
        let (ticker, channels) = state.withLock { state in
            defer { state.channels = [:] }
            return (state.ticker, Array(state.channels.values))
        }
        ticker?.cancel()
        for channel in channels { channel.close(promise: nil) }
    }

    func add(_ channel: any Channel) {
        state.withLock { $0.channels[ObjectIdentifier(channel)] = channel }
        // The new page gets the view at once, not in up to a second.
        if let event = event() { send(event, to: [channel]) }
    }

    func remove(_ channel: any Channel) {
        state.withLock { _ = $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Sends the view now, from the server's loop.
    func publishSoon() {
        eventLoop.execute { [self] in publish() }
    }

    private func publish() {
        let channels = state.withLock { Array($0.channels.values) }
        guard !channels.isEmpty, let event = event() else { return }
        send(event, to: channels)
    }

    /// One `data:` line of JSON (JSON never holds a raw line break), then the blank line that ends the event.
    private func event() -> ByteBuffer? {
        guard let source, let json = try? JSONEncoder().encode(source()) else { return nil }
        var buffer = ByteBuffer()
        buffer.writeString("data: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }

    private func send(_ buffer: ByteBuffer, to channels: [any Channel]) {
        for channel in channels {
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
    }
}
