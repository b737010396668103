import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
#if canImport(Glibc)
import Glibc
#endif

/// What a connection reports to the worker that owns it. All calls happen on the worker's event loop.
protocol LoadConnectionOwner: AnyObject {
    /// The connection is open and can take a request.
    func connectionReady(_ connection: LoadConnection)
    /// A request finished (answered or failed). `reusable` is false when the connection is closing.
    func connectionFinished(_ connection: LoadConnection, reusable: Bool)
    /// The connection is gone; no request is in flight on it any more.
    func connectionClosed(_ connection: LoadConnection)
    /// A flow step's answer (only for requests sent with `inspect`), before it is counted: the owner
    /// checks it and takes what it needs from it. `raw` holds the whole answer as received when the
    /// step asked for it (`capture`). Returns the failure that makes this answer count as failed.
    func answerArrived(_ connection: LoadConnection, status: Int, raw: ByteBuffer?) -> FailureKind?
}

extension LoadConnectionOwner {
    func answerArrived(_ connection: LoadConnection, status: Int, raw: ByteBuffer?) -> FailureKind? { nil }
}

/// One keep-alive HTTP/1.1 connection sending one request at a time. Latencies go straight
/// into the loop's statistics; the owner decides what to send next.
///
/// Its life is `State`, driven by the owner's calls (`send`, `close`, `abandon`) and the channel's
/// events: connecting → idle ⇄ awaiting an answer → closing → closed. Every request sent is settled
/// exactly once (answered, failed, or given up), and the owner hears of it through `connectionFinished`.
final class LoadConnection: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// The channel is not active yet.
        case connecting
        /// Open, no request in flight: can take one.
        case idle
        /// A request is in flight and nothing of its answer has arrived unread.
        case awaitingAnswer
        /// A request is in flight and the start of its answer waits in `pending` for the rest.
        case awaitingRestOfAnswer
        /// `close()` was called; the channel has not gone inactive yet. With `answerDue`, a request
        /// was still in flight: the close settles it.
        case closing(answerDue: Bool)
        /// The channel is gone.
        case closed
    }

    /// Where the connection's bytes go: a NIO channel (TLS, or where `SocketEventLoop` is not
    /// available), or a socket of `SocketEventLoop`.
    private enum Link {
        case none
        case channel(ChannelHandlerContext)
        #if os(Linux)
        case socket(PlainSocket)
        #endif
    }

    // Fields in the order a request touches them: with thousands of connections each one is cold
    // in the cache when its answer arrives, so the hot ones share the first cache lines.
    private var link = Link.none
    private let shared: LoopShared
    private unowned let owner: any LoadConnectionOwner
    private var reader = ResponseReader()
    private var state = State.connecting
    /// The owner's mark, not the connection's state: set when the user behind this connection is
    /// leaving, so the next answer closes it without the owner looking the user up on every request.
    var retiring = false
    private var endpoint = 0
    private(set) var sentNanos: UInt64 = 0
    private var intendedNanos: UInt64 = 0
    /// When the first bytes of the answer in flight arrived (0: none yet).
    private var firstByteNanos: UInt64 = 0
    /// Which credential this connection's requests carry.
    let credential: Int
    /// Free for the owner's bookkeeping (user slot, position in the idle list, ...).
    var slot: Int = -1

    // Cold: redirects followed for the request in flight, answers split across reads, and requests
    // with placeholders.
    private var redirectsFollowed = 0
    private var pending = ByteBuffer()
    private var scratch = ByteBuffer()
    private var bodyScratch = ByteBuffer()

    // Cold: where the connection's own time went, recorded with its first request.
    private let connectStartNanos: UInt64
    private var connectedNanos: UInt64 = 0
    private var handshakeDoneNanos: UInt64 = 0
    private var firstRequestPending = true

    // Cold: flow steps. `inspects`: the owner sees the answer before it is counted; `captures`: the
    // answer's bytes are kept for it (up to `capturedBytesKept`).
    private var inspects = false
    private var captures = false
    private var captured = ByteBuffer()
    static let capturedBytesKept = 4 * 1024 * 1024
    /// Whether the last request settled counted as failed (read by flow owners in `connectionFinished`).
    private(set) var lastRequestFailed = false

    init(owner: any LoadConnectionOwner, shared: LoopShared, credential: Int) {
        self.owner = owner
        self.shared = shared
        self.credential = credential
        self.connectStartNanos = NIODeadline.now().uptimeNanoseconds
    }

    /// Connected and not closing (a request may be in flight).
    var isOpen: Bool {
        switch state {
        case .idle, .awaitingAnswer, .awaitingRestOfAnswer: return true
        case .connecting, .closing, .closed: return false
        }
    }

    /// A request was sent and is not settled yet.
    var inFlight: Bool {
        switch state {
        case .awaitingAnswer, .awaitingRestOfAnswer, .closing(answerDue: true): return true
        case .connecting, .idle, .closing(answerDue: false), .closed: return false
        }
    }

    /// Part of an answer has been read and the rest is still to come.
    var isPartway: Bool {
        switch state {
        case .awaitingAnswer, .awaitingRestOfAnswer: return firstByteNanos != 0
        case .connecting, .idle, .closing, .closed: return false
        }
    }

    /// Sends a request for `endpoint`; `intendedNanos` is when it should have started
    /// (the open model's schedule), used for the coordinated-omission-corrected latency.
    /// Returns false (and sends nothing) when the connection is not open.
    @discardableResult
    func send(endpoint: Int, intendedNanos: UInt64) -> Bool {
        guard case .idle = state else { return false }
        self.endpoint = endpoint
        self.intendedNanos = intendedNanos
        let template = shared.templates[endpoint]
        reader.reset(expectsNoBody: shared.isHead[endpoint])
        redirectsFollowed = 0
        let request = template.request(credential: credential, scratch: &scratch, bodyScratch: &bodyScratch,
                                       random: &shared.random, sequence: shared.sequence)
        state = .awaitingAnswer
        firstByteNanos = 0
        sentNanos = NIODeadline.now().uptimeNanoseconds
        write(request)
        return true
    }

    @inline(__always)
    private func write(_ bytes: ByteBuffer) {
        switch link {
        case .channel(let context):
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        #if os(Linux)
        case .socket(let socket):
            socket.write(bytes)
        #endif
        case .none:
            break
        }
    }

    /// Sends a flow step: its variables filled from `variables`, `cookie` (a whole header line or
    /// empty) after the credential. With `inspect`, the owner's `answerArrived` judges the answer;
    /// with `capture`, it gets the answer's bytes too.
    @discardableResult
    func send(endpoint: Int, intendedNanos: UInt64, variables: [[UInt8]], cookie: [UInt8],
              inspect: Bool, capture: Bool) -> Bool {
        guard case .idle = state else { return false }
        self.endpoint = endpoint
        self.intendedNanos = intendedNanos
        inspects = inspect
        captures = capture
        // One large answer must not keep megabytes on every connection for the rest of the run.
        if captured.capacity > 64 * 1024 { captured = ByteBuffer() } else { captured.clear() }
        reader.reset(expectsNoBody: shared.isHead[endpoint])
        redirectsFollowed = 0
        let request = shared.templates[endpoint].request(
            credential: credential, variables: variables, cookie: cookie, scratch: &scratch, bodyScratch: &bodyScratch,
            random: &shared.random, sequence: shared.sequence)
        state = .awaitingAnswer
        firstByteNanos = 0
        sentNanos = NIODeadline.now().uptimeNanoseconds
        write(request)
        return true
    }

    /// Gives up on the request in flight (timeout, end of run), counting it as `failure`, and closes.
    func abandon(failure: FailureKind) {
        if inFlight {
            complete(bodyBytes: 0, failure: failure, reusable: false)
        }
        close()
    }

    func close() {
        switch state {
        case .closing, .closed:
            return
        case .awaitingAnswer, .awaitingRestOfAnswer:
            state = .closing(answerDue: true)
        case .connecting, .idle:
            state = .closing(answerDue: false)
        }
        switch link {
        case .channel(let context):
            context.close(promise: nil)
        #if os(Linux)
        case .socket(let socket):
            socket.close()
        #endif
        case .none:
            break  // before handlerAdded there is nothing to close yet; handlerAdded closes it then
        }
    }

    #if os(Linux)
    /// The socket carrying this connection (`SocketEventLoop`), from the start of its connect.
    func attach(_ socket: PlainSocket) {
        link = .socket(socket)
    }
    #endif

    // MARK: ChannelInboundHandler

    func handlerAdded(context: ChannelHandlerContext) {
        link = .channel(context)
        if case .closing = state { context.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        becameActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received(unwrapInboundIn(data))
    }

    /// Ends the event here: nothing after this handler needs it, and passing it on touches the
    /// tail of the pipeline on every response.
    func channelReadComplete(context: ChannelHandlerContext) {}

    func channelInactive(context: ChannelHandlerContext) {
        becameInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failed(error) {
            // Asked only when the certificate was refused, to say why.
            try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate
        }
    }

    // MARK: events of the channel or socket

    /// The connection is open.
    func becameActive() {
        connectedNanos = NIODeadline.now().uptimeNanoseconds
        if case .connecting = state { state = .idle }
        // Told even when closed meanwhile: the owner counts its connection attempts by this call.
        owner.connectionReady(self)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            handshakeDoneNanos = NIODeadline.now().uptimeNanoseconds
        }
    }

    /// Bytes arrived (at `arrivedNanos`, uptime, when the socket knows: a read that waited for the
    /// loop's next pass).
    func received(_ bytes: ByteBuffer, arrivedNanos: UInt64 = 0) {
        var incoming = bytes
        // One clock reading per read serves as the first byte's time and, for an answer that came in
        // one read (most do), as its end. A kernel arrival time is never taken as before the send
        // nor after now: the two clocks are read a moment apart.
        let clock = NIODeadline.now().uptimeNanoseconds
        let now = arrivedNanos == 0 ? clock : min(max(arrivedNanos, sentNanos), clock)
        switch state {
        case .awaitingAnswer:
            break
        case .awaitingRestOfAnswer:
            pending.writeBuffer(&incoming)
            incoming = pending
            pending = ByteBuffer()
            state = .awaitingAnswer
        case .connecting, .idle, .closing, .closed:
            return  // bytes nobody asked for, or a connection on its way out: ignore
        }
        if firstByteNanos == 0 { firstByteNanos = now }
        let answerStart = incoming.readerIndex
        do throws(ResponseReader.ReadError) {
            let response = try reader.read(&incoming)
            if captures { keepCaptured(incoming, from: answerStart) }
            if let response {
                if let location = response.location, let redirects = shared.redirects,
                   followRedirect(response, to: location, policy: redirects) {
                    return
                }
                var failure: FailureKind? = shared.successPolicies[endpoint].isSuccess(response.status)
                    ? nil : .httpStatus(response.status)
                if inspects && failure == nil {
                    failure = owner.answerArrived(self, status: response.status, raw: captures ? captured : nil)
                }
                if let failure, shared.statistics.wantsSample(endpoint: endpoint, failure: failure) {
                    // What this read held of the answer (all of it, for the small answers errors usually
                    // are): read again from where it started, which leaves the reader index where it was.
                    let consumed = incoming.readerIndex - answerStart
                    incoming.moveReaderIndex(to: answerStart)
                    let answer = incoming.readSlice(length: consumed)
                    shared.statistics.keep(FailureSample(endpoint: endpoint, failure: failure,
                                                         bodyStart: answer.map { FailureSample.bodyStart(ofAnswer: $0.readableBytesView) } ?? ""))
                }
                complete(bodyBytes: response.bodyBytes, failure: failure, reusable: response.keepAlive, now: now)
                if !response.keepAlive { close() }
            } else if incoming.readableBytes > 0 {
                // A copy of the rest: `incoming` may be the socket loop's read buffer, reused by the next read.
                pending.clear()
                pending.writeBuffer(&incoming)
                state = .awaitingRestOfAnswer
            }
        } catch {
            switch error {
            case .malformed(let reason):
                complete(bodyBytes: 0, failure: .malformed(reason), reusable: false, now: now)
                close()
            }
        }
    }

    /// A redirect for the request in flight: sends the next hop on this connection (returns true: the
    /// request goes on, timed from its first send), or ends the request as a failure naming why
    /// (returns true), or leaves the answer to be counted as it is (returns false).
    private func followRedirect(_ response: ResponseReader.Response, to location: String, policy: RedirectPolicy) -> Bool {
        switch policy.decide(status: response.status, location: location, endpoint: endpoint, hop: redirectsFollowed) {
        case .keep:
            return false
        case .fail(let reason):
            complete(bodyBytes: response.bodyBytes, failure: .redirect(reason), reusable: response.keepAlive)
            if !response.keepAlive { close() }
            return true
        case .follow(let method, let path):
            // The server is closing this connection: the next hop has nowhere to go, so the answer
            // counts as it is.
            guard response.keepAlive else { return false }
            redirectsFollowed += 1
            captured.clear()
            reader.reset(expectsNoBody: method == "HEAD")
            policy.request(method: method, path: path, credential: credential, into: &scratch)
            write(scratch)
            return true
        }
    }

    /// Appends what this read consumed of the answer (from `start`) to `captured`, up to its limit.
    private func keepCaptured(_ incoming: ByteBuffer, from start: Int) {
        let room = Self.capturedBytesKept - captured.readableBytes
        let length = min(incoming.readerIndex - start, room)
        guard length > 0 else { return }
        // The consumed bytes are behind the reader index, where `getSlice` does not reach: read them again.
        var consumed = incoming
        consumed.moveReaderIndex(to: start)
        if let bytes = consumed.readSlice(length: length) { captured.writeImmutableBuffer(bytes) }
    }

    /// The connection is gone.
    func becameInactive() {
        let answerDue = inFlight
        state = .closed
        if answerDue { settleOnClose() }
        link = .none
        owner.connectionClosed(self)
    }

    /// The connection closed with a request in flight: an answer delimited by the close is complete;
    /// any other was cut off.
    private func settleOnClose() {
        if let response = reader.connectionClosed() {
            var failure: FailureKind? = shared.successPolicies[endpoint].isSuccess(response.status)
                ? nil : .httpStatus(response.status)
            if inspects && failure == nil {
                failure = owner.answerArrived(self, status: response.status, raw: captures ? captured : nil)
            }
            complete(bodyBytes: response.bodyBytes, failure: failure, reusable: false)
        } else {
            complete(bodyBytes: 0, failure: .connectionReset, reusable: false)
        }
    }

    /// The channel or socket failed; `peerCertificate` gives the server's certificate when it was refused.
    func failed(_ error: Error, peerCertificate: () -> NIOSSLCertificate? = { nil }) {
        if let tlsError = error as? NIOSSLError, tlsError == .uncleanShutdown {
            // The server closed the TCP connection without TLS's close_notify, as many do right after
            // an answer delimited by the close: that answer is complete all the same.
            if inFlight { settleOnClose() }
        } else if inFlight {
            let failure = FailureClassifier.classify(error, peerCertificate: peerCertificate)
            complete(bodyBytes: 0, failure: failure, reusable: false)
        }
        close()
    }

    /// Settles the request in flight at `now` (read here when not given). The connection stays
    /// reusable only while it is open.
    private func complete(bodyBytes: Int, failure: FailureKind?, reusable: Bool, now givenNow: UInt64 = 0) {
        let now = givenNow != 0 ? givenNow : NIODeadline.now().uptimeNanoseconds
        switch state {
        case .awaitingAnswer:
            state = .idle
        case .awaitingRestOfAnswer:
            pending = ByteBuffer()
            state = .idle
        case .closing(answerDue: true):
            state = .closing(answerDue: false)
        case .connecting, .idle, .closing(answerDue: false), .closed:
            break
        }
        let stillOpen: Bool
        if case .idle = state { stillOpen = true } else { stillOpen = false }
        shared.statistics.record(
            endpoint: endpoint,
            correctedNanos: now &- min(intendedNanos, sentNanos),
            uncorrectedNanos: now &- sentNanos,
            bodyBytes: bodyBytes,
            failure: failure)
        if firstRequestPending {
            firstRequestPending = false
            recordConnectionPhases()
        }
        if firstByteNanos != 0 {
            // On a new TLS connection the request waits for the handshake: its wait for the first byte starts after it.
            let waitStart = max(sentNanos, handshakeDoneNanos)
            shared.statistics.recordAnswerPhases(endpoint: endpoint, firstByteNanos: firstByteNanos &- min(waitStart, firstByteNanos),
                                                 receiveNanos: now &- min(firstByteNanos, now))
        }
        lastRequestFailed = failure != nil
        owner.connectionFinished(self, reusable: reusable && stillOpen)
    }
}

