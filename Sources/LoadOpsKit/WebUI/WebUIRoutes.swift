import Foundation
import NIOCore
import NIOHTTP1

/// One answer of the web UI: a status, headers and a body, or the start of an event stream.
struct WebUIResponse {
    var status: HTTPResponseStatus
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// `/events`: the head goes out, then the stream stays open for `WebUIEventStream`.
    var isEventStream = false

    static func text(_ status: HTTPResponseStatus, _ text: String) -> WebUIResponse {
        WebUIResponse(status: status, headers: [("content-type", "text/plain; charset=utf-8")], body: Array((text + "\n").utf8))
    }

    static func json(_ status: HTTPResponseStatus, _ object: some Encodable) -> WebUIResponse {
        let body = (try? JSONEncoder().encode(object)).map(Array.init) ?? Array("{}".utf8)
        return WebUIResponse(status: status, headers: [("content-type", "application/json")], body: body)
    }

    /// `{"error": "…"}` with the status.
    static func problem(_ status: HTTPResponseStatus, _ message: String) -> WebUIResponse {
        json(status, ["error": message])
    }
}

/// What each path of the web UI does, after `WebUIAccess` has let the request in.
struct WebUIRoutes: Sendable {
    let access: WebUIAccess
    let session: WebUISession
    let events: WebUIEventStream

    /// The page's own script and styles only; no inline script, nothing from elsewhere; charts are
    /// inline SVG drawn with presentation attributes.
    static let pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    /// A run's HTML report: self-contained, its own inline styles and hover script, in a sandbox with
    /// an origin of its own, so nothing in it can reach the UI's controls.
    static let reportPolicy = "sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; "
        + "script-src 'unsafe-inline'; img-src data:"

    func respond(to head: HTTPRequestHead, body: ByteBuffer?) -> WebUIResponse {
        var response: WebUIResponse
        switch access.decide(head) {
        case .foreign(let reason):
            response = .text(.forbidden, "loadops ui: refused: \(reason)")
        case .noToken:
            response = WebUIAccess.path(of: head.uri) == "/" && head.method == .GET
                ? WebUIResponse(status: .unauthorized, headers: [("content-type", "text/html; charset=utf-8")],
                                body: Array(WebUIPage.tokenNeeded.utf8))
                : .text(.unauthorized, "loadops ui: the token is missing or wrong: open the address loadops ui printed at start-up")
        case .allowedWithQueryToken where head.method == .GET:
            // Into a cookie, and out of the address bar, the history and any Referer. Back to the same
            // page, never to `//another.host`.
            let path = WebUIAccess.path(of: head.uri)
            let local = path.hasPrefix("/") && !path.hasPrefix("//") && !path.contains("\\") ? path : "/"
            response = WebUIResponse(status: .seeOther, headers: [("location", local), ("set-cookie", access.cookie)])
        case .allowed, .allowedWithQueryToken:
            response = route(head, body: body)
        }
        response.headers += [("cache-control", "no-store"), ("x-content-type-options", "nosniff"),
                             ("x-frame-options", "DENY"), ("referrer-policy", "no-referrer")]
        return response
    }

    private func route(_ head: HTTPRequestHead, body: ByteBuffer?) -> WebUIResponse {
        let path = WebUIAccess.path(of: head.uri)
        switch (head.method, path) {
        case (.GET, "/"):
            return WebUIResponse(status: .ok, headers: [("content-type", "text/html; charset=utf-8"),
                                                        ("content-security-policy", Self.pagePolicy)],
                                 body: Array(WebUIPage.html(defaults: WebUIFormDefaults.load(session.settings),
                                                            address: access.address).utf8))
        case (.GET, "/ui.js"):
            return WebUIResponse(status: .ok, headers: [("content-type", "text/javascript; charset=utf-8")],
                                 body: Array(WebUIPage.script.utf8))
        case (.GET, "/ui.css"):
            return WebUIResponse(status: .ok, headers: [("content-type", "text/css; charset=utf-8")],
                                 body: Array(WebUIPage.styles.utf8))
        case (.GET, "/events"):
            return WebUIResponse(status: .ok, headers: [("content-type", "text/event-stream")], isEventStream: true)
        case (.GET, "/api/state"):
            return .json(.ok, session.view())
        case (.POST, "/api/start"):
            return post(head, body: body, as: WebUIStartForm.self) { session.start($0) }
        case (.POST, "/api/stop"):
            return post(head, body: body, as: [String: String].self) { _ in session.stop() }
        case (.POST, "/api/change"):
            return post(head, body: body, as: WebUIChangeForm.self) { session.change($0) }
        case (.GET, _) where path.hasPrefix("/results/"):
            return resultFile(String(path.dropFirst("/results/".count)))
        case (_, "/"), (_, "/ui.js"), (_, "/ui.css"), (_, "/events"), (_, "/api/state"):
            return WebUIResponse(status: .methodNotAllowed, headers: [("allow", "GET")])
        case (_, "/api/start"), (_, "/api/stop"), (_, "/api/change"):
            return WebUIResponse(status: .methodNotAllowed, headers: [("allow", "POST")])
        default:
            return .text(.notFound, "loadops ui: no such page")
        }
    }

