import Foundation
import NIOCore
import NIOPosix
import NIOSSL
#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP server on plain sockets that runs `serve` on its own thread for each connection
/// (the file descriptor is closed after it returns): peers that misbehave in ways no real server
/// is configured to. Stopped by `stop()`, which also ends connections still being served.
final class ScriptedTCPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var stopping = false
    private var connections: Set<Int32> = []
    private var running = 0

    init(serve: @escaping @Sendable (_ fd: Int32, _ server: ScriptedTCPServer) -> Void) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        guard bound == 0, listen(listener, 64) == 0 else {
            close(listener)
            throw TestFailure("cannot listen on 127.0.0.1")
        }
        self.listener = listener
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let fd = accept(listener, nil, nil)
                guard fd >= 0 else { return }  // stop() shut the listener down
                guard track(fd) else {
                    close(fd)
                    return
                }
                Thread.detachNewThread { [self] in
                    serve(fd, self)
                    untrack(fd)
                }
            }
        }
    }

    /// True once `stop()` was called: long-running `serve` loops check it.
    var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    private func track(_ fd: Int32) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !stopping else { return false }
        connections.insert(fd)
        running += 1
        return true
    }

    private func untrack(_ fd: Int32) {
        lock.lock()
        connections.remove(fd)
        running -= 1
        lock.unlock()
        close(fd)
    }

    /// Stops accepting, shuts every open connection down and waits (up to 5 s) for their threads.
    func stop() async {
        lock.withLock {
            stopping = true
            for fd in connections { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if lock.withLock({ running }) == 0 { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Reads until `marker` has arrived (or the peer closes); false if it closed first.
    static func read(_ fd: Int32, until marker: String) -> Bool {
        var received = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let needle = Array(marker.utf8)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            guard count > 0 else { return false }
            received += chunk[0..<count]
            if received.count >= needle.count,
               received.indices.dropLast(needle.count - 1).contains(where: { received[$0..<($0 + needle.count)].elementsEqual(needle) }) {
                return true
            }
        }
    }

    /// Sends all of `bytes`; false once the peer is gone.
    @discardableResult
    static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }
}

/// Certificates made by openssl in a temporary folder: a self-signed one, and a leaf signed by a
/// certificate authority no one trusts.
struct TestCertificates {
    let directory: String
    var selfSignedCertificate: String { directory + "/self-signed.pem" }
    var selfSignedKey: String { directory + "/self-signed-key.pem" }
    var leafCertificate: String { directory + "/leaf.pem" }
    var leafKey: String { directory + "/leaf-key.pem" }

    static func make() async throws -> TestCertificates {
        let certificates = TestCertificates(directory: try TestSupport.temporaryDirectory("loadops-certs"))
        let folder = certificates.directory
        do {
            try await ServiceTestSupport.run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                "-keyout", certificates.selfSignedKey, "-out", certificates.selfSignedCertificate,
            ])
            try await ServiceTestSupport.run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=Untrusted Test CA", "-days", "1",
                "-keyout", folder + "/ca-key.pem", "-out", folder + "/ca.pem",
            ])
            try await ServiceTestSupport.run("/usr/bin/openssl", [
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                "-keyout", certificates.leafKey, "-out", folder + "/leaf.csr",
            ])
            try await ServiceTestSupport.run("/usr/bin/openssl", [
                "x509", "-req", "-in", folder + "/leaf.csr", "-CA", folder + "/ca.pem", "-CAkey", folder + "/ca-key.pem",
                "-set_serial", "2", "-days", "1", "-out", certificates.leafCertificate,
            ])
        } catch {
            certificates.remove()
            throw error
        }
        return certificates
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// An HTTPS server on NIOSSL that answers every request with `response` and then closes the TCP
/// connection without TLS's close_notify (as many servers do after an answer delimited by the close).
final class UncleanTLSServer: @unchecked Sendable {
    let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    /// Sits next to the socket, before the TLS handler: a close from here never passes through TLS,
    /// so no close_notify is sent.
    private final class RawSocketEnd: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private let response: String
        private var request = ""

        init(response: String) {
            self.response = response
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            request += String(buffer: buffer)
            guard request.contains("\r\n\r\n") else { return }
            request = ""
            let raw = try? context.pipeline.syncOperations.context(handlerType: RawSocketEnd.self)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).assumeIsolated().whenComplete { _ in
                raw?.close(promise: nil)
            }
        }
    }

    init(certificate: String, key: String, response: String) throws {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        let context = try NIOSSLContext(configuration: configuration)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RawSocketEnd())
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try channel.pipeline.syncOperations.addHandler(Responder(response: response))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        port = channel.localAddress?.port ?? 0
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}

/// Runs `body`, then `stop` whether or not `body` threw, so a failing test leaves no server behind.
func stopping<T>(_ stop: () async throws -> Void, after body: () async throws -> T) async throws -> T {
    let result: Result<T, any Error>
    do {
        result = .success(try await body())
    } catch {
        result = .failure(error)
    }
    try await stop()
    return try result.get()
}

/// The resident set size of this process now, in bytes (Linux).
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") else { return 0 }
    return kilobytes * 1024
}
