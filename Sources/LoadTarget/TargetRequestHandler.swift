import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// What every connection of one server shares.
struct TargetCore: Sendable {
    let behaviour: TargetBehaviour
    /// Stall and rate-limit windows are counted from here.
    let startedAt: NIODeadline
    let ledger: NIOLockedValueBox<TargetLedger>
    let bodies: TargetBodies
    /// Nil unless `rememberSessions`: the sessions `POST /sessions/{uuid}` created.
    let sessions: NIOLockedValueBox<RememberedIDs>?
    /// Nil unless the behaviour has accounts.
    let access: TargetAccess?

    init(behaviour: TargetBehaviour, startedAt: NIODeadline) {
        self.behaviour = behaviour
        self.startedAt = startedAt
        ledger = NIOLockedValueBox(TargetLedger(behaviour: behaviour))
        bodies = TargetBodies()
        sessions = behaviour.rememberSessions ? NIOLockedValueBox(RememberedIDs(limit: behaviour.rememberedLimit)) : nil
        access = behaviour.accounts.isEmpty ? nil : TargetAccess(accounts: behaviour.accounts, rememberedLimit: behaviour.rememberedLimit)
    }

    func counts() -> TargetCounts {
        var counts = ledger.withLockedValue { $0.snapshot() }
        if let sessions {
            counts.sessions?.remembered = sessions.withLockedValue { $0.count }
        }
        return counts
    }

    /// Applies session memory and `--auth` to what the route answers. Only reads the shared
    /// memory: a session is stored, and a token made, once the ledger has admitted the request,
    /// so a throttled or failed request leaves nothing behind.
    func flowAnswer(for request: RoutedRequest, headers: HTTPHeaders, loginBody: ByteBuffer?, bodyBytes: Int) -> (RouteAnswer, TargetLedger.FlowEvent?) {
        if let access {
            if request.route == .login {
                guard case .login = request.answer else { return (request.answer, nil) }
                switch access.decideLogin(body: loginBody, bodyBytes: bodyBytes) {
                case .accepted(let user): return (.loginAccepted(user: user), .loginAccepted)
                case .refused: return (.loginRefused, .loginRefused)
                case .unreadable: return (.unreadableLogin, nil)
                }
            }
            guard access.acceptsBearer(in: headers) else { return (.missingToken, .requestRefused) }
        }
        guard let sessions, case .resource(let id, _) = request.answer, let key = RememberedID(uuid: id) else {
            return (request.answer, nil)
        }
        if request.route == .sessions, request.method == .post {
            return (.createdSession(id: id, key: key), .sessionCreated)
        }
        let known = sessions.withLockedValue { $0.contains(key) }
        return known ? (request.answer, nil) : (.unknownSession, .sessionUnknown)
    }
}

/// Response bodies that never change, built once so requests only share them.
struct TargetBodies: Sendable {
    let health: ByteBuffer
    let throttled: ByteBuffer
    let failed: ByteBuffer
    let badID: ByteBuffer
    let methodNotAllowed: ByteBuffer
    let unknownSession: ByteBuffer
    let missingToken: ByteBuffer
    let loginRefused: ByteBuffer
    let unreadableLogin: ByteBuffer

