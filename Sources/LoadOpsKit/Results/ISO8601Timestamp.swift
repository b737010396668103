import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Dates are written and read here with integer arithmetic rather than `ISO8601DateFormatter`,
// `DateFormatter` or `Date.ISO8601FormatStyle`: on Linux all of these reach ICU (the format styles
// through `TimeZone`), which costs every `loadops run` megabytes of resident memory and each formatter
// milliseconds to create. The text is the same as those formatters wrote, for any date from 1583 on.

/// ISO 8601 timestamps in UTC: `2025-01-31T12:00:00Z`, or `2025-01-31T12:00:00.123Z` with milliseconds.
///
/// The same text `ISO8601DateFormatter` wrote with `.withInternetDateTime` (and `.withFractionalSeconds`):
/// the date is first rounded to the nearest millisecond. A parsed timestamp is the very `Date` that
/// formatter gave, so dates read from older results and history files compare as before.
struct ISO8601Timestamp: Sendable {
    /// Whether `string(from:)` writes milliseconds.
    var fractional: Bool

    init(fractional: Bool) {
        self.fractional = fractional
    }

    func string(from date: Date) -> String {
        Self.format(date, fractional: fractional)
    }

    /// Reads either form, with or without fractional seconds, whatever `fractional` is.
    func date(from text: String) -> Date? {
        Self.parse(text)
    }

    static func format(_ date: Date, fractional: Bool) -> String {
        let time = CivilTime(utcMilliseconds: milliseconds(date))
        return time.dateText + "T" + time.clockText(fractional ? .milliseconds : .seconds) + "Z"
    }

    /// `2025-01-31T12:00:00Z`, `2025-01-31T12:00:00.123Z`, or with an offset such as `+02:00`, `-0530`
    /// or `+02` in place of `Z`. Digits past milliseconds are dropped, as Foundation did. Nil for anything
    /// else, a date that does not exist (`2025-02-30`) included.
    static func parse(_ text: String) -> Date? {
        var reader = TimestampReader(Array(text.utf8))
        guard let year = reader.number(digits: 4), reader.skip("-"),
              let month = reader.number(digits: 2), reader.skip("-"),
              let day = reader.number(digits: 2), reader.skip("T"),
              let hour = reader.number(digits: 2), reader.skip(":"),
              let minute = reader.number(digits: 2), reader.skip(":"),
              let second = reader.number(digits: 2),
              let millisecond = reader.fractionMilliseconds(),
              let offset = reader.offsetSeconds(), reader.atEnd,
              (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return nil }
        let days = CivilTime.days(year: year, month: month, day: day)
        // A day past the end of its month would count on into the next one.
        guard CivilTime(utcMilliseconds: Int64(days) * CivilTime.millisecondsPerDay).day == day else { return nil }
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offset)
        // The arithmetic Foundation's formatter used, so the parsed `Date` is equal bit for bit.
        let sinceEpoch = Double(seconds * 1000 + Int64(millisecond)) / 1000
        return Date(timeIntervalSinceReferenceDate: sinceEpoch - Date.timeIntervalBetween1970AndReferenceDate)
    }

    /// Milliseconds since 1970, rounded to the nearest in the floating-point steps Foundation's formatters
    /// took (so the same millisecond every time); clamped to the years 1 to 9999, which four digits hold.
    static func milliseconds(_ date: Date) -> Int64 {
        let value = (date.timeIntervalSinceReferenceDate + Date.timeIntervalBetween1970AndReferenceDate) * 1000 + 0.5
        let earliest = -62_135_596_800_000.0  // 0001-01-01T00:00:00.000Z
        let latest = 253_402_300_799_999.0  // 9999-12-31T23:59:59.999Z
        guard !value.isNaN else { return Int64(earliest) }
        return Int64(min(max(value.rounded(.down), earliest), latest))
    }
}

