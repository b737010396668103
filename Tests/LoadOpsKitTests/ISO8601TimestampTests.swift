import Foundation
import Testing
@testable import LoadOpsKit

/// Timestamps written and read without Foundation's (ICU-backed) date formatters.
@Suite struct ISO8601TimestampTests {
    /// 2025-01-31T12:00:05Z.
    static let fixedSeconds = 1_738_324_805.0

    @Test func aFixedDateIsWrittenWithAndWithoutMilliseconds() {
        let date = Date(timeIntervalSince1970: Self.fixedSeconds + 0.123)
        #expect(ISO8601Timestamp.format(date, fractional: true) == "2025-01-31T12:00:05.123Z")
        #expect(ISO8601Timestamp.format(date, fractional: false) == "2025-01-31T12:00:05Z")
        #expect(ISO8601Timestamp(fractional: true).string(from: date) == "2025-01-31T12:00:05.123Z")
        #expect(ResultsDocument.iso8601(fractional: false).string(from: date) == "2025-01-31T12:00:05Z")
        #expect(ISO8601Timestamp.format(Date(timeIntervalSince1970: Self.fixedSeconds + 0.007), fractional: true)
            == "2025-01-31T12:00:05.007Z")
        #expect(ISO8601Timestamp.format(Date(timeIntervalSince1970: 1_709_251_199), fractional: true) == "2024-02-29T23:59:59.000Z")
        #expect(ISO8601Timestamp.format(Date(timeIntervalSince1970: -14_182_940), fractional: false) == "1969-07-20T20:17:40Z")
    }

    @Test func datesAreRoundedToTheNearestMillisecondAsFoundationDid() {
        #expect(ISO8601Timestamp.format(Date(timeIntervalSince1970: 0.9996), fractional: true) == "1970-01-01T00:00:01.000Z")
        #expect(ISO8601Timestamp.format(Date(timeIntervalSince1970: 0.9996), fractional: false) == "1970-01-01T00:00:01Z")
        #expect(ISO8601Timestamp.format(Date(timeIntervalSince1970: 0.9994), fractional: false) == "1970-01-01T00:00:00Z")
        #expect(ISO8601Timestamp.format(Date(timeIntervalSince1970: -0.001), fractional: true) == "1969-12-31T23:59:59.999Z")
    }

    @Test func bothFormsAreParsed() throws {
        let whole = try #require(ISO8601Timestamp.parse("2025-01-31T12:00:05Z"))
        #expect(whole.timeIntervalSince1970 == Self.fixedSeconds)
        let fractional = try #require(ISO8601Timestamp.parse("2025-01-31T12:00:05.123Z"))
        #expect(abs(fractional.timeIntervalSince1970 - (Self.fixedSeconds + 0.123)) < 0.000_001)
        #expect(ISO8601Timestamp(fractional: false).date(from: "2025-01-31T12:00:05.123Z") == fractional)
        #expect(ISO8601Timestamp(fractional: true).date(from: "2025-01-31T12:00:05Z") == whole)
        let tenth = try #require(ISO8601Timestamp.parse("2025-01-31T12:00:05.1Z"))
        #expect(ISO8601Timestamp.format(tenth, fractional: true) == "2025-01-31T12:00:05.100Z")
        #expect(ISO8601Timestamp.parse("2025-01-31T12:00:05.123999Z") == fractional)
        #expect(ISO8601Timestamp.parse("2025-01-31T14:00:05+02:00") == whole)
        #expect(ISO8601Timestamp.parse("2025-01-31T06:30:05-0530") == whole)
        #expect(ISO8601Timestamp.parse("2025-01-31T13:00:05+01") == whole)
    }

    @Test func whatIsWrittenIsReadBackAsTheSameText() throws {
        var seconds = 1_700_000_000.0
        for step in 0..<500 {
            seconds += 7_919.123_457 * Double(step % 13 + 1)
            let date = Date(timeIntervalSince1970: seconds)
            for fractional in [true, false] {
                let text = ISO8601Timestamp.format(date, fractional: fractional)
                let read = try #require(ISO8601Timestamp.parse(text), "\(text)")
                #expect(ISO8601Timestamp.format(read, fractional: fractional) == text)
                // Half a millisecond, give or take the rounding of seconds held in a Double.
                #expect(abs(read.timeIntervalSince(date)) <= (fractional ? 0.000_501 : 1))
            }
        }
    }

    /// The text and the parsed dates are those of the formatter this type replaced, so older results and
    /// history files read the same.
    @Test func textAndParsedDatesMatchISO8601DateFormatter() {
        let withMilliseconds = ISO8601DateFormatter()
        withMilliseconds.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let whole = ISO8601DateFormatter()
        var state: UInt64 = 42
        for _ in 0..<2000 {
            // A fixed pseudo-random walk over 1900 to 2100, at sub-millisecond resolution.
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let seconds = -2_208_988_800 + Double(state >> 11) / Double(1 << 53) * 6_311_433_600
            let date = Date(timeIntervalSince1970: seconds)
            let fractionalText = ISO8601Timestamp.format(date, fractional: true)
            let wholeText = ISO8601Timestamp.format(date, fractional: false)
            #expect(fractionalText == withMilliseconds.string(from: date))
            #expect(wholeText == whole.string(from: date))
            #expect(ISO8601Timestamp.parse(fractionalText) == withMilliseconds.date(from: fractionalText))
            #expect(ISO8601Timestamp.parse(wholeText) == whole.date(from: wholeText))
        }
    }

    @Test func malformedTimestampsAreRefused() {
        let malformed = ["", "garbage", "2025-01-31", "2025-01-31T12:00:05", "2025-01-31 12:00:05Z", "2025-01-31T12:00:05.Z",
                         "2025-1-31T12:00:05Z", "2025-02-30T12:00:05Z", "2023-02-29T00:00:00Z", "2025-13-01T00:00:00Z",
                         "2025-01-31T24:00:00Z", "2025-01-31T12:60:00Z", "2025-01-31T12:00:60Z", "2025-01-31T12:00:05Zjunk",
                         " 2025-01-31T12:00:05Z", "2025-01-31T12:00:05+2:00", "2025-01-31T12:00:05+25:00", "2025-01-31t12:00:05z"]
        for text in malformed {
            #expect(ISO8601Timestamp.parse(text) == nil, "\(text)")
        }
    }

    @Test func aDateIsWrittenInTheTimeZoneAsked() throws {
        let date = Date(timeIntervalSince1970: Self.fixedSeconds + 0.9996)
        let india = try #require(TimeZone(secondsFromGMT: 19_800))
        #expect(HistoryReport.time(date, india) == "2025-01-31 17:30")
        #expect(HistoryReport.time(date, india, seconds: true) == "2025-01-31 17:30:06")
        let newYork = try #require(TimeZone(identifier: "America/New_York"))
        #expect(HistoryReport.time(Date(timeIntervalSince1970: 1_720_000_000), newYork, seconds: true) == "2024-07-03 05:46:40")
        #expect(HistoryReport.time(Date(timeIntervalSince1970: 1_704_067_200), newYork) == "2023-12-31 19:00")
        #expect(CivilTime(utcMilliseconds: 1_738_324_805_042).clockText(.milliseconds) == "12:00:05.042")
    }
}
