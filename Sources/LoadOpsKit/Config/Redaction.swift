import Foundation

/// Keeps secrets out of output, logs and reports: URL passwords, secret-looking query
/// parameters and header values. Credentials are only ever referred to by file path or variable name.
public enum Redaction {
    public static let mask = "***"

    /// `postgres://devstack:secret@db:5432/x?password=p` → `postgres://devstack:***@db:5432/x?password=***`.
    /// Text that is not a URL is returned unchanged.
    public static func redactURL(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let afterScheme = url[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { "/?#".contains($0) }) ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        var result = String(url[..<schemeEnd.upperBound])
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                result += userInfo[..<colon] + ":" + mask
            } else {
                result += userInfo
            }
            result += authority[at...]
        } else {
            result += authority
        }
        return result + redactQuery(String(afterScheme[authorityEnd...]))
    }

    /// Header values whose name suggests a secret (`Authorization`, `Cookie`, `X-Api-Key`, `*token*`, ...).
    public static func isSensitiveHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        let exact = ["authorization", "proxy-authorization", "cookie", "set-cookie"]
        let fragments = ["token", "secret", "password", "passwd", "key", "auth", "session", "cookie", "signature", "credential"]
        return exact.contains(lower) || fragments.contains(where: lower.contains)
    }

    private static let sensitiveParameters = [
        "password", "passwd", "pwd", "pass", "token", "access_token", "secret", "client_secret", "api_key", "apikey", "key",
        "sslpassword",
    ]

    /// `?user=a&password=b#x` → `?user=a&password=***#x`.
    private static func redactQuery(_ rest: String) -> String {
        guard let questionMark = rest.firstIndex(of: "?") else { return rest }
        let fragmentStart = rest[questionMark...].firstIndex(of: "#") ?? rest.endIndex
        let query = rest[rest.index(after: questionMark)..<fragmentStart]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            guard let equals = parameter.firstIndex(of: "="),
                sensitiveParameters.contains(parameter[..<equals].lowercased())
            else { return String(parameter) }
            return parameter[...equals] + mask
        }
        return rest[...questionMark] + parameters.joined(separator: "&") + rest[fragmentStart...]
    }
}

extension LoadOpsConfig {
    /// A copy fit for printing: URL passwords and secret header values masked. Credentials are
    /// already only a path or a variable name; nothing here reads them.
    public func redacted() -> LoadOpsConfig {
        var copy = self
        copy.host = Redaction.redactURL(host)
        copy.endpoints = endpoints.map { endpoint in
            var masked = endpoint
            masked.headers = endpoint.headers.map { name, value in
                (name, Redaction.isSensitiveHeader(name) ? Redaction.mask : value)
            }
            return masked
        }
        return copy
    }
}
