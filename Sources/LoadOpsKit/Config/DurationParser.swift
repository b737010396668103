import Foundation

/// Reads durations the way people write them: `30s`, `10m`, `1h30m`, `500ms`, `1.5h`, or a plain number of seconds (`90`).
public enum DurationParser {
    static let expectation = "a duration such as 30s, 10m, 1h30m, 500ms or a number of seconds"

    private static let unitSeconds: [String: Double] = [
        "ms": 0.001, "msec": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
        "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
        "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
        "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
        "d": 86400, "day": 86400, "days": 86400,
    ]

    /// Seconds in `text`; zero is allowed (callers that need a positive value check it themselves).
    public static func seconds(from text: String) throws(ValueFormatError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let failure = ValueFormatError(expected: expectation, found: text)
        if let plain = DecimalNumber.parse(trimmed) { return plain }

        var scanner = Substring(trimmed)
        var total = 0.0
        var components = 0
        while !scanner.isEmpty {
            guard let (value, afterNumber) = DecimalNumber.parsePrefix(scanner) else { throw failure }
            let rest = afterNumber.drop(while: { $0 == " " })
            let unitText = rest.prefix(while: { $0.isLetter })
            guard let factor = unitSeconds[unitText.lowercased()] else { throw failure }
            total += value * factor
            components += 1
            scanner = rest.dropFirst(unitText.count).drop(while: { $0 == " " })
        }
        guard components > 0 else { throw failure }
        return total
    }

    /// Seconds in a YAML number or duration string.
    public static func seconds(from number: Double) throws(ValueFormatError) -> Double {
        guard number.isFinite, number >= 0 else { throw ValueFormatError(expected: expectation, found: "\(number)") }
        return number
    }

    /// The shortest readable spelling that `seconds(from:)` reads back: `10m`, `1h30m`, `500ms`, `2.5s`.
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "\(seconds)s" }
        if seconds == 0 { return "0s" }
        if seconds < 1 { return "\(DecimalNumber.format(seconds * 1000))ms" }
        guard seconds == seconds.rounded() else { return "\(DecimalNumber.format(seconds))s" }
        var remaining = Int(seconds)
        var text = ""
        for (unit, size) in [("h", 3600), ("m", 60), ("s", 1)] where remaining >= size {
            text += "\(remaining / size)\(unit)"
            remaining %= size
        }
        return text
    }
}

/// Reads request rates: `3005/min`, `50/s`, `50/sec`, `100/m`, `7200/h`, or a plain number per second (`12.5`).
public enum RateParser {
    static let expectation = "a rate such as 50/s, 3005/min, 7200/h or a number per second"

    private static let unitSeconds: [String: Double] = [
        "s": 1, "sec": 1, "second": 1,
        "m": 60, "min": 60, "minute": 60,
        "h": 3600, "hr": 3600, "hour": 3600,
    ]

    /// Requests per second in `text`; zero is allowed (callers that need a positive value check it themselves).
    public static func perSecond(from text: String) throws(ValueFormatError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let failure = ValueFormatError(expected: expectation, found: text)
        if let plain = DecimalNumber.parse(trimmed) { return plain }

        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let count = DecimalNumber.parse(parts[0].trimmingCharacters(in: .whitespaces)),
            let seconds = unitSeconds[parts[1].trimmingCharacters(in: .whitespaces).lowercased()]
        else { throw failure }
        return count / seconds
    }

    /// Requests per second in a YAML number.
    public static func perSecond(from number: Double) throws(ValueFormatError) -> Double {
        guard number.isFinite, number >= 0 else { throw ValueFormatError(expected: expectation, found: "\(number)") }
        return number
    }

    /// A readable spelling that `perSecond(from:)` reads back: `50/s`, `12.5/s`, or `3005/min` when
    /// the per-second figure would need more than two decimals but the per-minute one is whole.
    public static func format(_ perSecond: Double) -> String {
        let hundredths = perSecond * 100
        if abs(hundredths - hundredths.rounded()) < 1e-9 { return "\(DecimalNumber.format(perSecond))/s" }
        let perMinute = perSecond * 60
        if abs(perMinute - perMinute.rounded()) < 1e-6 { return "\(DecimalNumber.format(perMinute.rounded()))/min" }
        let perHour = perSecond * 3600
        if abs(perHour - perHour.rounded()) < 1e-6 { return "\(DecimalNumber.format(perHour.rounded()))/h" }
        return "\(DecimalNumber.format(perSecond))/s"
    }
}

/// Plain decimal numbers only: `Double("inf")`, `"0x10"` and `"1e3"` are not what a user means by a duration.
enum DecimalNumber {
    static func parse<S: StringProtocol>(_ text: S) -> Double? {
        guard let (value, rest) = parsePrefix(Substring(text)), rest.isEmpty else { return nil }
        return value
    }

    /// A leading `123` or `12.5` and what follows it.
    static func parsePrefix(_ text: Substring) -> (Double, Substring)? {
        let integer = text.prefix(while: \.isASCIIDigit)
        guard !integer.isEmpty else { return nil }
        var end = integer.endIndex
        if end < text.endIndex, text[end] == "." {
            let fraction = text[text.index(after: end)...].prefix(while: \.isASCIIDigit)
            guard !fraction.isEmpty else { return nil }
            end = fraction.endIndex
        }
        guard let value = Double(text[text.startIndex..<end]) else { return nil }
        return (value, text[end...])
    }

    /// `50` rather than `50.0`; at most three decimals.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
