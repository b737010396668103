import Foundation
import NIOHTTP1
#if canImport(Glibc)
import Glibc
#endif

/// Who may use the web UI. A page that starts load must not be reachable from another web page in
/// the same browser, so every request is checked before it is routed:
///
/// - its `Host` must be the UI's own address (a name that resolves to 127.0.0.1 through DNS
///   rebinding is not), and its `Origin`, when it has one, must be the UI's own origin (a cross-site
///   form or fetch is not); `Sec-Fetch-Site: cross-site` is refused too;
/// - it must carry the token printed at start-up, as Jupyter asks: in the URL's `token` query
///   parameter (the page then keeps it in a cookie and drops it from the address bar), in that
///   cookie, or in an `X-LoadOps-Token` (or `Authorization: token …`) header.
struct WebUIAccess: Sendable {
    let address: ListenAddress
    let token: String

    static let tokenHeader = "x-loadops-token"
    static let tokenQueryParameter = "token"

    /// Per port: browsers share cookies among a host's ports.
    var cookieName: String { "loadops_ui_\(address.port)" }

    enum Decision: Equatable {
        case allowed
        /// The right token in the URL: allowed, and worth a cookie.
        case allowedWithQueryToken
        /// A foreign `Host` or `Origin` (403), with the reason.
        case foreign(String)
        /// No token or a wrong one (401).
        case noToken
    }

    init(address: ListenAddress, token: String = WebUIAccess.makeToken()) {
        self.address = address
        self.token = token
    }

    /// 32 random bytes from the system's cryptographic generator, as 64 hexadecimal digits.
    static func makeToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    func decide(_ head: HTTPRequestHead) -> Decision {
        let hosts = head.headers["host"]
        guard hosts.count == 1, let host = hosts.first, isOwn(authority: host) else {
            return .foreign("the Host header is not this UI's address (\(address.authority))")
        }
        for origin in head.headers["origin"] where !isOwn(origin: origin) {
            return .foreign("requests from another site's page are refused")
        }
        if head.headers["sec-fetch-site"].contains(where: { $0.lowercased() == "cross-site" }) {
            return .foreign("requests from another site's page are refused")
        }
        if let query = Self.queryValue(Self.tokenQueryParameter, in: head.uri), matches(query) {
            return .allowedWithQueryToken
        }
        let presented = head.headers[Self.tokenHeader]
            + head.headers["authorization"].compactMap { value -> String? in
                let parts = value.split(separator: " ", maxSplits: 1)
                return parts.count == 2 && parts[0].lowercased() == "token" ? String(parts[1]) : nil
            }
            + head.headers["cookie"].flatMap { Self.cookieValues(named: cookieName, in: $0) }
        return presented.contains(where: matches) ? .allowed : .noToken
    }

    /// The cookie that keeps the token after the first visit: not readable by scripts, never sent
    /// along with a request another site starts.
    var cookie: String {
        "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
    }

    /// Compares in time that does not depend on where the first difference is.
    private func matches(_ candidate: String) -> Bool {
        let given = Array(candidate.utf8), expected = Array(token.utf8)
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= given[index] ^ expected[index] }
        return difference == 0
    }

    // MARK: Own address

    /// `http://127.0.0.1:8089` and the like; `null` (a sandboxed or file page) is foreign.
    private func isOwn(origin: String) -> Bool {
        let prefix = "http://"
        guard origin.lowercased().hasPrefix(prefix) else { return false }
        return isOwn(authority: String(origin.dropFirst(prefix.count)))
    }

    /// A `Host` header or an origin's `host:port` naming this server: its port, and its host as bound,
    /// any loopback spelling when bound to loopback, and any address literal when bound to every
    /// interface. Names other than `localhost` are refused: those are what DNS rebinding uses.
    func isOwn(authority: String) -> Bool {
        guard let (host, port) = Self.split(authority: authority), port == address.port else { return false }
        let bound = address.host.lowercased()
        if host == bound { return true }
        if address.isLoopback { return HostPolicy.isLoopback(host) }
        if address.isWildcard { return host == "localhost" || Self.isAddressLiteral(host) }
        return false
    }

    /// `host:port`, `[v6]:port` or `host` (port 80), host lower-cased and without brackets.
    static func split(authority: String) -> (host: String, port: Int)? {
        let text = authority.trimmingCharacters(in: .whitespaces).lowercased()
        guard !text.isEmpty, !text.contains("/"), !text.contains("@") else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (host, 80) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
            return (host, port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (text, 80)
        case 2:
            guard let port = Int(parts[1]), parts[1].allSatisfy(\.isASCIIDigit) else { return nil }
            return (String(parts[0]), port)
        default: return nil
        }
    }

    static func isAddressLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    // MARK: Reading requests

    /// The value of `name` in a request target's query (`/?token=…`), percent-decoded.
    static func queryValue(_ name: String, in uri: String) -> String? {
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2, parts[0] == name { return String(parts[1]).removingPercentEncoding }
        }
        return nil
    }

    /// The request target's path without its query.
    static func path(of uri: String) -> String {
        String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    private static func cookieValues(named name: String, in header: String) -> [String] {
        header.split(separator: ";").compactMap { pair in
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0] == name ? String(parts[1]) : nil
        }
    }
}
