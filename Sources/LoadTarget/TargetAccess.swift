import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// A user name and password `POST /login` accepts (`loadops target --auth USER:PASSWORD`).
/// Printed, logged or dumped, it shows the user name only.
public struct TargetAccount: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var description: String { "\(username):(password hidden)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["username": username], displayStyle: .struct) }
}

/// The accounts of `--auth` and the tokens handed out at login, shared by every event loop.
struct TargetAccess: Sendable {
    enum LoginDecision: Equatable {
        case accepted(user: String)
        case refused
        case unreadable
    }

    /// A login body past this is not read further, and refused as unreadable.
    static let loginBodyLimit = 64 * 1024

    private let passwords: [String: [UInt8]]
    private let tokens: NIOLockedValueBox<RememberedIDs>

    init(accounts: [TargetAccount], rememberedLimit: Int) {
        var passwords: [String: [UInt8]] = [:]
        for account in accounts {
            passwords[account.username] = Array(account.password.utf8)
        }
        self.passwords = passwords
        self.tokens = NIOLockedValueBox(RememberedIDs(limit: rememberedLimit))
    }

    /// True when `Authorization: Bearer <token>` carries a token this server handed out and still remembers.
    func acceptsBearer(in headers: HTTPHeaders) -> Bool {
        guard let value = headers.first(name: "authorization") else { return false }
        let trimmed = value.drop(while: { $0 == " " })
        guard let space = trimmed.firstIndex(of: " ") else { return false }
        // The scheme is case-insensitive (RFC 9110), the token is as it was handed out.
        guard trimmed[..<space].lowercased() == "bearer" else { return false }
        let token = trimmed[space...].drop(while: { $0 == " " })
        let tokenEnd = token.lastIndex(where: { $0 != " " }).map { token.index(after: $0) } ?? token.startIndex
        guard let id = RememberedID(token: token[..<tokenEnd]) else { return false }
        return tokens.withLockedValue { $0.contains(id) }
    }

    /// Reads `{"username":…,"password":…}` and checks it against the accounts. Hands out no token.
    func decideLogin(body: ByteBuffer?, bodyBytes: Int) -> LoginDecision {
        guard let body, bodyBytes <= Self.loginBodyLimit, body.readableBytes > 0,
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let username = object["username"] as? String,
            let password = object["password"] as? String
        else { return .unreadable }
        guard let expected = passwords[username], sameBytes(expected, Array(password.utf8)) else { return .refused }
        return .accepted(user: username)
    }

    /// A new random token, remembered before it is returned so the next request can use it.
    func grantToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let id = RememberedID(high: generator.next(), low: generator.next())
        tokens.withLockedValue { $0.insert(id) }
        return id.tokenText
    }
}

/// Compares every byte whatever the first difference, so the answer's timing says nothing of
/// how much of a password was right.
private func sameBytes(_ expected: [UInt8], _ given: [UInt8]) -> Bool {
    guard expected.count == given.count else { return false }
    var difference: UInt8 = 0
    for index in expected.indices {
        difference |= expected[index] ^ given[index]
    }
    return difference == 0
}
