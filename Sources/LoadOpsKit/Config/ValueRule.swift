import Foundation

/// How one kind of setting is read from text, shared by the YAML file, the environment and the flags
/// so that `users: -3`, `LOAD_TEST_USERS_MAX=-3` and `--users -3` get the same complaint.
struct ValueRule<Value> {
    /// What a good value looks like, for messages: `a whole number >= 1`.
    let expected: String
    /// The value, or nil when `text` is not acceptable.
    let read: (String) -> Value?

    func callAsFunction(_ text: String) throws(ValueFormatError) -> Value {
        // A rejected URL may carry a password: the message shows it masked.
        guard let value = read(text) else { throw ValueFormatError(expected: expected, found: Redaction.redactURL(text)) }
        return value
    }
}

extension ValueRule where Value == Int {
    static func wholeNumber(atLeast minimum: Int) -> ValueRule {
        ValueRule(expected: "a whole number >= \(minimum)") { text in
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)), number >= minimum else { return nil }
            return number
        }
    }

    /// Users and connections: the message names both ends, so a huge number says what the limit is.
    static func wholeNumber(in range: ClosedRange<Int>) -> ValueRule {
        ValueRule(expected: "a whole number from \(range.lowerBound) to \(range.upperBound)") { text in
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(number) else { return nil }
            return number
        }
    }

    static var statusCode: ValueRule {
        ValueRule(expected: "an HTTP status code between 100 and 599") { text in
            guard let code = Int(text.trimmingCharacters(in: .whitespaces)), (100...599).contains(code) else { return nil }
            return code
        }
    }
}

extension ValueRule where Value == Double {
    static func positiveNumber(atMost maximum: Double) -> ValueRule {
        ValueRule(expected: "a number > 0 and at most \(DecimalNumber.format(maximum))") { text in
            guard let number = DecimalNumber.parse(text.trimmingCharacters(in: .whitespaces)), number > 0, number <= maximum
            else { return nil }
            return number
        }
    }

    /// Runs, stages, timeouts (checklists' too): more than zero, at most `LoadLimits.maximumDurationSeconds`.
    static var positiveDuration: ValueRule {
        ValueRule(expected: "a duration > 0 and at most \(LoadLimits.durationText), such as 30s, 10m, 1h30m, 500ms or a number of seconds") { text in
            guard let seconds = try? DurationParser.seconds(from: text), seconds > 0, seconds <= LoadLimits.maximumDurationSeconds
            else { return nil }
            return seconds
        }
    }

    static var positiveRate: ValueRule {
        ValueRule(expected: "a rate > 0 and at most \(LoadLimits.rateText), such as 50/s, 3005/min, 7200/h or a number per second") { text in
            guard let rate = try? RateParser.perSecond(from: text), rate > 0, rate <= LoadLimits.maximumRate else { return nil }
            return rate
        }
    }

    /// A stage's rate: zero is a valid target (a ramp down to nothing).
    static var stageRate: ValueRule {
        ValueRule(expected: "a rate from 0 to \(LoadLimits.rateText), such as 50/s, 3005/min, 7200/h or a number per second") { text in
            guard let rate = try? RateParser.perSecond(from: text), rate <= LoadLimits.maximumRate else { return nil }
            return rate
        }
    }
}

extension ValueRule where Value == ClosedRange<Double> {
    /// `1s-3s` (uniform between the bounds) or a single duration.
    static var thinkTime: ValueRule {
        ValueRule(expected: "a duration such as 2s, or a range such as 1s-3s with the smaller bound first, at most \(LoadLimits.durationText)") { text in
            let bounds = text.split(separator: "-", omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                guard let seconds = try? DurationParser.seconds(from: text), seconds <= LoadLimits.maximumDurationSeconds
                else { return nil }
                return seconds...seconds
            case 2:
                guard let low = try? DurationParser.seconds(from: String(bounds[0])),
                    let high = try? DurationParser.seconds(from: String(bounds[1])), low <= high,
                    high <= LoadLimits.maximumDurationSeconds
                else { return nil }
                return low...high
            default:
                return nil
            }
        }
    }
}

extension ValueRule where Value == Bool {
    static var bool: ValueRule {
        ValueRule(expected: "true or false") { text in
            switch text.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            default: return nil
            }
        }
    }
}

extension ValueRule where Value == LoadModel {
    static var model: ValueRule {
        ValueRule(expected: "closed or open") { text in
            LoadModel(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased())
        }
    }
}

extension ValueRule where Value == String {
    /// Base URL of the system under test.
    static var httpURL: ValueRule {
        ValueRule(expected: "an http:// or https:// URL with a host name, such as http://127.0.0.1:8000 "
                      + "(in a password, write # as %23, / as %2F, ? as %3F and @ as %40)") { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            guard let parts = URLParts(trimmed), ["http", "https"].contains(parts.scheme.lowercased()),
                !parts.host.isEmpty, parts.portIsValid
            else { return nil }
            return trimmed
        }
    }

    static var method: ValueRule {
        ValueRule(expected: "one of " + EndpointParser.methods.joined(separator: " ")) { text in
            let method = text.trimmingCharacters(in: .whitespaces).uppercased()
            return EndpointParser.methods.contains(method) ? method : nil
        }
    }

    static var nonEmpty: ValueRule {
        ValueRule(expected: "a non-empty value") { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty ? nil : trimmed
        }
    }

    /// An entry of `allow_hosts`: a host name, an IP address, or `*.example.com`.
    static var allowedHost: ValueRule {
        ValueRule(expected: "a host name such as staging.example.com or *.example.com (no scheme, port or path)") { text in
            let host = text.trimmingCharacters(in: .whitespaces)
            let forbidden = CharacterSet(charactersIn: "/@ ?#")
            guard !host.isEmpty, host.rangeOfCharacter(from: forbidden) == nil else { return nil }
            return host
        }
    }

    /// The name of an environment variable (for `bearer_env`).
    static var variableName: ValueRule {
        ValueRule(expected: "an environment variable name such as API_TOKEN") { text in
            let name = text.trimmingCharacters(in: .whitespaces)
            guard let first = name.first, first == "_" || (first.isASCII && first.isLetter),
                name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
            else { return nil }
            return name
        }
    }
}

/// The pieces of `scheme://userinfo@host:port/path` that config checks need, read without
/// Foundation's `URL` so that nothing is re-encoded or normalised behind the user's back.
struct URLParts: Equatable {
    var scheme: String
    var userInfo: String?
    /// Without brackets for IPv6 (`::1`).
    var host: String
    var port: String?
    /// Everything from the first `/`, `?` or `#` after the authority.
    var rest: String

    init?(_ text: String) {
        guard let separator = text.range(of: "://") else { return nil }
        scheme = String(text[..<separator.lowerBound])
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) })
        else { return nil }
        let afterScheme = text[separator.upperBound...]
        let authorityEnd = afterScheme.firstIndex(where: { "/?#".contains($0) }) ?? afterScheme.endIndex
        var authority = afterScheme[..<authorityEnd]
        rest = String(afterScheme[authorityEnd...])
        if let at = authority.lastIndex(of: "@") {
            userInfo = String(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let afterHost = authority[authority.index(after: close)...]
            if afterHost.isEmpty {
                port = nil
            } else {
                guard afterHost.hasPrefix(":") else { return nil }
                port = String(afterHost.dropFirst())
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = String(authority[authority.index(after: colon)...])
        } else {
            host = String(authority)
            port = nil
        }
    }

    var portIsValid: Bool {
        guard let port else { return true }
        guard let number = Int(port) else { return false }
        return (1...65535).contains(number)
    }
}
