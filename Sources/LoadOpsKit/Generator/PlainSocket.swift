#if os(Linux)
import CSocketLoop
import Glibc
import NIOCore

/// One plain TCP connection of a `SocketEventLoop`, carrying a `LoadConnection`'s bytes: what a
/// NIO channel does for it under TLS, with nothing in between.
///
/// Its life: connecting (watched for writing; fails with the connect's error or the timeout) →
/// open (watched for reading; for writing too only while a request did not fit the socket buffer)
/// → closed. The connection hears of it as a channel handler would: active, read, error, inactive,
/// and a close while connected tells it at once (as NIO does), so its state never lags the socket's.
///
/// On a loop that defers reads, an open socket sits in the loop's deferred set while nothing is half
/// done, and in the set that wakes the loop while a request is partly written or an answer partly
/// read (the peer may be waiting for room); its reads carry the kernel's arrival time.
final class PlainSocket {
    private enum State {
        case connecting
        case open
        case closed
    }

    private let loop: SocketEventLoop
    private let fd: Int32
    private var token: Int32 = -1
    private var state = State.connecting
    /// Who the bytes are for; released at the close, which breaks the cycle with it.
    private var connection: LoadConnection?
    /// A connect that did not succeed reports here (with the reason) instead of to the connection.
    private var connectFailed: ((FailureKind) -> Void)?
    private var connectTimeout: Scheduled<Void>?
    /// What a full socket buffer did not take yet.
    private var unsent: ByteBuffer?
    /// What epoll watches the socket for now: in the loop's deferred set (only on a loop that defers
    /// reads), and for writing too. Connecting sockets are watched for writing in the main set.
    private var inDeferredSet = false
    private var watchedForWriting = true

    private init(loop: SocketEventLoop, fd: Int32, connection: LoadConnection) {
        self.loop = loop
        self.fd = fd
        self.connection = connection
    }

    /// Starts connecting `connection` to `address`. Either the connection becomes active, or
    /// `onFailure` is called once with the reason (never both, never synchronously).
    static func connect(_ connection: LoadConnection, on loop: SocketEventLoop, to address: SocketAddress,
                        timeout: TimeAmount, onFailure: @escaping (FailureKind) -> Void) {
        let ipv6: Int32
        switch address {
        case .v4: ipv6 = 0
        case .v6: ipv6 = 1
        case .unixDomainSocket:
            loop.assumeIsolated().execute { onFailure(.other("a Unix domain socket is not an HTTP target")) }
            return
        }
        let fd = csl_tcp_socket(ipv6)
        guard fd >= 0 else {
            let code = errno
            loop.assumeIsolated().execute { onFailure(FailureClassifier.classify(errno: code)) }
            return
        }
        if loop.defersReads { _ = csl_enable_receive_times(fd) }
        let socket = PlainSocket(loop: loop, fd: fd, connection: connection)
        socket.connectFailed = onFailure
        connection.attach(socket)
        let started = (address.ipAddress ?? "").withCString { csl_connect(fd, ipv6, $0, Int32(address.port ?? 0)) }
        let token = started == 0 ? loop.register(socket, fd: fd, writable: true) : -started
        guard token >= 0 else {
            socket.failConnect(FailureClassifier.classify(errno: -token), deferred: true)
            return
        }
        socket.token = token
        // Held strongly: a weak reference would give every socket a side table, which slows each
        // retain and release of it on the request path. Connecting or failing cancels the timer,
        // which releases the closure.
        socket.connectTimeout = loop.assumeIsolated().scheduleTask(in: timeout) {
            socket.failConnect(.timeout, deferred: false)
        }
    }

    /// Readiness from the loop (`CSL_` flags).
    func handle(_ flags: UInt32) {
        switch state {
        case .connecting:
            let code = csl_socket_error(fd)
            guard code == 0 else {
                failConnect(FailureClassifier.classify(errno: code), deferred: false)
                return
            }
            state = .open
            connectTimeout?.cancel()
            connectTimeout = nil
            connectFailed = nil
            place()
            connection?.becameActive()
        case .open:
            if flags & UInt32(CSL_WRITABLE) != 0 && unsent != nil {
                flushUnsent()
            }
            if flags & UInt32(CSL_READABLE | CSL_BROKEN) != 0 {
                readAvailable()
            }
        case .closed:
            break
        }
    }

