import Foundation
import NIOCore
import NIOPosix

/// A loopback HTTP/1.1 server that answers every request `200 ok` and keeps each request's head
/// (request line and headers) as received, for tests that must see exactly what loadops sent.
final class RecordingHTTPServer: @unchecked Sendable {
    let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let recorded: RecordedHeads

    private init(port: Int, group: MultiThreadedEventLoopGroup, channel: Channel, recorded: RecordedHeads) {
        self.port = port
        self.group = group
        self.channel = channel
        self.recorded = recorded
    }

    /// `answer` gives the whole response (status line, headers, body) for a request path; nil answers `200 ok`.
    static func start(answer: @escaping @Sendable (_ path: String) -> String? = { _ in nil }) async throws -> RecordingHTTPServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let recorded = RecordedHeads()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(RecordingHandler(recorded: recorded, answer: answer))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw TestFailure("the recording server has no port") }
        return RecordingHTTPServer(port: port, group: group, channel: channel, recorded: recorded)
    }

    /// Request heads in the order they arrived: `GET /path HTTP/1.1\r\nHost: ...`.
    var requests: [String] { recorded.all }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}

private final class RecordingHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let recorded: RecordedHeads
    private let answer: @Sendable (String) -> String?
    private var pending: [UInt8] = []

    init(recorded: RecordedHeads, answer: @escaping @Sendable (String) -> String?) {
        self.recorded = recorded
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while let end = firstRange(of: separator, in: pending) {
            let head = String(decoding: pending[..<end], as: UTF8.self)
            let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            let total = end + separator.count + length
            guard pending.count >= total else { break }
            pending.removeFirst(total)
            recorded.append(head)
            var response = context.channel.allocator.buffer(capacity: 64)
            let path = head.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? "/"
            response.writeString(answer(path) ?? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
            context.write(wrapOutboundOut(response), promise: nil)
        }
        context.flush()
    }

    private func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}

/// The request heads seen so far, shared by the server's connections and the test.
private final class RecordedHeads: @unchecked Sendable {
    private let lock = NSLock()
    private var heads: [String] = []

    func append(_ head: String) { lock.withLock { heads.append(head) } }
    var all: [String] { lock.withLock { heads } }
}
