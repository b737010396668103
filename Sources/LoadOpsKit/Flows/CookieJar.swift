/// The cookies of one virtual user against one target host, kept as a browser keeps them
/// (RFC 6265): `Set-Cookie` answers store, replace and delete them; each request sends those whose
/// path matches its own. `Domain`, `Secure`, `HttpOnly` and `SameSite` are read past and ignored:
/// every cookie is the one host's.
///
/// Times are seconds since 1970, passed in, so that expiry does not depend on the clock in tests.
/// Bounded: at most `maximumCookies` (the oldest goes first), each at most `maximumCookieBytes`
/// (a larger one is not stored), so a server cannot make a user's requests grow without limit.
public struct CookieJar: Sendable, Equatable {
    public static let maximumCookies = 50
    /// Name and value together.
    public static let maximumCookieBytes = 4096

    struct Cookie: Sendable, Equatable {
        var name: String
        var value: String
        var path: String
        /// Seconds since 1970 from which the cookie is gone; nil for a cookie that lasts the session.
        var expires: Double?
    }

    /// Oldest first (a replaced cookie keeps its place, as it keeps its creation time in RFC 6265).
    private(set) var cookies: [Cookie] = []

    public init() {}

    public var count: Int { cookies.count }
    public var isEmpty: Bool { cookies.isEmpty }

    /// Forgets every cookie (a new iteration of a flow starts without any).
    public mutating func removeAll() {
        cookies.removeAll(keepingCapacity: true)
    }

    /// Stores the cookies of an answer's `Set-Cookie` headers (one cookie each) to the request for
    /// `requestPath` (its query, if any, is ignored). A cookie already expired deletes the stored one
    /// of the same name and path; a header that is not a cookie is ignored.
    public mutating func store(setCookieHeaders: [String], requestPath: String, now: Double) {
        guard !setCookieHeaders.isEmpty else { return }
        cookies.removeAll { cookie in cookie.expires.map { $0 <= now } ?? false }
        for header in setCookieHeaders {
            guard let cookie = Self.parse(header, requestPath: requestPath, now: now) else { continue }
            let existing = cookies.firstIndex { $0.name == cookie.name && $0.path == cookie.path }
            if let expires = cookie.expires, expires <= now {
                if let existing { cookies.remove(at: existing) }
            } else if let existing {
                cookies[existing] = cookie
            } else {
                cookies.append(cookie)
                if cookies.count > Self.maximumCookies { cookies.removeFirst(cookies.count - Self.maximumCookies) }
            }
        }
    }

    /// The `Cookie` header for a request to `path` (`a=1; b=2`), or nil when no cookie applies:
    /// cookies whose path matches, unexpired, longer paths first, then older first.
    public func cookieHeader(forPath path: String, now: Double) -> String? {
        let requestPath = Self.pathWithoutQuery(path)
        var matching: [Cookie] = []
        for cookie in cookies where cookie.expires.map({ $0 > now }) ?? true
            && Self.pathMatches(requestPath: requestPath, cookiePath: cookie.path) {
            matching.append(cookie)
        }
        guard !matching.isEmpty else { return nil }
        // Stable by construction: `cookies` is oldest first, and equal path lengths keep that order.
        let ordered = matching.enumerated().sorted { left, right in
            left.element.path.utf8.count != right.element.path.utf8.count
                ? left.element.path.utf8.count > right.element.path.utf8.count
                : left.offset < right.offset
        }
        var header = ""
        for (position, entry) in ordered.enumerated() {
            if position > 0 { header += "; " }
            header += entry.element.name
            header += "="
            header += entry.element.value
        }
        return header
    }

    // MARK: Parsing (RFC 6265 section 5.2)

    static func parse(_ header: String, requestPath: String, now: Double) -> Cookie? {
        var parts = header.split(separator: ";", omittingEmptySubsequences: false)[...]
        guard let pair = parts.popFirst(), let equals = pair.firstIndex(of: "=") else { return nil }
        let name = trimmed(pair[..<equals])
        let value = trimmed(pair[pair.index(after: equals)...])
        guard !name.isEmpty, name.utf8.count + value.utf8.count <= maximumCookieBytes,
              !hasControlCharacters(name), !hasControlCharacters(value) else { return nil }

        var path: String?
        var maxAge: Double?
        var expires: Double?
        for attribute in parts {
            let attributeName: Substring
            let attributeValue: Substring
            if let equals = attribute.firstIndex(of: "=") {
                attributeName = attribute[..<equals]
                attributeValue = attribute[attribute.index(after: equals)...]
            } else {
                attributeName = attribute
                attributeValue = ""
            }
            switch trimmed(attributeName).lowercased() {
            case "path":
                let text = trimmed(attributeValue)
                // A path not starting with "/" is as good as none: the default applies.
                path = text.hasPrefix("/") ? String(text) : nil
            case "max-age":
                if let seconds = maxAgeSeconds(trimmed(attributeValue)) {
                    maxAge = seconds <= 0 ? -Double.infinity : now + seconds
                }
            case "expires":
                // A date that cannot be read leaves the cookie for the session.
                if let date = cookieDate(trimmed(attributeValue)) { expires = date }
            default:
                continue
            }
        }
        guard !hasControlCharacters(path ?? "") else { return nil }
        return Cookie(name: String(name), value: String(value), path: path ?? defaultPath(requestPath),
                      expires: maxAge ?? expires)
    }

