import Foundation
import NIOCore
import NIOPosix

/// A reply in the Redis serialisation protocol (RESP2).
enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int)
    /// nil is RESP's null bulk string (`$-1`).
    case bulk(String?)
    /// nil is RESP's null array (`*-1`).
    case array([RESPValue]?)

    var text: String? {
        switch self {
        case .simple(let text): return text
        case .bulk(let text): return text
        case .integer(let number): return String(number)
        default: return nil
        }
    }
}

/// Reads RESP values off the front of a buffer; leaves the buffer untouched while a value is incomplete.
enum RESPParser {
    struct MalformedReply: Error {}

    static func parse(_ buffer: inout ByteBuffer) throws -> RESPValue? {
        let start = buffer.readerIndex
        if let value = try read(&buffer) { return value }
        buffer.moveReaderIndex(to: start)
        return nil
    }

    private static func read(_ buffer: inout ByteBuffer) throws -> RESPValue? {
        guard let marker = buffer.readInteger(as: UInt8.self), let line = readLine(&buffer) else { return nil }
        switch marker {
        case UInt8(ascii: "+"): return .simple(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"):
            guard let number = Int(line) else { throw MalformedReply() }
            return .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Int(line) else { throw MalformedReply() }
            if length < 0 { return .bulk(nil) }
            guard buffer.readableBytes >= length + 2, let bytes = buffer.readBytes(length: length) else { return nil }
            buffer.moveReaderIndex(forwardBy: 2)
            return .bulk(String(decoding: bytes, as: UTF8.self))
        case UInt8(ascii: "*"):
            guard let count = Int(line) else { throw MalformedReply() }
            if count < 0 { return .array(nil) }
            var items: [RESPValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count {
                guard let item = try read(&buffer) else { return nil }
                items.append(item)
            }
            return .array(items)
        default:
            throw MalformedReply()
        }
    }

    private static func readLine(_ buffer: inout ByteBuffer) -> String? {
        let view = buffer.readableBytesView
        guard let cr = view.firstIndex(of: UInt8(ascii: "\r")), cr + 1 < view.endIndex, view[cr + 1] == UInt8(ascii: "\n")
        else { return nil }
        let length = cr - view.startIndex
        let line = buffer.readString(length: length)
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// A command as RESP's array of bulk strings.
    static func encode(_ arguments: [String], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            buffer.writeString("$\(argument.utf8.count)\r\n\(argument)\r\n")
        }
    }
}

/// A minimal Redis client on SwiftNIO: one connection, one command at a time, enough for the
/// checks and the cleanup (PING, AUTH, SELECT, INFO, CONFIG GET, DBSIZE, FLUSHDB).
struct RedisSession {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var pending: ByteBuffer
    let endpoint: ServiceEndpoint

    /// Connects, logs in (AUTH) and selects the endpoint's database before handing the session over.
    static func withSession<T: Sendable>(
        _ endpoint: ServiceEndpoint, connectTimeout: Double, _ body: (inout RedisSession) async throws -> T
    ) async throws -> T {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(max(connectTimeout, 0.1) * 1000)))
                .connect(host: endpoint.host, port: endpoint.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ServiceError.describing(error, address: endpoint.address)
        }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var session = RedisSession(
                    inbound: inbound.makeAsyncIterator(), outbound: outbound, pending: ByteBuffer(), endpoint: endpoint)
                if let password = endpoint.password {
                    let arguments = endpoint.user.map { ["AUTH", $0, password] } ?? ["AUTH", password]
                    _ = try await session.expectOK(arguments, doing: "log in")
                }
                if let database = endpoint.database, database != "0" {
                    _ = try await session.expectOK(["SELECT", database], doing: "select database \(database)")
                }
                return try await body(&session)
            }
        } catch let error as ServiceError where error.message.contains("NOAUTH") {
            throw endpoint.loginFailure(error)
        } catch {
            throw ServiceError.describing(error, address: endpoint.address)
        }
    }

    /// Sends one command and waits for its reply. A Redis error reply is returned, not thrown.
    mutating func send(_ arguments: [String]) async throws -> RESPValue {
        var request = ByteBuffer()
        RESPParser.encode(arguments, into: &request)
        try await outbound.write(request)
        while true {
            do {
                if let value = try RESPParser.parse(&pending) { return value }
            } catch {
                throw ServiceError("the server's reply is not Redis protocol (\(endpoint.address))")
            }
            guard var more = try await inbound.next() else {
                throw ServiceError("the server closed the connection (\(endpoint.address))")
            }
            pending.writeBuffer(&more)
        }
    }

    /// Sends a command whose reply must not be an error; `doing` completes "cannot ...".
    mutating func expectOK(_ arguments: [String], doing: String) async throws -> RESPValue {
        let reply = try await send(arguments)
        if case .error(let message) = reply {
            throw ServiceError("cannot \(doing): \(message)")
        }
        return reply
    }

    mutating func ping() async throws -> String {
        let reply = try await expectOK(["PING"], doing: "PING")
        return reply.text ?? "\(reply)"
    }

    /// `INFO memory`'s `used_memory`, in bytes.
    mutating func usedMemory() async throws -> Int {
        let reply = try await expectOK(["INFO", "memory"], doing: "read INFO memory")
        for line in (reply.text ?? "").split(whereSeparator: \.isNewline) where line.hasPrefix("used_memory:") {
            if let bytes = Int(line.dropFirst("used_memory:".count).trimmingCharacters(in: .whitespaces)) { return bytes }
        }
        throw ServiceError("INFO memory has no used_memory line (\(endpoint.address))")
    }

    /// `CONFIG GET maxmemory` in bytes (0 means no limit); nil when the server refuses CONFIG
    /// (managed services often disable it).
    mutating func maxMemory() async throws -> Int? {
        let reply = try await send(["CONFIG", "GET", "maxmemory"])
        guard case .array(let items?) = reply, items.count >= 2, let text = items[1].text else { return nil }
        return Int(text)
    }

    mutating func databaseSize() async throws -> Int {
        let reply = try await expectOK(["DBSIZE"], doing: "read DBSIZE")
        guard case .integer(let count) = reply else { throw ServiceError("DBSIZE answered \(reply) (\(endpoint.address))") }
        return count
    }

    mutating func flushDatabase() async throws {
        _ = try await expectOK(["FLUSHDB"], doing: "FLUSHDB")
    }
}
