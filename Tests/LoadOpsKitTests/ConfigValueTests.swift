import Foundation
import Testing

@testable import LoadOpsKit

@Suite("Config values")
struct ConfigValueTests {
    static let durations: [(String, Double)] = [
        ("30s", 30.0), ("10m", 600), ("1h30m", 5400), ("500ms", 0.5), ("1h", 3600), ("90", 90),
        ("1.5", 1.5), ("2.5s", 2.5), ("1m30s", 90), ("10 min", 600), ("0s", 0), ("1h 30m", 5400),
    ]

    @Test(arguments: durations)
    func durationsThatRead(text: String, seconds: Double) throws {
        #expect(try DurationParser.seconds(from: text) == seconds)
    }

    @Test(arguments: ["10 parsecs", "-5s", "", "   ", "s", "1.s", "10x", "inf", "1e3", "5s-", "nan", "0x10"])
    func durationsThatDoNot(text: String) {
        #expect(throws: ValueFormatError.self) { try DurationParser.seconds(from: text) }
    }

    @Test func durationErrorSaysWhatWasExpectedAndFound() {
        #expect(throws: ValueFormatError(expected: DurationParser.expectation, found: "10 parsecs")) {
            try DurationParser.seconds(from: "10 parsecs")
        }
    }

    static let rates: [(String, Double)] = [
        ("3005/min", 3005.0 / 60), ("50/s", 50), ("50/sec", 50), ("100/m", 100.0 / 60), ("7200/h", 2),
        ("12.5", 12.5), ("90", 90), ("50 / s", 50), ("100/MIN", 100.0 / 60),
    ]

    @Test(arguments: rates)
    func ratesThatRead(text: String, perSecond: Double) throws {
        #expect(abs(try RateParser.perSecond(from: text) - perSecond) < 1e-12)
    }

    @Test(arguments: ["fast", "50/fortnight", "/s", "50/", "-3/s", "", "50/s/s", "1e3/s"])
    func ratesThatDoNot(text: String) {
        #expect(throws: ValueFormatError.self) { try RateParser.perSecond(from: text) }
    }

    @Test func yamlNumbersAreAccepted() throws {
        #expect(try DurationParser.seconds(from: 90) == 90)
        #expect(try RateParser.perSecond(from: 12.5) == 12.5)
        #expect(throws: ValueFormatError.self) { try DurationParser.seconds(from: -1) }
    }

    @Test(arguments: [0.5, 1, 30, 60, 90, 600, 5400, 3601, 2.5, 86400] as [Double])
    func durationFormatReadsBack(seconds: Double) throws {
        #expect(try DurationParser.seconds(from: DurationParser.format(seconds)) == seconds)
    }

    @Test func formatsAreReadable() {
        #expect(DurationParser.format(5400) == "1h30m")
        #expect(DurationParser.format(0.5) == "500ms")
        #expect(RateParser.format(3005.0 / 60) == "3005/min")
        #expect(RateParser.format(50) == "50/s")
        #expect(RateParser.format(12.5) == "12.5/s")
        #expect(RateParser.format(100.0 / 60) == "100/min")
    }

    static let perSecondRates: [Double] = [3005.0 / 60, 50, 12.5, 100.0 / 60, 2, 1.0 / 3600]

    @Test(arguments: perSecondRates)
    func rateFormatReadsBack(perSecond: Double) throws {
        #expect(abs(try RateParser.perSecond(from: RateParser.format(perSecond)) - perSecond) < 1e-9)
    }

    @Test func keySuggestions() {
        #expect(KeySuggestion.closest(to: "userz", among: ConfigFileParser.loadKeys) == "users")
        #expect(KeySuggestion.closest(to: "spawnRate", among: ConfigFileParser.loadKeys) == "spawn_rate")
        #expect(KeySuggestion.closest(to: "colour", among: ConfigFileParser.loadKeys) == nil)
    }
}
