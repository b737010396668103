import Foundation

/// Reads a flow's data file (`data: accounts.csv`) when the configuration is loaded, so that a
/// missing file, column or field is a configuration error before anything is sent.
///
/// The first row names the columns; every later row must have as many fields. Messages name the
/// file, its line numbers and its column names, never a field of a data row: those often hold passwords.
enum FlowDataFile {
    /// - Parameters:
    ///   - path: the file as opened (resolved relative to loadops.yml).
    ///   - written: the path as loadops.yml spells it, for messages.
    ///   - columns: the `columns:` entries, or nil for every column of the header.
    ///   - node: where the file is named in loadops.yml.
    static func read(path: String, written: String, pick: FlowDataPick, columns: [ConfigNode]?, at node: ConfigNode) throws -> FlowData {
        let fileName = ValueFormatError.quoted(written)
        // Where it was looked for, when that is not what the configuration says.
        let shown = fileName + (path == written ? "" : " (\(path))")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw node.error("the data file \(shown) does not exist (a relative path is taken from the folder of the configuration file)")
        }
        guard !isDirectory.boolValue else { throw node.error("the data file \(shown) is a folder, not a CSV file") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw node.error("cannot read the data file \(shown): \(FileErrorReason.text(error))")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw node.error("cannot read the data file \(shown): it is not UTF-8 text")
        }
        var rows: [CSVText.Row]
        do {
            rows = try CSVText.parse(text)
        } catch {
            throw node.error("the data file \(fileName), line \(error.line): a quoted field is never closed")
        }
        guard !rows.isEmpty else {
            throw node.error("the data file \(fileName) is empty: its first line names the columns (e.g. username,password), each later line is one set of values")
        }
        let headerRow = rows.removeFirst()
        // A spreadsheet may start the file with a byte order mark.
        let header = headerRow.fields.enumerated().map { index, field in
            (index == 0 && field.hasPrefix("\u{FEFF}") ? String(field.dropFirst()) : field).trimmingCharacters(in: .whitespaces)
        }
        guard !rows.isEmpty else {
            throw node.error("the data file \(fileName) has a header row but no data rows")
        }
        for row in rows where row.fields.count != header.count {
            throw node.error(
                "the data file \(fileName), line \(row.line): \(row.fields.count) \(row.fields.count == 1 ? "field" : "fields") where the header "
                    + "names \(header.count) (a field that holds a comma must be in double quotes)")
        }

        let chosen: [(name: String, index: Int)]
        if let columns {
            chosen = try columns.map { column in
                let name = try column.string(expected: "a column name of the data file's header")
                let matches = header.indices.filter { header[$0] == name }
                guard let index = matches.first else {
                    var message = "column \(ValueFormatError.quoted(name)) is not in the header of \(fileName)"
                    if let suggestion = KeySuggestion.closest(to: name, among: header) { message += " (did you mean \"\(suggestion)\"?)" }
                    throw column.error(message + "; its columns: " + header.joined(separator: ", "))
                }
                guard matches.count == 1 else {
                    throw column.error("column \(ValueFormatError.quoted(name)) appears \(matches.count) times in the header of \(fileName)")
                }
                if let problem = FlowParser.variableNameProblem(name) { throw column.error(problem) }
                return (name, index)
            }
            var seen = Set<String>()
            for (offset, column) in chosen.enumerated() where !seen.insert(column.name).inserted {
                throw columns[offset].error("column \(ValueFormatError.quoted(column.name)) is listed twice")
            }
        } else {
            for (index, name) in header.enumerated() {
                if let problem = FlowParser.variableNameProblem(name) {
                    throw node.error("column \(index + 1) of the header of \(fileName): \(problem) (or list the columns to use under columns:)")
                }
                if header[..<index].contains(name) {
                    throw node.error("column \(ValueFormatError.quoted(name)) appears twice in the header of \(fileName)")
                }
            }
            chosen = header.enumerated().map { ($0.element, $0.offset) }
        }
        return FlowData(
            path: path, pick: pick, columns: chosen.map(\.name),
            rows: rows.map { row in chosen.map { row.fields[$0.index] } })
    }
}
