import Foundation
import NIOCore
import NIOPosix
import PostgresNIO

/// Why talking to a PostgreSQL or Redis server (or any TCP peer) did not work, in words for the
/// person running the checklist: `connection refused (127.0.0.1:5432)`,
/// `password authentication failed for user "devstack"`. Never holds a password.
public struct ServiceError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }

    /// Turns whatever NIO or postgres-nio threw into one short reason naming the server.
    static func describing(_ error: any Error, address: String) -> ServiceError {
        if let known = error as? ServiceError { return known }
        if let postgres = error as? PSQLError { return describingPostgres(postgres, address: address) }
        return ServiceError(networkReason(error) + " (\(address))")
    }

    private static func describingPostgres(_ error: PSQLError, address: String) -> ServiceError {
        if let serverMessage = error.serverInfo?[.message] {
            // The server's own words are the clearest reason (wrong password, missing table, ...).
            return ServiceError(serverMessage)
        }
        if let underlying = error.underlying {
            return ServiceError(networkReason(underlying) + " (\(address))")
        }
        switch error.code {
        case .serverClosedConnection, .uncleanShutdown: return ServiceError("the server closed the connection (\(address))")
        case .authMechanismRequiresPassword: return ServiceError("the server asks for a password and none was given (set password_env or put it in the URL)")
        case .unsupportedAuthMechanism: return ServiceError("the server asks for an authentication method loadops does not support (\(address))")
        case .sslUnsupported: return ServiceError("the server does not accept TLS (sslmode=require) (\(address))")
        case .queryCancelled: return ServiceError("the query was cancelled (\(address))")
        default: return ServiceError("PostgreSQL error \(error.code) (\(address))")
        }
    }

    /// `connection refused`, `connection timed out`, `no such host`.
    static func networkReason(_ error: any Error) -> String {
        switch error {
        case let connection as NIOConnectionError:
            if let dns = connection.dnsAError ?? connection.dnsAAAAError { return "cannot resolve the host name: \(dns)" }
            if let first = connection.connectionErrors.first { return networkReason(first.error) }
            return "cannot connect"
        case let io as IOError:
            return errnoReason(io.errnoCode)
        case let channel as ChannelError:
            switch channel {
            case .connectTimeout: return "connection timed out"
            case .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed: return "the server closed the connection"
            default: return "\(channel)"
            }
        case let other as CustomStringConvertible:
            return other.description
        default:
            return "\(error)"
        }
    }

    static func errnoReason(_ code: CInt) -> String {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ETIMEDOUT: return "connection timed out"
        case ECONNRESET: return "connection reset by the server"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        default: return String(cString: strerror(code)).lowercased()
        }
    }
}
