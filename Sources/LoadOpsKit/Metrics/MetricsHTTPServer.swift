import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 server for `GET /metrics`, on an event loop of its own (never one of the
/// generator's), so a scrape does not take time from the load.
final class MetricsHTTPServer: Sendable {
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// The loop every connection, and whatever the page is built from, runs on.
    var eventLoop: any EventLoop { channel.eventLoop }

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.group = group
        self.channel = channel
    }

    /// Listens at once (while the run is being prepared, so a port in use is known before anything
    /// happens). `page` builds the body of `/metrics`, on `eventLoop`.
    static func start(_ settings: MetricsListenSettings, page: @escaping @Sendable () -> [UInt8]) throws(MetricsListenError) -> MetricsHTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(page: page))
                }
            }
        do {
            // Called from the synchronous preparation of a run, never on an event loop.
            let channel = try bootstrap.bind(host: settings.address.host, port: settings.address.port).wait()
            return MetricsHTTPServer(group: group, channel: channel)
        } catch {
            group.shutdownGracefully { _ in }
            throw MetricsListenError(address: settings.address.authority, reason: ListenFailureReason.text(error))
        }
    }

    /// Stops listening and closes every connection; returns at once.
    func close() {
        group.shutdownGracefully { _ in }
    }
}

/// Why a server could not listen, in plain words: NIO's bind errors read like
/// `bind(descriptor:ptr:bytes:): … (errno: 98)`.
enum ListenFailureReason {
    /// `portInUse`: what to do about a port in use (`choose another port`).
    static func text(_ error: any Error, portInUse: String = "choose another port") -> String {
        if let ioError = error as? IOError {
            switch ioError.errnoCode {
            case EADDRINUSE: return "the port is already in use by another process (\(portInUse))"
            case EACCES: return "permission denied (ports below 1024 need privileges)"
            case EADDRNOTAVAIL: return "no interface of this machine has that address"
            default: return String(cString: strerror(ioError.errnoCode))
            }
        }
        if error is SocketAddressError { return "cannot resolve the host name" }
        return "\(error)"
    }
}

/// Answers one connection: `GET` (or `HEAD`) `/metrics` with the page, anything else with 404 or 405.
private final class MetricsRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let page: @Sendable () -> [UInt8]
    private var head: HTTPRequestHead?

    init(page: @escaping @Sendable () -> [UInt8]) {
        self.page = page
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(to: head, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let status: HTTPResponseStatus
        var body: [UInt8]
        var headers = HTTPHeaders()
        if path != "/metrics" {
            status = .notFound
            body = Array("loadops serves its live metrics at /metrics\n".utf8)
        } else if head.method != .GET && head.method != .HEAD {
            status = .methodNotAllowed
            body = Array("GET /metrics\n".utf8)
            headers.add(name: "allow", value: "GET, HEAD")
        } else {
            status = .ok
            body = page()
        }
        // The text exposition format's own content type, as Prometheus asks for it.
        headers.add(name: "content-type", value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
        headers.add(name: "content-length", value: String(body.count))
        if head.method == .HEAD { body = [] }
        let keepAlive = head.isKeepAlive
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if head.version.major == 1, head.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
