import Foundation
import Yams

/// Reads the `endpoints:` section. Three spellings are accepted:
///
/// ```yaml
/// endpoints:
///   - get /health                        # "METHOD PATH"
///   - "get /sessions/{uuid}": 3005/min   # "METHOD PATH": rate (or a mapping of the full form's other keys)
///   - { method: POST, path: /sessions, body: { id: "{uuid}" }, weight: 3, expect: [200, 201] }
/// ```
enum EndpointParser {
    static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    static let keys = ["name", "method", "path", "headers", "body", "weight", "rate", "expect"]

    struct Parsed {
        var endpoint: EndpointConfig
        var location: SourceLocation
    }

    static func parse(_ node: ConfigNode) throws -> [Parsed] {
        // A mapping of "METHOD PATH": rate is accepted as well as a list.
        if case .mapping = node.node {
            return try node.openMapping().map { entry in
                try shorthand(entry.key, keyNode: entry.keyNode, value: entry.value, location: entry.keyNode.location)
            }
        }
        return try node.sequence(expected: "a list of endpoints such as - get /health").map(parseItem)
    }

    private static func parseItem(_ item: ConfigNode) throws -> Parsed {
        switch item.node {
        case .scalar:
            return try shorthand(try item.string(), keyNode: item, value: nil, location: item.location)
        case .mapping(let mapping):
            if mapping.count == 1, let key = mapping.first?.key.string, !keys.contains(key) {
                let entry = try item.openMapping()[0]
                return try shorthand(key, keyNode: entry.keyNode, value: entry.value, location: item.location)
            }
            let fields = try item.mapping(allowedKeys: keys, expected: "an endpoint")
            guard let pathNode = fields["path"] else {
                throw item.error("an endpoint needs a path, e.g. { method: GET, path: /health }")
            }
            let method = try fields["method"]?.parse(.method) ?? "GET"
            let path = try parsePath(pathNode)
            var endpoint = EndpointConfig(method: method, path: path)
            try applyDetails(fields, to: &endpoint)
            return Parsed(endpoint: endpoint, location: item.location)
        default:
            throw item.mismatch("an endpoint: \"METHOD PATH\", \"METHOD PATH\": rate, or a mapping with method and path")
        }
    }

    /// `get /health`, optionally with a rate or the full form's other keys as the value.
    private static func shorthand(_ text: String, keyNode: ConfigNode, value: ConfigNode?, location: SourceLocation) throws -> Parsed {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let method: String
        let pathText: String
        switch words.count {
        case 1 where words[0].hasPrefix("/"):
            method = "GET"
            pathText = String(words[0])
        case 2:
            guard let known = ValueRule.method.read(String(words[0])) else {
                throw keyNode.mismatch("\"METHOD PATH\" with METHOD one of \(methods.joined(separator: " "))")
            }
            method = known
            pathText = String(words[1])
        default:
            throw keyNode.mismatch("\"METHOD PATH\" such as \"get /health\"")
        }
        // Where the path starts in the key's text, for the column of a bad placeholder.
        let pathOffset = text.unicodeScalars.distance(from: text.startIndex, to: words[words.count - 1].startIndex)
        try checkPath(pathText, at: keyNode, offset: pathOffset)
        var endpoint = EndpointConfig(method: method, path: pathText)
        if let value, !value.isNull {
            switch value.node {
            case .mapping:
                let fields = try value.mapping(
                    allowedKeys: keys.filter { $0 != "method" && $0 != "path" }, expected: "a rate or a mapping")
                try applyDetails(fields, to: &endpoint)
            default:
                endpoint.rate = try value.parse(.positiveRate)
            }
        }
        return Parsed(endpoint: endpoint, location: location)
    }

    private static func applyDetails(_ fields: ConfigMapping, to endpoint: inout EndpointConfig) throws {
        if let name = fields["name"] { endpoint.name = try name.string() }
        if let headers = fields["headers"] { endpoint.headers = try parseHeaders(headers) }
        if let body = fields["body"] {
            let text = try bodyText(body)
            try checkBodyPlaceholders(body, text: text)
            endpoint.body = text
        }
        if let weight = fields["weight"] { endpoint.weight = try weight.parse(.positiveNumber(atMost: LoadLimits.maximumWeight)) }
        if let rate = fields["rate"] { endpoint.rate = try rate.parse(.positiveRate) }
        if let expect = fields["expect"] {
            endpoint.expectedStatus = try expect.listOrSingle(expected: "a status code or a list such as [200, 201]")
                .map { try $0.parse(.statusCode) }
        }
    }

    // MARK: path and placeholders

    private static func parsePath(_ node: ConfigNode) throws -> String {
        let path = try node.string(expected: "a path starting with /")
        try checkPath(path, at: node, offset: 0)
        return path
    }