    /// Max-Age wins over Expires; `-?DIGIT+` only (anything else is ignored).
    private static func maxAgeSeconds(_ text: Substring) -> Double? {
        var digits = text
        let negative = digits.first == "-"
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        // Very long values only need to be "far away": 15 digits is already millions of years.
        let seconds = Double(String(digits.prefix(15))) ?? 0
        return negative ? -seconds : seconds
    }

    /// The directory of the request's path: `/a/b/c` gives `/a/b`, `/a` and `/` give `/`.
    static func defaultPath(_ requestPath: String) -> String {
        let path = pathWithoutQuery(requestPath)
        guard path.hasPrefix("/"), let lastSlash = path.lastIndex(of: "/"), lastSlash != path.startIndex else { return "/" }
        return String(path[..<lastSlash])
    }

    /// RFC 6265 5.1.4: the same path, or the cookie's path is a prefix ending at a `/` boundary.
    static func pathMatches(requestPath: Substring, cookiePath: String) -> Bool {
        guard requestPath.utf8.starts(with: cookiePath.utf8) else { return false }
        if requestPath.utf8.count == cookiePath.utf8.count || cookiePath.utf8.last == UInt8(ascii: "/") { return true }
        return requestPath.utf8.dropFirst(cookiePath.utf8.count).first == UInt8(ascii: "/")
    }

    private static func pathWithoutQuery(_ path: String) -> Substring {
        let end = path.firstIndex { $0 == "?" || $0 == "#" } ?? path.endIndex
        let withoutQuery = path[..<end]
        return withoutQuery.isEmpty ? "/" : withoutQuery
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }

    /// A cookie is sent in a request's header: a line break in it would end that header.
    private static func hasControlCharacters<Text: StringProtocol>(_ text: Text) -> Bool {
        text.utf8.contains { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }
    }

    // MARK: Dates (RFC 6265 section 5.1.1)

    /// Seconds since 1970 of a cookie date: `Sun, 06 Nov 1994 08:49:37 GMT` and its older forms
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`, `Sun Nov  6 08:49:37 1994`); nil when it cannot be read.
    static func cookieDate(_ text: Substring) -> Double? {
        var time: (hour: Int, minute: Int, second: Int)?
        var day: Int?
        var month: Int?
        var year: Int?
        for token in text.utf8.split(whereSeparator: isDateDelimiter) {
            let bytes = Array(token)
            if time == nil, let parsed = timeOfDay(bytes) {
                time = parsed
            } else if day == nil, let parsed = leadingNumber(bytes, digits: 1...2) {
                day = parsed
            } else if month == nil, let parsed = monthNumber(bytes) {
                month = parsed
            } else if year == nil, let parsed = leadingNumber(bytes, digits: 2...4) {
                year = parsed
            }
        }
        guard let time, let day, let month, var year else { return nil }
        if (70...99).contains(year) { year += 1900 } else if (0...69).contains(year) { year += 2000 }
        guard year >= 1601, (1...daysInMonth(month, year: year)).contains(day),
              time.hour <= 23, time.minute <= 59, time.second <= 59 else { return nil }
        let days = CivilTime.days(year: year, month: month, day: day)
        return Double(days * 86_400 + time.hour * 3600 + time.minute * 60 + time.second)
    }

    private static func isDateDelimiter(_ byte: UInt8) -> Bool {
        byte == 0x09 || (0x20...0x2F).contains(byte) || (0x3B...0x40).contains(byte)
            || (0x5B...0x60).contains(byte) || (0x7B...0x7E).contains(byte)
    }

    /// `hh:mm:ss` (one or two digits each), perhaps followed by something that is not a digit.
    private static func timeOfDay(_ token: [UInt8]) -> (hour: Int, minute: Int, second: Int)? {
        var fields: [Int] = []
        var index = 0
        while fields.count < 3 {
            let start = index
            var value = 0
            while index < token.count, index - start < 2, let digit = decimalDigit(token[index]) {
                value = value * 10 + digit
                index += 1
            }
            guard index > start else { return nil }
            fields.append(value)
            if fields.count < 3 {
                guard index < token.count, token[index] == UInt8(ascii: ":") else { return nil }
                index += 1
            }
        }
        if index < token.count, decimalDigit(token[index]) != nil { return nil }
        return (fields[0], fields[1], fields[2])
    }

    /// A token that starts with `digits` digits, then something that is not a digit (or nothing).
    private static func leadingNumber(_ token: [UInt8], digits: ClosedRange<Int>) -> Int? {
        var value = 0
        var count = 0
        while count < token.count, let digit = decimalDigit(token[count]) {
            value = value * 10 + digit
            count += 1
            if count > digits.upperBound { return nil }
        }
        return digits.contains(count) ? value : nil
    }

    private static func monthNumber(_ token: [UInt8]) -> Int? {
        guard token.count >= 3 else { return nil }
        let prefix = String(decoding: token[0..<3], as: UTF8.self).lowercased()
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        return months.firstIndex(of: prefix).map { $0 + 1 }
    }

    private static func decimalDigit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte) - 48 : nil
    }

    private static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

}