    init() {
        let allocator = ByteBufferAllocator()
        health = allocator.buffer(string: #"{"status":"ok"}"#)
        throttled = allocator.buffer(string: #"{"error":"rate limit exceeded","retry_after":1}"#)
        failed = allocator.buffer(string: #"{"error":"injected failure"}"#)
        badID = allocator.buffer(string: #"{"error":"id is not a UUID"}"#)
        methodNotAllowed = allocator.buffer(string: #"{"error":"method not allowed"}"#)
        unknownSession = allocator.buffer(string: #"{"error":"no such session"}"#)
        missingToken = allocator.buffer(string: #"{"error":"missing or invalid token"}"#)
        loginRefused = allocator.buffer(string: #"{"error":"invalid credentials"}"#)
        unreadableLogin = allocator.buffer(string: #"{"error":"expected a JSON body {\"username\":\"…\",\"password\":\"…\"}"}"#)
    }
}

/// Answers one connection's requests. NIOHTTP1's pipeline handler in front of it
/// hands over one request at a time and holds pipelined ones until the previous
/// response has ended, so delayed responses still go out in order.
final class TargetRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: TargetCore
    private var requestHead: HTTPRequestHead?
    private var bodyBytes = 0
    /// The body of `POST /login` (with `--auth`); every other body is only counted.
    private var loginBody: ByteBuffer?
    private var pendingResponse: Scheduled<Void>?

    init(core: TargetCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestHead = head
            bodyBytes = 0
            loginBody = nil
            if core.access != nil, head.method == .POST, RoutedRequest.path(of: head.uri) == "/login" {
                loginBody = context.channel.allocator.buffer(capacity: 256)
            }
        case .body(var chunk):
            // The body is read to its end but only its length matters to any route but login.
            bodyBytes += chunk.readableBytes
            if var collected = loginBody, bodyBytes <= TargetAccess.loginBodyLimit {
                loginBody = nil  // so the append below does not copy the buffer
                collected.writeBuffer(&chunk)
                loginBody = collected
            }
        case .end:
            guard let head = requestHead else { return }
            requestHead = nil
            respond(to: head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelPendingResponse()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelPendingResponse()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func cancelPendingResponse() {
        pendingResponse?.cancel()
        pendingResponse = nil
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let request = RoutedRequest(method: head.method, uri: head.uri, routesLogin: core.access != nil)
        let keepAlive = head.isKeepAlive

        switch request.route {
        case .stats:
            // Not counted: watching the target must not change what it reports.
            if case .stats = request.answer {
                let body = context.channel.allocator.buffer(string: core.counts().json)
                write(status: .ok, body: body, extraHeader: .none, keepAlive: keepAlive, version: head.version, context: context)
            } else {
                write(status: .methodNotAllowed, body: core.bodies.methodNotAllowed, extraHeader: .allow("GET"), keepAlive: keepAlive, version: head.version, context: context)
            }
        case .health:
            let status = request.answer.status
            let close = core.ledger.withLockedValue { $0.recordControl(slot: request.counterSlot, status: Int(status.code)) }
            let body = status == .ok ? core.bodies.health : core.bodies.methodNotAllowed
            write(status: status, body: body, extraHeader: status == .ok ? .none : .allow("GET"), keepAlive: keepAlive && !close, version: head.version, context: context)
        case .sessions, .patientCheckin, .preCheckin, .echo, .login:
            respondWithBehaviour(to: head, request: request, keepAlive: keepAlive, context: context)
        }
    }

    private func respondWithBehaviour(to head: HTTPRequestHead, request: RoutedRequest, keepAlive: Bool, context: ChannelHandlerContext) {
        var answer = request.answer
        var event: TargetLedger.FlowEvent?
        // Off (the benchmark case), the route's own answer stands and no other lock is taken.
        if core.sessions != nil || core.access != nil {
            (answer, event) = core.flowAnswer(for: request, headers: head.headers, loginBody: loginBody, bodyBytes: bodyBytes)
            loginBody = nil
        }
        let now = NIODeadline.now()
        let elapsed = Int64(clamping: now.uptimeNanoseconds &- core.startedAt.uptimeNanoseconds)
        let admission = core.ledger.withLockedValue {
            $0.admit(slot: request.counterSlot, routedStatus: Int(answer.status.code), event: event, elapsedNanoseconds: elapsed)
        }

        let status: HTTPResponseStatus
        let body: ByteBuffer
        var extraHeader = ExtraHeader.none
        var delay: Int64 = admission.latencyNanoseconds
        if let growth = core.behaviour.latencyGrowth {
            delay += Int64(Double(growth.targetNanoseconds) * Double(elapsed) / 1e9)
        }
        switch admission.outcome {
        case .throttled:
            status = .tooManyRequests
            body = core.bodies.throttled
            extraHeader = .retryAfter
            delay = 0
        case .failed:
            status = .internalServerError
            body = core.bodies.failed
        case .routed:
            status = answer.status
            switch answer {
            case .resource(let id, let resourceStatus):
                body = resourceBody(id: id, status: resourceStatus, context: context)
            case .badID:
                body = core.bodies.badID
            case .methodNotAllowed:
                body = core.bodies.methodNotAllowed
                extraHeader = .allow(request.route == .login ? "POST" : "GET, POST")
            case .createdSession(let id, let key):
                core.sessions?.withLockedValue { $0.insert(key) }
                body = resourceBody(id: id, status: "created", context: context)
            case .unknownSession:
                body = core.bodies.unknownSession
            case .missingToken:
                body = core.bodies.missingToken
                extraHeader = .bearerChallenge
            case .loginAccepted(let user):
                let token = core.access?.grantToken() ?? ""
                body = context.channel.allocator.buffer(string: "{\"token\":\"\(token)\",\"user\":\(jsonString(user))}")
            case .loginRefused:
                body = core.bodies.loginRefused
            case .unreadableLogin, .login:
                body = core.bodies.unreadableLogin
            case .echo, .health, .stats:
                let text = "{\"method\":\(jsonString(head.method.rawValue)),\"path\":\(jsonString(head.uri)),\"body_bytes\":\(bodyBytes)}"
                body = context.channel.allocator.buffer(string: text)
            }
        }

        let due = stallAdjusted(dueNanoseconds: elapsed + delay, stall: core.behaviour.stall)
        let keepOpen = keepAlive && !admission.closeConnection
        if due <= elapsed {
            write(status: status, body: body, extraHeader: extraHeader, keepAlive: keepOpen, version: head.version, context: context)
            return
        }
        // Wait on the event loop's timer, never by blocking its thread.
        let deadline = core.startedAt + .nanoseconds(due)
        pendingResponse = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.pendingResponse = nil
            self.write(status: status, body: body, extraHeader: extraHeader, keepAlive: keepOpen, version: head.version, context: context)
        }
    }

    private func resourceBody(id: Substring, status resourceStatus: StaticString, context: ChannelHandlerContext) -> ByteBuffer {
        var buffer = context.channel.allocator.buffer(capacity: 32 + id.utf8.count + resourceStatus.utf8CodeUnitCount)
        buffer.writeStaticString(#"{"id":""#)
        buffer.writeSubstring(id)
        buffer.writeStaticString(#"","status":""#)
        buffer.writeStaticString(resourceStatus)
        buffer.writeStaticString(#""}"#)
        return buffer
    }

    /// The one header an answer may add to the usual ones.
    private enum ExtraHeader {
        case none
        /// 405: the methods the path takes.
        case allow(String)
        /// 429: `Retry-After: 1`.
        case retryAfter
        /// 401 for a missing token: `WWW-Authenticate: Bearer`, as HTTP asks of every 401.
        case bearerChallenge
    }

    private func write(
        status: HTTPResponseStatus, body: ByteBuffer, extraHeader: ExtraHeader,
        keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        switch extraHeader {
        case .none:
            break
        case .allow(let methods):
            headers.add(name: "allow", value: methods)
        case .retryAfter:
            headers.add(name: "retry-after", value: "1")
        case .bearerChallenge:
            headers.add(name: "www-authenticate", value: "Bearer")
        }
        if !keepAlive {
            headers.add(name: "connection", value: "close")
        } else if version.major == 1, version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}
