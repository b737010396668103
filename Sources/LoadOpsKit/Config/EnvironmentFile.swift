import Foundation

/// The operations guide's `.env.load-testing`: `KEY=VALUE` lines, `#` comments, optional `export ` and quotes.
enum EnvironmentFile {
    static let fileName = ".env.load-testing"

    struct Entry: Equatable {
        var value: String
        /// 1-based.
        var line: Int
    }

    /// Every assignment in the file; a later line wins over an earlier one, as in a shell.
    /// Errors never quote the line: it may hold a secret.
    static func parse(_ text: String, displayPath: String = fileName) throws -> [String: Entry] {
        var entries: [String: Entry] = [:]
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = index + 1
            func failure(_ message: String) -> ConfigError {
                ConfigError(kind: .syntax, file: displayPath, line: lineNumber, message: message)
            }
            var line = Substring(rawLine.trimmingCharacters(in: .whitespaces))
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop(while: { $0 == " " }) }
            guard let equals = line.firstIndex(of: "=") else {
                throw failure("expected KEY=VALUE, found a line with no '='")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            guard (try? ValueRule.variableName(key)) != nil else {
                throw failure("expected KEY=VALUE with KEY a variable name (letters, digits, _)")
            }
            let value = try unquote(line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)) {
                failure("\(key): \($0)")
            }
            entries[key] = Entry(value: value, line: lineNumber)
        }
        return entries
    }

    /// `"a b"`, `'a b'`, or a bare word with an optional trailing ` # comment`.
    private static func unquote(_ text: String, failure: (String) -> ConfigError) throws -> String {
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            if let comment = text.range(of: " #") ?? text.range(of: "\t#") {
                return text[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            return text
        }
        var value = ""
        var escaped = false
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let character = text[index]
            if escaped {
                value.append(character == "n" ? "\n" : character)
                escaped = false
            } else if character == "\\" && quote == "\"" {
                escaped = true
            } else if character == quote {
                let after = text[text.index(after: index)...].trimmingCharacters(in: .whitespaces)
                guard after.isEmpty || after.hasPrefix("#") else {
                    throw failure("unexpected text after the closing quote")
                }
                return value
            } else {
                value.append(character)
            }
            index = text.index(after: index)
        }
        throw failure("missing closing \(quote)")
    }
}
