import Foundation

/// CSV as Python's `csv` module writes it with its default dialect (Locust's `--csv` files): comma
/// separated, CRLF after every row, a field quoted (and its quotes doubled) only when it holds a
/// comma, a quote, CR or LF. The one CSV writer and reader: Locust's files are written and imported here.
enum CSVText {
    /// A row read back, with the line it starts on (a quoted field may span lines).
    struct Row: Equatable {
        var line: Int
        var fields: [String]
    }

    /// A quoted field opened on `line` is never closed.
    struct UnterminatedQuote: Error, Equatable {
        var line: Int
    }

    static func render(_ rows: [[String]]) -> String {
        var text = ""
        for row in rows {
            text += row.map(field).joined(separator: ",")
            text += "\r\n"
        }
        return text
    }

    static func field(_ value: String) -> String {
        let needsQuotes = value.unicodeScalars.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
        guard needsQuotes else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Splits CSV text (written by `render`, Python's `csv` module or a spreadsheet) into rows: RFC 4180,
    /// quotes doubled inside quoted fields, CRLF or LF line ends. Blank lines are skipped.
    static func parse(_ text: String) throws(UnterminatedQuote) -> [Row] {
        var rows: [Row] = []
        var fields: [String] = []
        var field = ""
        var inQuotes = false
        var line = 1
        var rowLine = 1
        var quoteLine = 1
        var rowHasContent = false
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func endRow() {
            fields.append(field)
            if rowHasContent { rows.append(Row(line: rowLine, fields: fields)) }
            fields = []
            field = ""
            rowHasContent = false
        }
        while index < scalars.count {
            let scalar = scalars[index]
            index += 1
            if inQuotes {
                if scalar == "\"" {
                    if index < scalars.count && scalars[index] == "\"" {
                        field.unicodeScalars.append("\"")
                        index += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                inQuotes = true
                quoteLine = line
                rowHasContent = true
            case ",":
                fields.append(field)
                field = ""
                rowHasContent = true
            case "\r":
                break
            case "\n":
                endRow()
                line += 1
                rowLine = line
            default:
                field.unicodeScalars.append(scalar)
                rowHasContent = true
            }
        }
        if inQuotes { throw UnterminatedQuote(line: quoteLine) }
        endRow()
        return rows
    }
}