    /// A control: JSON only, which a cross-site HTML form cannot send.
    private func post<Form: Decodable>(_ head: HTTPRequestHead, body: ByteBuffer?, as form: Form.Type,
                                       _ action: (Form) -> WebUISession.Answer) -> WebUIResponse {
        guard head.headers["content-type"].contains(where: { $0.lowercased().hasPrefix("application/json") }) else {
            return .problem(.unsupportedMediaType, "send the form as application/json")
        }
        let bytes = body.map { Array($0.readableBytesView) } ?? []
        guard let decoded = try? JSONDecoder().decode(Form.self, from: Data(bytes.isEmpty ? Array("{}".utf8) : bytes)) else {
            return .problem(.badRequest, "the body is not the JSON object this control expects")
        }
        switch action(decoded) {
        case .done: return .json(.ok, session.view())
        case .conflict(let message): return .problem(.conflict, message)
        case .invalid(let message): return .problem(.badRequest, message)
        }
    }

    /// One of the last finished run's files, by name from a fixed list: nothing else on disk is reachable.
    private func resultFile(_ name: String) -> WebUIResponse {
        guard WebUIView.servedFiles.contains(name), let finished = session.finishedFiles,
              finished.files.contains((finished.folder as NSString).appendingPathComponent(name)),
              let data = FileManager.default.contents(atPath: (finished.folder as NSString).appendingPathComponent(name))
        else {
            return .text(.notFound, "loadops ui: no such file in the last run's results")
        }
        let type: String
        var headers: [(String, String)] = []
        switch (name as NSString).pathExtension {
        case "html":
            type = "text/html; charset=utf-8"
            headers.append(("content-security-policy", Self.reportPolicy))
        case "json": type = "application/json"
        case "csv": type = "text/csv; charset=utf-8"
        default: type = "text/plain; charset=utf-8"
        }
        return WebUIResponse(status: .ok, headers: [("content-type", type)] + headers, body: Array(data))
    }
}

/// Reads one request at a time and answers it through `WebUIRoutes`; `/events` stays open.
final class WebUIRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The controls' JSON is small; anything larger is refused.
    static let bodyLimit = 64 * 1024

    private let routes: WebUIRoutes
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false
    private var streaming = false

    init(routes: WebUIRoutes) {
        self.routes = routes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            tooLarge = false
        case .body(var chunk):
            if (body?.readableBytes ?? 0) + chunk.readableBytes > Self.bodyLimit {
                tooLarge = true
            } else if body == nil {
                body = chunk
            } else {
                body?.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let response = tooLarge
                ? WebUIResponse.problem(.payloadTooLarge, "the body is larger than \(Self.bodyLimit / 1024) KiB")
                : routes.respond(to: head, body: body)
            write(response, for: head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if streaming { routes.events.remove(context.channel) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func write(_ response: WebUIResponse, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(response.headers)
        if response.isEventStream {
            streaming = true
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status,
                                                                         headers: headers))), promise: nil)
            routes.events.add(context.channel)
            return
        }
        headers.add(name: "content-length", value: String(response.body.count))
        let keepAlive = head.isKeepAlive && !tooLarge
        if !keepAlive { headers.add(name: "connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))),
                      promise: nil)
        if !response.body.isEmpty, head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
