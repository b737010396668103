import Foundation

/// Where a PostgreSQL or Redis server is and how to log in, read from a checklist's `url:` and
/// `password_env:`. The password is only ever printed through `redactedURL`.
public struct ServiceEndpoint: Sendable, Equatable {
    public enum Scheme: String, Sendable {
        case postgres
        case redis
    }

    public var scheme: Scheme
    public var host: String
    public var port: Int
    public var user: String?
    public var password: String?
    /// PostgreSQL: the database name. Redis: the database number as text (`0` when absent).
    public var database: String?
    /// `?sslmode=require` (PostgreSQL only).
    public var requireTLS: Bool
    /// The URL as written, for messages: never holds the password from `password_env`.
    public var url: String
    /// The `password_env:` variable when it was named but is not set, so a failed login can say so.
    public var unsetPasswordVariable: String?

    public var redactedURL: String { Redaction.redactURL(url) }

    /// A login failure, with a hint when the password variable was not set.
    func loginFailure(_ error: ServiceError) -> ServiceError {
        guard let variable = unsetPasswordVariable else { return error }
        return ServiceError(error.message + " (password_env \(variable) is not set)")
    }

    /// `127.0.0.1:5432`, the way connection errors name the server.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// - Parameters:
    ///   - passwordFromEnvironment: the value of the `password_env:` variable; it wins over a password in the URL.
    public init(url: String, passwordFromEnvironment: String? = nil) throws(ValueFormatError) {
        let expected = "a postgres://user[:password]@host[:port]/database or redis://[user[:password]@]host[:port][/db] URL"
        guard let parts = URLParts(url), !parts.host.isEmpty, parts.portIsValid else {
            throw ValueFormatError(expected: expected, found: Redaction.redactURL(url))
        }
        switch parts.scheme.lowercased() {
        case "postgres", "postgresql": scheme = .postgres
        case "redis": scheme = .redis
        default: throw ValueFormatError(expected: expected, found: Redaction.redactURL(url))
        }
        self.url = url
        host = parts.host
        port = parts.port.flatMap { Int($0) } ?? (scheme == .postgres ? 5432 : 6379)
        if let userInfo = parts.userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                user = Self.percentDecoded(String(userInfo[..<colon]))
                password = Self.percentDecoded(String(userInfo[userInfo.index(after: colon)...]))
            } else {
                user = Self.percentDecoded(userInfo)
            }
            if user?.isEmpty == true { user = nil }
        }
        if let passwordFromEnvironment { password = passwordFromEnvironment }

        var path = parts.rest
        var query = ""
        if let questionMark = path.firstIndex(of: "?") {
            query = String(path[path.index(after: questionMark)...])
            path = String(path[..<questionMark])
        }
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        let name = path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        database = name.isEmpty ? nil : Self.percentDecoded(name)
        requireTLS = query.split(separator: "&").contains { parameter in
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.lowercased() }
            return pair.count == 2 && pair[0] == "sslmode" && ["require", "verify-ca", "verify-full"].contains(pair[1])
        }
        if scheme == .redis, let database, Int(database) == nil {
            throw ValueFormatError(expected: "a Redis database number after the host, such as redis://127.0.0.1:6379/0", found: Redaction.redactURL(url))
        }
    }

    private static func percentDecoded(_ text: String) -> String {
        text.removingPercentEncoding ?? text
    }
}

// Printing an endpoint (or anything holding one: a check, a step, a test's failure message)
// shows the redacted URL only, never the password field.
extension ServiceEndpoint: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { redactedURL }
    public var debugDescription: String { "ServiceEndpoint(\(redactedURL))" }
    public var customMirror: Mirror { Mirror(self, children: ["url": redactedURL], displayStyle: .struct) }
}
