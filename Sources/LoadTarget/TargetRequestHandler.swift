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

    func counts() -> TargetCounts {
        ledger.withLockedValue { $0.snapshot() }
    }
}

/// Response bodies that never change, built once so requests only share them.
struct TargetBodies: Sendable {
    let health: ByteBuffer
    let throttled: ByteBuffer
    let failed: ByteBuffer
    let badID: ByteBuffer
    let methodNotAllowed: ByteBuffer

    init() {
        let allocator = ByteBufferAllocator()
        health = allocator.buffer(string: #"{"status":"ok"}"#)
        throttled = allocator.buffer(string: #"{"error":"rate limit exceeded","retry_after":1}"#)
        failed = allocator.buffer(string: #"{"error":"injected failure"}"#)
        badID = allocator.buffer(string: #"{"error":"id is not a UUID"}"#)
        methodNotAllowed = allocator.buffer(string: #"{"error":"method not allowed"}"#)
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
    private var pendingResponse: Scheduled<Void>?

    init(core: TargetCore) {
        self.core = core
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestHead = head
            bodyBytes = 0
        case .body(let chunk):
            // The body is read to its end but only its length matters to any route.
            bodyBytes += chunk.readableBytes
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
        let request = RoutedRequest(method: head.method, uri: head.uri)
        let keepAlive = head.isKeepAlive

        switch request.route {
        case .stats:
            // Not counted: watching the target must not change what it reports.
            if case .stats = request.answer {
                let body = context.channel.allocator.buffer(string: core.counts().json)
                write(status: .ok, body: body, allow: nil, retryAfter: false, keepAlive: keepAlive, version: head.version, context: context)
            } else {
                write(status: .methodNotAllowed, body: core.bodies.methodNotAllowed, allow: "GET", retryAfter: false, keepAlive: keepAlive, version: head.version, context: context)
            }
        case .health:
            let status = request.answer.status
            let close = core.ledger.withLockedValue { $0.recordControl(slot: request.counterSlot, status: Int(status.code)) }
            let body = status == .ok ? core.bodies.health : core.bodies.methodNotAllowed
            write(status: status, body: body, allow: status == .ok ? nil : "GET", retryAfter: false, keepAlive: keepAlive && !close, version: head.version, context: context)
        case .sessions, .patientCheckin, .preCheckin, .echo:
            respondWithBehaviour(to: head, request: request, keepAlive: keepAlive, context: context)
        }
    }

    private func respondWithBehaviour(to head: HTTPRequestHead, request: RoutedRequest, keepAlive: Bool, context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        let elapsed = Int64(clamping: now.uptimeNanoseconds &- core.startedAt.uptimeNanoseconds)
        let admission = core.ledger.withLockedValue {
            $0.admit(slot: request.counterSlot, routedStatus: Int(request.answer.status.code), elapsedNanoseconds: elapsed)
        }

        let status: HTTPResponseStatus
        let body: ByteBuffer
        var allow: String?
        var retryAfter = false
        var delay: Int64 = admission.latencyNanoseconds
        if let growth = core.behaviour.latencyGrowth {
            delay += Int64(Double(growth.targetNanoseconds) * Double(elapsed) / 1e9)
        }
        switch admission.outcome {
        case .throttled:
            status = .tooManyRequests
            body = core.bodies.throttled
            retryAfter = true
            delay = 0
        case .failed:
            status = .internalServerError
            body = core.bodies.failed
        case .routed:
            status = request.answer.status
            switch request.answer {
            case .resource(let id, let resourceStatus):
                var buffer = context.channel.allocator.buffer(capacity: 32 + id.utf8.count + resourceStatus.utf8CodeUnitCount)
                buffer.writeStaticString(#"{"id":""#)
                buffer.writeSubstring(id)
                buffer.writeStaticString(#"","status":""#)
                buffer.writeStaticString(resourceStatus)
                buffer.writeStaticString(#""}"#)
                body = buffer
            case .badID:
                body = core.bodies.badID
            case .methodNotAllowed:
                body = core.bodies.methodNotAllowed
                allow = "GET, POST"
            case .echo, .health, .stats:
                let text = "{\"method\":\(jsonString(head.method.rawValue)),\"path\":\(jsonString(head.uri)),\"body_bytes\":\(bodyBytes)}"
                body = context.channel.allocator.buffer(string: text)
            }
        }

        let due = stallAdjusted(dueNanoseconds: elapsed + delay, stall: core.behaviour.stall)
        let keepOpen = keepAlive && !admission.closeConnection
        if due <= elapsed {
            write(status: status, body: body, allow: allow, retryAfter: retryAfter, keepAlive: keepOpen, version: head.version, context: context)
            return
        }
        // Wait on the event loop's timer, never by blocking its thread.
        let deadline = core.startedAt + .nanoseconds(due)
        pendingResponse = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.pendingResponse = nil
            self.write(status: status, body: body, allow: allow, retryAfter: retryAfter, keepAlive: keepOpen, version: head.version, context: context)
        }
    }

    private func write(
        status: HTTPResponseStatus, body: ByteBuffer, allow: String?, retryAfter: Bool,
        keepAlive: Bool, version: HTTPVersion, context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        if let allow {
            headers.add(name: "allow", value: allow)
        }
        if retryAfter {
            headers.add(name: "retry-after", value: "1")
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