    /// Sends `bytes`, now if the socket takes them, else as it drains.
    func write(_ bytes: ByteBuffer) {
        guard case .open = state else { return }
        if unsent != nil {
            unsent?.writeImmutableBuffer(bytes)
            return
        }
        var remaining = bytes
        send(&remaining)
    }

    /// Closes the socket; a connection that was open hears `becameInactive` before this returns.
    func close() {
        switch state {
        case .closed:
            return
        case .connecting:
            failConnect(.connectionReset, deferred: true)
        case .open:
            shut()
            let connection = self.connection
            self.connection = nil
            connection?.becameInactive()
        }
    }

    // MARK: private

    private func send(_ bytes: inout ByteBuffer) {
        let written = bytes.withUnsafeReadableBytes { csl_send(fd, $0.baseAddress, UInt($0.count)) }
        if written == bytes.readableBytes { return }
        if written >= 0 {
            bytes.moveReaderIndex(forwardBy: written)
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            // Told on the next pass, not inside the connection's own send.
            let error = IOError(errnoCode: errno, reason: "write")
            loop.assumeIsolated().execute { [self] in failOpen(error) }
            return
        }
        unsent = bytes
        place()
    }

    private func flushUnsent() {
        guard var bytes = unsent else { return }
        unsent = nil
        send(&bytes)
        place()
    }

    /// Brings what epoll watches in line with the open socket's state: writing only while bytes wait to
    /// be sent; on a loop that defers reads, the deferred set while nothing is half done.
    private func place() {
        guard case .open = state else { return }
        let writing = unsent != nil
        let deferring = loop.defersReads && !writing && !(connection?.isPartway ?? false)
        if deferring != inDeferredSet {
            loop.move(fd: fd, token: token, deferred: deferring, writable: writing)
        } else if writing != watchedForWriting {
            // Only sockets in the main set are watched for writing.
            loop.watch(fd: fd, token: token, writable: writing)
        } else {
            return
        }
        inDeferredSet = deferring
        watchedForWriting = writing
    }

    /// Reads what the socket has, handing each read to the connection. An answer larger than the
    /// loop's buffer takes several reads; level-triggered epoll brings the socket back for the rest.
    private func readAvailable() {
        for _ in 0..<16 {
            guard case .open = state, let connection else { return }
            loop.readBuffer.clear()
            var result = 0
            var filled = false
            var arrived: Int64 = 0
            let timed = loop.defersReads
            loop.readBuffer.writeWithUnsafeMutableBytes(minimumWritableBytes: SocketEventLoop.readBufferSize) { space in
                result = timed ? csl_recv_timed(fd, space.baseAddress, UInt(space.count), &arrived)
                    : csl_recv(fd, space.baseAddress, UInt(space.count))
                filled = result == space.count
                return max(result, 0)
            }
            if result > 0 {
                connection.received(loop.readBuffer, arrivedNanos: arrived > 0 ? Self.uptimeNanos(ofRealtime: arrived) : 0)
                if timed { place() }
                if !filled { return }
            } else if result == 0 {
                close()  // the server closed the connection
                return
            } else {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK || code == EINTR { return }
                failOpen(IOError(errnoCode: code, reason: "read"))
                return
            }
        }
    }

    /// The kernel dates packets by the wall clock; the generator times requests by uptime.
    private static func uptimeNanos(ofRealtime nanos: Int64) -> UInt64 {
        let offset = csl_realtime_nanos() &- Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds)
        return UInt64(truncatingIfNeeded: max(nanos &- offset, 1))
    }

    private func failOpen(_ error: IOError) {
        guard case .open = state, let connection else { return }
        connection.failed(error)
        close()
    }

    private func failConnect(_ failure: FailureKind, deferred: Bool) {
        guard case .connecting = state else { return }
        shut()
        connection = nil
        connectTimeout?.cancel()
        connectTimeout = nil
        guard let report = connectFailed else { return }
        connectFailed = nil
        if deferred {
            loop.assumeIsolated().execute { report(failure) }
        } else {
            report(failure)
        }
    }

    private func shut() {
        state = .closed
        unsent = nil
        Glibc.close(fd)
        if token >= 0 { loop.unregister(token: token) }
    }
}
#endif
