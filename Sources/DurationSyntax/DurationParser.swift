import Foundation

/// Reads durations the way people write them: `30s`, `10m`, `1h30m`, `500ms`, `250us`, `1.5h`, or a
/// plain number of seconds (`90`). Its own module, so that `loadops target` (which does not depend
/// on LoadOpsKit) reads `--latency 1m` exactly as `loadops run` reads `--duration 1m`.
public enum DurationParser {
    public static let expectation = "a duration such as 30s, 10m, 1h30m, 500ms or a number of seconds"

    private static let unitSeconds: [String: Double] = [
        "us": 0.000_001, "µs": 0.000_001, "usec": 0.000_001, "microsecond": 0.000_001, "microseconds": 0.000_001,
        "ms": 0.001, "msec": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
        "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
        "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
        "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
        "d": 86400, "day": 86400, "days": 86400,
    ]

    /// Seconds in `text`; zero is allowed (callers that need a positive value check it themselves),
    /// and so is a huge value: callers hold it to their own limits.
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
        guard components > 0, total.isFinite else { throw failure }
        return total
    }

    /// Seconds in a YAML number or duration string.
    public static func seconds(from number: Double) throws(ValueFormatError) -> Double {
        guard number.isFinite, number >= 0 else { throw ValueFormatError(expected: expectation, found: "\(number)") }
        return number
    }

    /// The shortest readable spelling that `seconds(from:)` reads back: `10m`, `1h30m`, `500ms`, `2.5s`.
    /// Any value prints, however large: a stored or imported figure is shown, never trapped on.
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "\(seconds)s" }
        if seconds == 0 { return "0s" }
        if seconds < 1 { return "\(DecimalNumber.format(seconds * 1000))ms" }
        guard seconds == seconds.rounded(), seconds < 1e15 else { return "\(DecimalNumber.format(seconds))s" }
        var remaining = Int(seconds)
        var text = ""
        for (unit, size) in [("h", 3600), ("m", 60), ("s", 1)] where remaining >= size {
            text += "\(remaining / size)\(unit)"
            remaining %= size
        }
        return text
    }
}

/// Plain decimal numbers only: `Double("inf")`, `"0x10"` and `"1e3"` are not what a user means by a duration.
public enum DecimalNumber {
    public static func parse<S: StringProtocol>(_ text: S) -> Double? {
        guard let (value, rest) = parsePrefix(Substring(text)), rest.isEmpty else { return nil }
        return value
    }

    /// A leading `123` or `12.5` and what follows it.
    public static func parsePrefix(_ text: Substring) -> (Double, Substring)? {
        let integer = text.prefix(while: \.isASCIIDigit)
        guard !integer.isEmpty else { return nil }
        var end = integer.endIndex
        if end < text.endIndex, text[end] == "." {
            let fraction = text[text.index(after: end)...].prefix(while: \.isASCIIDigit)
            guard !fraction.isEmpty else { return nil }
            end = fraction.endIndex
        }
        // Four hundred digits read as infinity: no number a user means.
        guard let value = Double(text[text.startIndex..<end]), value.isFinite else { return nil }
        return (value, text[end...])
    }

    /// `50` rather than `50.0`; at most three decimals.
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

extension Character {
    public var isASCIIDigit: Bool { isASCII && isNumber }
}

/// What a value should have looked like; turned into a `ConfigError` (or a flag's own error) by
/// the caller, who knows where the value came from.
public struct ValueFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// e.g. `a whole number >= 1`.
    public var expected: String
    /// The offending text as written.
    public var found: String

    public init(expected: String, found: String) {
        self.expected = expected
        self.found = found
    }

    public var description: String {
        "expected \(expected), got \(Self.quoted(found))"
    }

    public static func quoted(_ text: String) -> String {
        text.isEmpty ? "nothing" : "\"\(text)\""
    }
}