extension LoadConnection {
    /// The connection's own set-up, counted with the first request it carried.
    fileprivate func recordConnectionPhases() {
        guard connectedNanos != 0 else { return }
        let handshake: UInt64? = handshakeDoneNanos != 0 ? handshakeDoneNanos &- min(connectedNanos, handshakeDoneNanos) : nil
        shared.statistics.recordConnectionPhases(endpoint: endpoint, connectNanos: connectedNanos &- min(connectStartNanos, connectedNanos),
                                                 handshakeNanos: handshake)
    }
}

/// Maps NIO, TLS and socket errors to the failure kinds users see in reports.
enum FailureClassifier {
    /// `peerCertificate` gives the server's certificate when it is at hand (for a refused certificate).
    static func classify(_ error: Error, peerCertificate: () -> NIOSSLCertificate? = { nil }) -> FailureKind {
        if let reason = TLSFailureReason.describe(error, peerCertificate: peerCertificate) {
            return .tls(reason)
        }
        if let io = error as? IOError {
            return classify(errno: io.errnoCode)
        }
        if let connection = error as? NIOConnectionError {
            for attempt in connection.connectionErrors {
                if let io = attempt.error as? IOError { return classify(errno: io.errnoCode) }
            }
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return .other("could not resolve \(connection.host)")
            }
            return .connectionRefused
        }
        if let channelError = error as? ChannelError {
            switch channelError {
            case .connectTimeout: return .timeout
            case .ioOnClosedChannel, .eof, .outputClosed, .alreadyClosed: return .connectionReset
            default: return .other(String(describing: channelError))
            }
        }
        return .other(String(describing: error))
    }

    static func classify(errno code: Int32) -> FailureKind {
        switch code {
        case ECONNREFUSED: return .connectionRefused
        case ECONNRESET, EPIPE, ECONNABORTED: return .connectionReset
        case ETIMEDOUT: return .timeout
        default: return .other(String(cString: strerror(code)))
        }
    }
}
