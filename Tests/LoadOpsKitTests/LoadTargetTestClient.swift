import Foundation
import NIOCore
import NIOPosix

/// One HTTP response as it came off the wire.
struct RawHTTPResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

struct RawHTTPClientError: Error, CustomStringConvertible {
    var description: String
}

/// A deliberately dumb HTTP/1.1 client for the target's tests: it writes request
/// text as given (so tests can pipeline or send odd requests) and parses responses
/// that carry a Content-Length, which is all the target sends.
final class RawHTTPConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var received = ByteBuffer()

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound
        self.outbound = outbound
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// Sends one request and reads its response.
    func request(_ method: String, _ path: String, body: String? = nil, headers: [String] = []) async throws -> RawHTTPResponse {
        try await send(Self.requestText(method, path, body: body, headers: headers))
        return try await readResponse()
    }

    static func requestText(_ method: String, _ path: String, body: String? = nil, headers: [String] = []) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for header in headers {
            text += header + "\r\n"
        }
        if let body {
            text += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            text += "\r\n"
        }
        return text
    }

    func readResponse() async throws -> RawHTTPResponse {
        while true {
            if let response = try parseBufferedResponse() {
                return response
            }
            guard var chunk = try await inbound.next() else {
                throw RawHTTPClientError(description: "connection closed before a full response (have \(received.readableBytes) bytes)")
            }
            received.writeBuffer(&chunk)
        }
    }

    /// True when the server closes the connection with no further bytes.
    func readsEndOfStream() async throws -> Bool {
        guard received.readableBytes == 0 else { return false }
        return try await inbound.next() == nil
    }

    private func parseBufferedResponse() throws -> RawHTTPResponse? {
        let bytes = received.readableBytesView
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let headerEnd = bytes.indices.first(where: { index in
            bytes[index...].starts(with: separator)
        }) else { return nil }
        let headerText = String(decoding: bytes[bytes.startIndex..<headerEnd], as: UTF8.self)
        var lines = headerText.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw RawHTTPClientError(description: "bad status line in \(headerText)")
        }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        guard let lengthText = headers.first(where: { $0.name.lowercased() == "content-length" })?.value,
            let length = Int(lengthText)
        else {
            throw RawHTTPClientError(description: "response without Content-Length: \(headerText)")
        }
        let bodyStart = headerEnd + separator.count
        guard bytes.endIndex - bodyStart >= length else { return nil }
        let body = String(decoding: bytes[bodyStart..<(bodyStart + length)], as: UTF8.self)
        received.moveReaderIndex(forwardBy: bodyStart + length - bytes.startIndex)
        received.discardReadBytes()
        return RawHTTPResponse(status: status, headers: headers, body: body)
    }
}

/// Opens a loopback connection to `port`, runs `body`, then closes it.
func withRawHTTPConnection<Result>(
    port: Int,
    _ body: (RawHTTPConnection) async throws -> Result
) async throws -> Result {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await body(RawHTTPConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound))
    }
}
