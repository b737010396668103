// The one duration parser (with `DecimalNumber` and `ValueFormatError`) lives in the DurationSyntax
// module, which `loadops target` shares; everything that imports LoadOpsKit sees it too.
@_exported import DurationSyntax
import Foundation

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