/// A date and time of day in the Gregorian calendar, in UTC or some time zone, for writing out.
struct CivilTime: Equatable, Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    var millisecond: Int

    static let millisecondsPerDay: Int64 = 86_400_000

    /// How much of the time of day `clockText` writes.
    enum ClockPrecision {
        case minutes, seconds, milliseconds
    }

    /// Splits milliseconds since 1970-01-01 00:00 (of whatever zone they are counted in).
    init(utcMilliseconds: Int64) {
        var days = utcMilliseconds / Self.millisecondsPerDay
        var ofDay = utcMilliseconds % Self.millisecondsPerDay
        if ofDay < 0 {
            ofDay += Self.millisecondsPerDay
            days -= 1
        }
        let milliseconds = Int(ofDay)
        millisecond = milliseconds % 1000
        second = milliseconds / 1000 % 60
        minute = milliseconds / 60_000 % 60
        hour = milliseconds / 3_600_000
        // Days to year, month and day: Howard Hinnant's civil_from_days, counting years from March
        // so that the leap day falls at the end.
        let shifted = Int(days) + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// `date` in `timeZone`, at the millisecond Foundation's formatters rounded it to.
    init(_ date: Date, in timeZone: TimeZone) {
        let utc = ISO8601Timestamp.milliseconds(date)
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(utc) / 1000))
        self.init(utcMilliseconds: utc + Int64(offset) * 1000)
    }

    /// `date` in the machine's time zone, as the C library sees it (TZ, /etc/localtime). Asks no `TimeZone`,
    /// which would load ICU; falls back to UTC should the C library fail.
    init(local date: Date) {
        let utc = ISO8601Timestamp.milliseconds(date)
        var seconds = time_t(utc >= 0 ? utc / 1000 : (utc - 999) / 1000)
        var parts = tm()
        let offset = localtime_r(&seconds, &parts) == nil ? 0 : Int64(parts.tm_gmtoff)
        self.init(utcMilliseconds: utc + offset * 1000)
    }

    /// Days from 1970-01-01 to a date: Howard Hinnant's days_from_civil.
    static func days(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `2025-01-31`.
    var dateText: String {
        Self.zeroPadded(year, digits: 4) + "-" + Self.zeroPadded(month, digits: 2) + "-" + Self.zeroPadded(day, digits: 2)
    }

    /// `12:05`, `12:05:09` or `12:05:09.042`.
    func clockText(_ precision: ClockPrecision) -> String {
        var text = Self.zeroPadded(hour, digits: 2) + ":" + Self.zeroPadded(minute, digits: 2)
        if precision != .minutes { text += ":" + Self.zeroPadded(second, digits: 2) }
        if precision == .milliseconds { text += "." + Self.zeroPadded(millisecond, digits: 3) }
        return text
    }

    private static func zeroPadded(_ value: Int, digits: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(digits - text.count, 0)) + text
    }
}

/// Reads the fixed-width ASCII fields of a timestamp.
private struct TimestampReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { index == bytes.count }

    mutating func digit() -> Int? {
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
        defer { index += 1 }
        return Int(bytes[index] - UInt8(ascii: "0"))
    }

    mutating func number(digits: Int) -> Int? {
        var value = 0
        for _ in 0..<digits {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    mutating func skip(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    /// `.1` is 100, `.123456` is 123 (truncated); 0 when there is no fraction, nil for a bare `.`.
    mutating func fractionMilliseconds() -> Int? {
        guard skip(".") else { return 0 }
        var value = 0
        var digits = 0
        while let digit = digit() {
            if digits < 3 { value = value * 10 + digit }
            digits += 1
        }
        guard digits > 0 else { return nil }
        for _ in min(digits, 3)..<3 { value *= 10 }
        return value
    }

    /// `Z` is 0; `+02:00`, `+0200` or `+02` is 7200; `-05:30` is -19800.
    mutating func offsetSeconds() -> Int? {
        if skip("Z") { return 0 }
        let sign: Int
        if skip("+") {
            sign = 1
        } else if skip("-") {
            sign = -1
        } else {
            return nil
        }
        guard let hours = number(digits: 2), hours < 24 else { return nil }
        if atEnd { return sign * hours * 3600 }
        _ = skip(":")
        guard let minutes = number(digits: 2), minutes < 60 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }
}
