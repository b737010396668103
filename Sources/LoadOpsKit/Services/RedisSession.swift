import Foundation
import NIOCore
import NIOPosix

/// A minimal Redis client on SwiftNIO: one connection, one command at a time, enough for the
/// checks and the cleanup (PING, AUTH, SELECT, INFO, CONFIG GET, DBSIZE, FLUSHDB).
struct RedisSession {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var pending: ByteBuffer
    private var parser = RESPReplyParser()
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
        request.writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            request.writeString("$\(argument.utf8.count)\r\n\(argument)\r\n")
        }
        try await outbound.write(request)
        while true {
            do {
                if let value = try parser.parse(&pending) { return value }
            } catch {
                // The rest of the stream cannot be trusted either: the session ends with the check failed.
                let command = arguments.first ?? "a command"
                throw ServiceError("the server's reply to \(command) is not Redis protocol: \(error) (\(endpoint.address))")
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
