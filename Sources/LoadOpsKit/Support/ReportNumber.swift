import Foundation

/// The one place numbers become text for people: the summaries, reports, comparisons, thresholds,
/// the history's tables and the live status line. (Locust's CSV files follow Python's formatting:
/// `PythonNumber`.)
enum ReportNumber {
    /// At most `places` decimals, trailing zeros dropped: `12.5`, `100`, `0.33`; `n/a` for NaN or infinity.
    static func decimal(_ value: Double, places: Int = 2) -> String {
        guard value.isFinite else { return "n/a" }
        var text = fixed(value, places: places)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// Exactly `places` decimals, for columns that line up: `12.50`, `0.0`.
    static func fixed(_ value: Double, places: Int) -> String {
        String(format: "%.\(places)f", value)
    }

    /// About three significant figures: two decimals under 10, one under 100, none above
    /// (`4.27`, `42.7`, `427`); `trimmingZeros` drops trailing zeros (`4.2`, `40`).
    static func threeFigures(_ value: Double, trimmingZeros: Bool) -> String {
        let places = value < 10 ? 2 : value < 100 ? 1 : 0
        return trimmingZeros ? decimal(value, places: places) : fixed(value, places: places)
    }

    /// `812.35ms`, `1.2ms`, `0ms`.
    static func milliseconds(_ value: Double) -> String { "\(decimal(value))ms" }

    /// `99.98%`, `0%`, `0.005%` (small error rates keep their significant digit).
    static func percent(_ value: Double) -> String { "\(decimal(value, places: value != 0 && abs(value) < 0.01 ? 4 : 2))%" }

    /// `  7`: an integer with leading spaces to `width` characters.
    static func rightAligned(_ value: Int, width: Int) -> String {
        String(format: "%\(width)d", value)
    }

    /// `07`: an integer with leading zeros to `digits` digits.
    static func zeroPadded(_ value: Int, digits: Int) -> String {
        String(format: "%0\(digits)d", value)
    }

    /// `MM:SS`, or `H:MM:SS` from an hour on; a negative time reads as 0.
    static func clock(_ seconds: Double, rounding: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> String {
        let total = Int(max(seconds, 0).rounded(rounding))
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        let minutesAndSeconds = zeroPadded(minutes, digits: 2) + ":" + zeroPadded(secs, digits: 2)
        return hours > 0 ? "\(hours):" + minutesAndSeconds : minutesAndSeconds
    }
}