    /// `offset`: where the path starts in the node's text (after `get ` in the shorthand).
    private static func checkPath(_ path: String, at node: ConfigNode, offset: Int) throws {
        // The query may hold a key: messages show it masked.
        let shown = ValueFormatError.quoted(Redaction.maskQuery(path))
        guard path.hasPrefix("/") else {
            throw node.error("expected a path starting with /, got \(shown)")
        }
        guard !path.contains(where: { $0 == " " || $0 == "\t" }) else {
            throw node.error("a path cannot contain spaces, got \(shown)")
        }
        try checkPlaceholders(in: path, at: node, offset: offset, everyBraceIsPlaceholder: true)
    }

    /// Reads `text` the way the generator will (`PlaceholderSyntax`) and reports a bad placeholder
    /// at its own line and column.
    static func checkPlaceholders(in text: String, at node: ConfigNode, offset: Int = 0, everyBraceIsPlaceholder: Bool = false) throws {
        do {
            _ = try PlaceholderSyntax.parts(text, everyBraceIsPlaceholder: everyBraceIsPlaceholder)
        } catch {
            var location = node.location
            if let column = column(of: offset + error.offset, in: node) { location.column = column }
            throw ConfigError.invalid(
                location, "\(error.message) in \(ValueFormatError.quoted(Redaction.maskQuery(text))); \(PlaceholderSyntax.help)")
        }
    }

    /// The column of the `offset`-th unicode scalar of a one-line scalar's text; nil when the text as
    /// written differs from the text read (escapes, doubled quotes, folded lines), so only the value's own start is known.
    private static func column(of offset: Int, in node: ConfigNode) -> Int? {
        guard case .scalar(let scalar) = node.node, let start = node.node.mark?.column else { return nil }
        let before = scalar.string.unicodeScalars.prefix(offset)
        func holds(_ characters: String) -> Bool { before.contains(where: characters.unicodeScalars.contains) }
        switch scalar.style {
        case .plain, .any: return holds("\n\r") ? nil : start + offset
        case .singleQuoted: return holds("\n\r'") ? nil : start + 1 + offset
        case .doubleQuoted: return holds("\n\r\\\"") ? nil : start + 1 + offset
        default: return nil
        }
    }

    // MARK: headers and body

    private static func parseHeaders(_ node: ConfigNode) throws -> [(String, String)] {
        try node.openMapping(expected: "a mapping of header names to values").map { entry in
            let value = try entry.value.scalarText(expected: "a header value (text)")
            // Header values are templates too: the generator fills their placeholders per request.
            try checkPlaceholders(in: value, at: entry.value)
            return (entry.key, value)
        }
    }

    /// A body's placeholders, checked in each scalar of a YAML body (so the message points at the
    /// value) and then in the text sent, which is what the generator reads.
    private static func checkBodyPlaceholders(_ node: ConfigNode, text: String) throws {
        func visit(_ node: ConfigNode) throws {
            switch node.node {
            case .scalar(let scalar): try checkPlaceholders(in: scalar.string, at: node)
            case .mapping(let mapping):
                for (key, value) in mapping {
                    try visit(node.child(key, path: node.path))
                    try visit(node.child(value, path: "\(node.path).\(key.string ?? "")"))
                }
            case .sequence(let sequence):
                for (index, item) in sequence.enumerated() { try visit(node.child(item, path: "\(node.path)[\(index)]")) }
            case .alias: break
            }
        }
        try visit(node)
        try checkPlaceholders(in: text, at: node)
    }

    /// A mapping or list becomes compact JSON in file order. A scalar is sent as written, so
    /// `body: '{"a": 1}'` is not wrapped in quotes a second time.
    static func bodyText(_ node: ConfigNode) throws -> String {
        if case .scalar(let scalar) = node.node { return scalar.string }
        return try JSONText.compact(node)
    }
}

/// YAML to compact JSON, keeping the file's key order (JSONSerialization would not).
enum JSONText {
    static func compact(_ node: ConfigNode) throws -> String {
        switch node.node {
        case .mapping(let mapping):
            let members = try mapping.map { key, value -> String in
                guard case .scalar(let keyScalar) = key else {
                    throw node.child(key, path: node.path).mismatch("a plain key")
                }
                let valueText = try compact(node.child(value, path: "\(node.path).\(keyScalar.string)"))
                return quoted(keyScalar.string) + ":" + valueText
            }
            return "{" + members.joined(separator: ",") + "}"
        case .sequence(let sequence):
            let items = try sequence.enumerated().map { index, item in
                try compact(node.child(item, path: "\(node.path)[\(index)]"))
            }
            return "[" + items.joined(separator: ",") + "]"
        case .scalar(let scalar):
            switch node.tagName {
            case .null: return "null"
            case .bool: return node.node.bool.map { $0 ? "true" : "false" } ?? quoted(scalar.string)
            case .int: return node.node.int.map(String.init) ?? quoted(scalar.string)
            case .float:
                guard let number = node.node.float, number.isFinite else { return quoted(scalar.string) }
                return "\(number)"
            default: return quoted(scalar.string)
            }
        case .alias:
            throw node.mismatch("a value")
        }
    }

    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let c where c.value < 0x20: result += String(format: "\\u%04x", c.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
