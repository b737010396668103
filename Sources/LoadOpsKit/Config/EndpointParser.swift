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
    static let placeholderHelp = "placeholders are {uuid}, {seq} and {int:A-B} with A <= B"

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
        try checkPath(pathText, at: keyNode)
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
            try checkPlaceholders(in: text, at: body, requireAll: false)
            endpoint.body = text
        }
        if let weight = fields["weight"] { endpoint.weight = try weight.parse(.positiveNumber) }
        if let rate = fields["rate"] { endpoint.rate = try rate.parse(.positiveRate) }
        if let expect = fields["expect"] {
            endpoint.expectedStatus = try expect.listOrSingle(expected: "a status code or a list such as [200, 201]")
                .map { try $0.parse(.statusCode) }
        }
    }

    // MARK: path and placeholders

    private static func parsePath(_ node: ConfigNode) throws -> String {
        let path = try node.string(expected: "a path starting with /")
        try checkPath(path, at: node)
        return path
    }

    private static func checkPath(_ path: String, at node: ConfigNode) throws {
        guard path.hasPrefix("/") else {
            throw node.error("expected a path starting with /, got \(ValueFormatError.quoted(path))")
        }
        guard !path.contains(where: { $0 == " " || $0 == "\t" }) else {
            throw node.error("a path cannot contain spaces, got \(ValueFormatError.quoted(path))")
        }
        try checkPlaceholders(in: path, at: node, requireAll: true)
    }

    /// In a path every `{...}` must be a placeholder. In a body or header, JSON braces are
    /// everywhere, so only `{word}` and `{word:...}` are taken to be meant as placeholders.
    static func checkPlaceholders(in text: String, at node: ConfigNode, requireAll: Bool) throws {
        var searchStart = text.startIndex
        while let open = text[searchStart...].firstIndex(of: "{") {
            searchStart = text.index(after: open)
            let afterOpen = text[searchStart...]
            guard let close = afterOpen.firstIndex(of: "}") else {
                if requireAll { throw node.error("unclosed \"{\" in \(ValueFormatError.quoted(text)); \(placeholderHelp)") }
                return
            }
            let inside = String(afterOpen[..<close])
            if requireAll {
                searchStart = text.index(after: close)
            } else {
                // `{"id":"{uuid}"}`: the outer brace is JSON; the inner one is looked at on the next turn.
                let looksLikePlaceholder = (inside.first.map { $0.isASCII && $0.isLetter } ?? false)
                    && !inside.contains(where: { "{\"' ".contains($0) })
                guard looksLikePlaceholder else { continue }
            }
            if let problem = placeholderProblem(inside) {
                throw node.error("\(problem) in \(ValueFormatError.quoted(text)); \(placeholderHelp)")
            }
        }
    }

    /// Nil when `{inside}` is a placeholder the generator fills.
    static func placeholderProblem(_ inside: String) -> String? {
        if inside == "uuid" || inside == "seq" { return nil }
        if inside.hasPrefix("int:") {
            let bounds = inside.dropFirst(4).split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2, let low = Int(bounds[0]), let high = Int(bounds[1]) else {
                return "bad placeholder \"{\(inside)}\": expected {int:A-B} with whole numbers A and B"
            }
            return low <= high ? nil : "bad placeholder \"{\(inside)}\": the lower bound \(low) is above \(high)"
        }
        var message = "unknown placeholder \"{\(inside)}\""
        if let suggestion = KeySuggestion.closest(to: inside, among: ["uuid", "seq", "int:1-100"]) {
            message += " (did you mean \"{\(suggestion)}\"?)"
        }
        return message
    }

    // MARK: headers and body

    private static func parseHeaders(_ node: ConfigNode) throws -> [(String, String)] {
        try node.openMapping(expected: "a mapping of header names to values").map { entry in
            let value = try entry.value.scalarText(expected: "a header value (text)")
            try checkPlaceholders(in: value, at: entry.value, requireAll: false)
            return (entry.key, value)
        }
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
