import Foundation

/// One piece of a request template: text sent as written, or a placeholder filled per request.
enum TemplatePart: Equatable, Sendable {
    case literal(String)
    /// `{uuid}`: a random version-4 UUID.
    case uuid
    /// `{seq}`: 1, 2, 3, ... across the run.
    case sequence
    /// `{int:A-B}`: a random whole number from A to B.
    case integer(ClosedRange<Int>)
    /// `{name}` in a flow: the iteration's value of that variable.
    case variable(String)
}

/// Reads the placeholders of paths, bodies and header values. The configuration check and the
/// generator both read templates here, so whatever the configuration accepts the generator can fill,
/// and a bad placeholder is reported when the file is read, with its line and column.
///
/// A `{` followed by letters, digits, `:`, `-` or `_` and then `}` is a placeholder and must be one
/// of `{uuid}`, `{seq}` and `{int:A-B}`; any other `{` is text (the braces of a JSON body). In a path
/// every `{` must open a placeholder.
enum PlaceholderSyntax {
    static let help = "placeholders are {uuid}, {seq} and {int:A-B} with whole numbers 0 <= A <= B"

    struct Problem: Error, Equatable {
        /// Unicode scalars from the start of the text to the `{` concerned (YAML columns count the same way).
        var offset: Int
        var message: String
    }

    /// `variables`: the names a flow's iteration holds (`{name}` is then a variable); empty outside flows.
    static func parts(_ text: String, everyBraceIsPlaceholder: Bool = false,
                      variables: Set<String> = []) throws(Problem) -> [TemplatePart] {
        var parts: [TemplatePart] = []
        let bytes = text.utf8
        var literalStart = bytes.startIndex
        var index = bytes.startIndex
        func offset(_ position: String.Index) -> Int {
            text.unicodeScalars.distance(from: text.startIndex, to: position)
        }
        while index < bytes.endIndex {
            guard bytes[index] == UInt8(ascii: "{") else {
                index = bytes.index(after: index)
                continue
            }
            let nameStart = bytes.index(after: index)
            var nameEnd = nameStart
            while nameEnd < bytes.endIndex, isNameByte(bytes[nameEnd]) { nameEnd = bytes.index(after: nameEnd) }
            guard nameEnd > nameStart, nameEnd < bytes.endIndex, bytes[nameEnd] == UInt8(ascii: "}") else {
                if everyBraceIsPlaceholder {
                    throw Problem(offset: offset(index), message: "\"{\" does not open a placeholder")
                }
                index = nameStart
                continue
            }
            let name = String(text[nameStart..<nameEnd])
            let placeholder = variables.contains(name)
                ? TemplatePart.variable(name) : try Self.placeholder(named: name, offset: offset(index))
            if literalStart < index { parts.append(.literal(String(text[literalStart..<index]))) }
            parts.append(placeholder)
            index = bytes.index(after: nameEnd)
            literalStart = index
        }
        if literalStart < bytes.endIndex { parts.append(.literal(String(text[literalStart...]))) }
        return parts
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    private static func placeholder(named name: String, offset: Int) throws(Problem) -> TemplatePart {
        if name == "uuid" { return .uuid }
        if name == "seq" { return .sequence }
        if name.hasPrefix("int:") {
            let bounds = name.dropFirst(4).split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2, bounds.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
                throw Problem(offset: offset, message: "bad placeholder \"{\(name)}\": expected {int:A-B} with whole numbers A and B")
            }
            guard let low = Int(bounds[0]), let high = Int(bounds[1]) else {
                throw Problem(offset: offset, message: "bad placeholder \"{\(name)}\": the bounds must be at most \(Int.max)")
            }
            guard low <= high else {
                throw Problem(offset: offset, message: "bad placeholder \"{\(name)}\": the lower bound \(low) is above \(high)")
            }
            // The generator draws `low + random % (high - low + 1)`; the span must fit.
            guard high - low < Int.max else {
                throw Problem(offset: offset, message: "bad placeholder \"{\(name)}\": the range is too wide")
            }
            return .integer(low...high)
        }
        var message = "unknown placeholder \"{\(name)}\""
        if let suggestion = KeySuggestion.closest(to: name, among: ["uuid", "seq", "int:1-100"]) {
            message += " (did you mean \"{\(suggestion)}\"?)"
        }
        throw Problem(offset: offset, message: message)
    }
}
