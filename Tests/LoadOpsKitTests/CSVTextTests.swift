import Foundation
import Testing
@testable import LoadOpsKit

/// The one CSV writer and reader (Locust's files).
@Suite struct CSVTextTests {
    @Test func whatIsWrittenIsReadBackWithTheLineEachRowStartsOn() throws {
        let rows = [["Type", "Name"], ["GET", "/a,\"b\"\nc"], ["", "Aggregated"]]
        let text = CSVText.render(rows)
        #expect(text == "Type,Name\r\nGET,\"/a,\"\"b\"\"\nc\"\r\n,Aggregated\r\n")
        let read = try CSVText.parse(text)
        #expect(read.map(\.fields) == rows)
        #expect(read.map(\.line) == [1, 2, 4])
    }

    @Test func blankLinesAreSkippedAndAnUnclosedQuoteIsReportedWhereItOpens() throws {
        #expect(try CSVText.parse("a,b\n\n1,2\n").map(\.fields) == [["a", "b"], ["1", "2"]])
        #expect(throws: CSVText.UnterminatedQuote(line: 2)) { try CSVText.parse("a,b\n\"1,2\n3\n") }
    }
}
