import Foundation

/// Keeps secrets out of output, logs and reports: URL passwords, secret-looking query
/// parameters and header values. Credentials are only ever referred to by file path or variable name.
public enum Redaction {
    public static let mask = "***"

    /// `postgres://devstack:secret@db:5432/x?password=p` → `postgres://devstack:***@db:5432/x?password=***`.
    /// Text without `://` is taken as `user:password@host...` when it holds an `@`, and as a path otherwise.
    ///
    /// A password is masked even when it holds `#`, `/`, `?` or `@` unencoded (`http://u:p#ss@host`):
    /// such a URL is invalid, and the message that says so must not show it. So the user information
    /// ends at the last `@` that is followed by something shaped like `host[:port]`, not at the first
    /// `/`, `?` or `#` as a URL parser would read it. Wrong guesses only ever mask more.
    public static func redactURL(_ url: String, extraQueryNames: [String] = []) -> String {
        let schemeEnd = url.range(of: "://")?.upperBound ?? url.startIndex
        let afterScheme = url[schemeEnd...]
        var result = String(url[..<schemeEnd])
        var rest = afterScheme
        if let at = userInfoEnd(afterScheme) {
            let userInfo = afterScheme[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                result += userInfo[..<colon] + ":" + mask
            } else {
                result += userInfo
            }
            rest = afterScheme[at...]
        } else if schemeEnd == url.startIndex {
            return maskQuery(url, extraNames: extraQueryNames)  // not a URL, and no user information in it
        }
        let authorityEnd = rest.firstIndex(where: { "/?#".contains($0) }) ?? rest.endIndex
        return result + rest[..<authorityEnd] + maskQuery(String(rest[authorityEnd...]), extraNames: extraQueryNames)
    }

    /// Where the user information of `text` (what follows `scheme://`) ends: the last `@` followed by a
    /// plausible `host[:port]` and then the end, `/`, `?` or `#`. Nil when there is none.
    private static func userInfoEnd(_ text: Substring) -> Substring.Index? {
        var candidate = text.endIndex
        while let at = text[..<candidate].lastIndex(of: "@") {
            let host = text[text.index(after: at)...].prefix(while: { !"/?#".contains($0) })
            if !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_:[]%".contains($0)) }) {
                return at
            }
            candidate = at
        }
        return nil
    }

    /// Free text (a command's output, an answer's body) with every known secret masked: each of
    /// `secrets` wherever it stands, and the password of anything shaped like a URL with one.
    public static func maskSecrets(in text: String, secrets: [String]) -> String {
        // Longest first, so a secret that contains another is masked whole. Very short values are
        // left alone: masking every "a" would destroy the text and hide nothing.
        var masked = text
        for secret in Set(secrets).filter({ $0.count >= 4 }).sorted(by: { $0.count > $1.count }) {
            masked = masked.replacingOccurrences(of: secret, with: mask)
        }
        return masked.split(separator: " ", omittingEmptySubsequences: false).map { word in
            word.contains("://") && word.contains("@") ? redactURL(String(word)) : String(word)
        }.joined(separator: " ")
    }

    /// The secret parts of `Authorization` header values: a bearer token; a basic credential's
    /// encoded form and its decoded `key:secret` and secret.
    public static func secrets(inAuthorizations values: [String]) -> [String] {
        values.flatMap { value -> [String] in
            let parts = value.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return [value] }
            var found = [parts[1]]
            if parts[0] == "Basic", let data = Data(base64Encoded: parts[1]), let pair = String(data: data, encoding: .utf8) {
                found.append(pair)
                if let colon = pair.firstIndex(of: ":") { found.append(String(pair[pair.index(after: colon)...])) }
            }
            return found
        }
    }

    /// Header values whose name suggests a secret (`Authorization`, `Cookie`, `X-Api-Key`, `*token*`, ...).
    public static func isSensitiveHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        let exact = ["authorization", "proxy-authorization", "cookie", "set-cookie"]
        let fragments = ["token", "secret", "password", "passwd", "key", "auth", "session", "cookie", "signature", "credential"]
        return exact.contains(lower) || fragments.contains(where: lower.contains)
    }

    /// Query parameters whose value is a secret by their name: `key`, `api_key`, `apikey`, `token`,
    /// `access_token`, `secret`, `client_secret`, `password`, `sslpassword`, `signature`, `auth`, ...
    /// (case-insensitive, percent-decoded), plus the names in `extraNames` (loadops.yml's `redact_query`).
    public static func isSensitiveQueryParameter(_ name: String, extraNames: [String] = []) -> Bool {
        let lower = (name.removingPercentEncoding ?? name).lowercased()
        if extraNames.contains(where: { $0.lowercased() == lower }) { return true }
        let exact = ["key", "auth", "authorization", "pass", "pwd", "sig", "session", "sessionid", "session_id"]
        let fragments = ["token", "secret", "passw", "signature", "credential", "apikey", "api_key", "api-key"]
        return exact.contains(lower) || fragments.contains(where: lower.contains)
            || lower.hasSuffix("_key") || lower.hasSuffix("-key")
    }

    /// `/v1/items?api_key=S3CRET&page=2#top` → `/v1/items?api_key=***&page=2#top`: the values of
    /// sensitive query parameters masked, everything else as written. Text without `?` is returned unchanged.
    public static func maskQuery(_ text: String, extraNames: [String] = []) -> String {
        guard let questionMark = text.firstIndex(of: "?") else { return text }
        let fragmentStart = text[questionMark...].firstIndex(of: "#") ?? text.endIndex
        let query = text[text.index(after: questionMark)..<fragmentStart]
        let parameters = query.split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
            guard let equals = parameter.firstIndex(of: "="),
                isSensitiveQueryParameter(String(parameter.prefix(upTo: equals)), extraNames: extraNames)
            else { return String(parameter) }
            return String(parameter.prefix(through: equals)) + mask
        }
        return text[...questionMark] + parameters.joined(separator: "&") + text[fragmentStart...]
    }
}

extension LoadOpsConfig {
    /// A copy fit for printing: URL passwords, secret query values and secret header values masked.
    /// Credentials are already only a path or a variable name; nothing here reads them.
    public func redacted() -> LoadOpsConfig {
        var copy = self
        copy.host = Redaction.redactURL(host, extraQueryNames: redactQuery)
        copy.endpoints = endpoints.map { endpoint in
            var masked = endpoint
            masked.name = Redaction.maskQuery(endpoint.name, extraNames: redactQuery)
            masked.path = Redaction.maskQuery(endpoint.path, extraNames: redactQuery)
            masked.headers = endpoint.headers.map { name, value in
                (name, Redaction.isSensitiveHeader(name) ? Redaction.mask : value)
            }
            return masked
        }
        // Flows keep their shape (step names as the results name them) but never their data rows.
        copy.flows = flows.map { $0.redacted(extraQueryNames: redactQuery) }
        copy.monitor = monitor.redacted()
        return copy
    }
}
