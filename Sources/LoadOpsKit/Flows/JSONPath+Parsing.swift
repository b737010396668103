/// Reads the JSON paths of loadops.yml: `$`, then any number of `.name`, `['name']` (or `["name"]`)
/// and `[index]` steps; a negative index counts from the end (`$.list[-1]`). Wildcards, filters,
/// slices, unions and `..` are refused with a message saying so: a path names one value.
public enum JSONPathParser {
    public static func parse(_ text: String) throws(JSONPathSyntaxError) -> JSONPath {
        var reader = Reader(scalars: Array(text.unicodeScalars))
        return JSONPath(components: try reader.components(), text: text)
    }

    private struct Reader {
        let scalars: [Unicode.Scalar]
        var position = 0

        var current: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

        func error(_ message: String, at offset: Int? = nil) -> JSONPathSyntaxError {
            JSONPathSyntaxError(offset: offset ?? position, message: message)
        }

        mutating func components() throws(JSONPathSyntaxError) -> [JSONPath.Component] {
            guard current == "$" else { throw error("a JSON path starts with \"$\" (as in $.data.token)") }
            position += 1
            var components: [JSONPath.Component] = []
            while let scalar = current {
                switch scalar {
                case ".": components.append(try dotted())
                case "[": components.append(try bracketed())
                default:
                    throw error("expected \".\" or \"[\" after \(Self.quoted(scalars[position - 1])), found \(Self.quoted(scalar))")
                }
            }
            return components
        }

        /// `.name`; `position` is at the dot.
        mutating func dotted() throws(JSONPathSyntaxError) -> JSONPath.Component {
            position += 1
            guard let first = current else { throw error("expected a name after \".\"") }
            if first == "." { throw error("\"..\" (any depth) is not supported: name each step of the path", at: position - 1) }
            if first == "*" { throw error("wildcards are not supported: a path names one value") }
            var name = String.UnicodeScalarView()
            while let scalar = current, scalar != ".", scalar != "[" {
                guard Self.isNameScalar(scalar) else {
                    if name.isEmpty { throw error("expected a name after \".\"") }
                    throw error("\(Self.quoted(scalar)) cannot be part of a name (write odd names as ['a name'])")
                }
                name.append(scalar)
                position += 1
            }
            guard !name.isEmpty else { throw error("expected a name after \".\"") }
            return .key(String(name))
        }

        /// `[index]` or `['name']`; `position` is at the bracket.
        mutating func bracketed() throws(JSONPathSyntaxError) -> JSONPath.Component {
            position += 1
            skipSpaces()
            guard let scalar = current else { throw error("expected an index or a quoted name after \"[\"") }
            let component: JSONPath.Component
            switch scalar {
            case "'", "\"": component = .key(try quotedName(quote: scalar))
            case "-", "0"..."9": component = .index(try index())
            case "*": throw error("wildcards are not supported: a path names one value")
            case "?": throw error("filters are not supported: a path names one value")
            case "]": throw error("expected an index or a quoted name between \"[\" and \"]\"")
            default: throw error("expected an index or a quoted name after \"[\" (write names as ['name'])")
            }
            skipSpaces()
            switch current {
            case "]":
                position += 1
                return component
            case ":": throw error("slices are not supported: a path names one value")
            case ",": throw error("unions are not supported: a path names one value")
            case nil: throw error("expected \"]\"")
            case let other?: throw error("expected \"]\", found \(Self.quoted(other))")
            }
        }

        /// `'name'`; `\'`, `\"` and `\\` stand for the character itself.
        mutating func quotedName(quote: Unicode.Scalar) throws(JSONPathSyntaxError) -> String {
            let opening = position
            position += 1
            var name = String.UnicodeScalarView()
            while let scalar = current {
                position += 1
                if scalar == quote { return String(name) }
                if scalar == "\\" {
                    guard let escaped = current, escaped == "'" || escaped == "\"" || escaped == "\\" else {
                        throw error("in a quoted name, \"\\\" may only come before ', \" or \\", at: position - 1)
                    }
                    name.append(escaped)
                    position += 1
                } else {
                    name.append(scalar)
                }
            }
            throw error("the quoted name opened at column \(opening + 1) is not closed (expected \(quote == "'" ? "'" : "\""))")
        }

        /// `[0]`, `[-1]`.
        mutating func index() throws(JSONPathSyntaxError) -> Int {
            let start = position
            let negative = current == "-"
            if negative { position += 1 }
            var magnitude = 0
            var digits = 0
            while let scalar = current, let digit = Self.digit(scalar) {
                // 18 digits cannot overflow an Int.
                guard digits < 18 else { throw error("the index is too large", at: start) }
                magnitude = magnitude * 10 + digit
                digits += 1
                position += 1
            }
            guard digits > 0 else { throw error("expected digits after \"-\"") }
            return negative ? -magnitude : magnitude
        }

        mutating func skipSpaces() {
            while current == " " { position += 1 }
        }

        static func digit(_ scalar: Unicode.Scalar) -> Int? {
            scalar.value >= 48 && scalar.value <= 57 ? Int(scalar.value) - 48 : nil
        }

        /// What a name after a dot may hold: anything but the path's own punctuation, spaces and control characters.
        static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case "[", "]", "'", "\"", "*", "(", ")", "?", ",", "@": return false
            default: return !scalar.properties.isWhitespace && scalar.value >= 0x20 && scalar.value != 0x7F
            }
        }

        static func quoted(_ scalar: Unicode.Scalar) -> String {
            switch scalar {
            case " ": return "a space"
            case "\t": return "a tab"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F: return "a control character"
            default: return "\"\(scalar)\""
            }
        }
    }
}

/// A JSON path that cannot be read: `message` says what is wrong, `offset` where (in unicode
/// scalars from the start of the path, 0-based), so the configuration reader can point at it.
public struct JSONPathSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Unicode scalars of the path before the problem.
    public var offset: Int
    /// What is wrong, without the position.
    public var message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    /// 1-based column of the problem within the path's text.
    public var column: Int { offset + 1 }

    /// `expected a name after "." at column 8`.
    public var description: String { "\(message) at column \(column)" }
}

extension JSONPath {
    /// Parses a path as written in loadops.yml (`$.items[0].id`).
    public init(parsing text: String) throws(JSONPathSyntaxError) {
        self = try JSONPathParser.parse(text)
    }
}
