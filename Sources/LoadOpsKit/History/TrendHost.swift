import Foundation

/// How `history trend --host` names a recorded host (a base URL, its password masked).
enum TrendHost {
    /// A URL given with its scheme matches the same scheme, host, port (the scheme's default port when
    /// none is written) and path (a trailing `/` aside); a bare `host[:port]` matches the host on any
    /// scheme, and the port only when it is given. Host names compare without case; no password is needed.
    static func stored(_ stored: String, matches given: String) -> Bool {
        let given = given.trimmingCharacters(in: .whitespaces)
        guard let recorded = URLParts(stored) else { return stored.caseInsensitiveCompare(given) == .orderedSame }
        let hasScheme = given.contains("://")
        guard let named = URLParts(hasScheme ? given : "http://" + given),
              HostPolicy.hostName(of: stored) == HostPolicy.hostName(of: given) else { return false }
        if hasScheme {
            guard named.scheme.lowercased() == recorded.scheme.lowercased(),
                  port(named) == port(recorded) else { return false }
        } else if named.port != nil, named.port != recorded.port ?? defaultPort(recorded.scheme) {
            return false
        }
        return path(named) == path(recorded) || (!hasScheme && path(named).isEmpty)
    }

    private static func port(_ parts: URLParts) -> String? { parts.port ?? defaultPort(parts.scheme) }

    private static func defaultPort(_ scheme: String) -> String? {
        switch scheme.lowercased() {
        case "http": return "80"
        case "https": return "443"
        default: return nil
        }
    }

    private static func path(_ parts: URLParts) -> String {
        var path = parts.rest
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
