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
///
/// A flow's steps are requests written the same way (`FlowParser` calls `request` and `applyDetails`).
enum EndpointParser {
    static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    static let keys = ["name", "method", "path", "headers", "body", "weight", "rate", "expect"]

    struct Parsed {
        var endpoint: EndpointConfig
        var location: SourceLocation
    }

    /// How an endpoint is spelt; a flow's step is read by the same functions with a form of its own.
    static let form = RequestForm(
        keys: keys, what: "an endpoint", pathExample: "{ method: GET, path: /health }",
        spellings: "\"METHOD PATH\", \"METHOD PATH\": rate, or a mapping with method and path",
        shorthandValue: "a rate or a mapping")

    static func parse(_ node: ConfigNode) throws -> [Parsed] {
        // A mapping of "METHOD PATH": rate is accepted as well as a list.
        if case .mapping = node.node {
            return try node.openMapping().map { entry in
                let written = try shorthand(entry.key, keyNode: entry.keyNode, value: entry.value, location: entry.keyNode.location, form: form)
                return try endpoint(from: written)
            }
        }
        return try node.sequence(expected: "a list of endpoints such as - get /health").map { item in
            try endpoint(from: try request(item, form: form))
        }
    }

    /// An endpoint's own keys on top of its request: a shorthand's scalar value is its rate.
    private static func endpoint(from written: WrittenRequest) throws -> Parsed {
        var endpoint = written.endpoint
        if let details = written.details { try applyDetails(details, to: &endpoint, scope: nil) }
        if let rate = written.scalarValue { endpoint.rate = try rate.parse(.positiveRate) }
        return Parsed(endpoint: endpoint, location: written.location)
    }

    // MARK: the request part, shared with flow steps

    /// The differences between an endpoint and a flow step when their requests are read.
    struct RequestForm {
        /// Keys of the full mapping form.
        var keys: [String]
        /// `an endpoint`, `a step`.
        var what: String
        var pathExample: String
        /// The accepted spellings, for the message when the item is none of them.
        var spellings: String
        /// What a shorthand's value may be.
        var shorthandValue: String
        /// Keys refused with a message of their own (a step's weight), rather than as unknown.
        var refusedKeys: [String: String] = [:]
        /// Flow variables a template may use; nil outside flows.
        var scope: FlowVariableScope?
        /// How a shorthand's fields are named in messages: endpoints as they always have been (the
        /// item for its path, `endpoints[0].get /a.body` for its details); steps as the full form's
        /// (`steps[0].path`, `steps[0].body`).
        var fullFormPaths = false
    }

    /// A request as written in one of the three spellings: its method and path read and checked,
    /// the other keys still to read.
    struct WrittenRequest {
        var endpoint: EndpointConfig
        /// The mapping form's other keys, or a shorthand's value when it is a mapping.
        var details: ConfigMapping?
        /// A shorthand's value when it is a scalar (an endpoint's rate).
        var scalarValue: ConfigNode?
        var location: SourceLocation
    }

    static func request(_ item: ConfigNode, form: RequestForm) throws -> WrittenRequest {
        switch item.node {
        case .scalar:
            return try shorthand(try item.string(), keyNode: item, value: nil, location: item.location, form: form)
        case .mapping(let mapping):
            try refuseKeys(of: item, form: form)
            if mapping.count == 1, let key = mapping.first?.key.string, !form.keys.contains(key) {
                let entry = try item.openMapping()[0]
                return try shorthand(key, keyNode: entry.keyNode, value: entry.value, location: item.location, form: form)
            }
            let fields = try item.mapping(allowedKeys: form.keys, expected: form.what)
            guard let pathNode = fields["path"] else {
                throw item.error("\(form.what) needs a path, e.g. \(form.pathExample)")
            }
            let method = try fields["method"]?.parse(.method) ?? "GET"
            let path = try parsePath(pathNode, scope: form.scope)
            return WrittenRequest(
                endpoint: EndpointConfig(method: method, path: path), details: fields, scalarValue: nil, location: item.location)
        default:
            throw item.mismatch("\(form.what): \(form.spellings)")
        }
    }

    /// A key the form refuses with its own message (a step's `weight`), wherever it is.
    private static func refuseKeys(of node: ConfigNode, form: RequestForm) throws {
        guard !form.refusedKeys.isEmpty else { return }
        for entry in try node.openMapping() {
            if let message = form.refusedKeys[entry.key] { throw entry.keyNode.error(message, kind: .unknownKey) }
        }
    }

    /// `get /health`, optionally with a rate or the full form's other keys as the value.
    private static func shorthand(
        _ text: String, keyNode: ConfigNode, value: ConfigNode?, location: SourceLocation, form: RequestForm
    ) throws -> WrittenRequest {
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
        var pathNode = keyNode
        var value = value
        if form.fullFormPaths {
            let itemPath = location.field ?? ""
            pathNode = ConfigNode(node: keyNode.node, path: itemPath.isEmpty ? "path" : "\(itemPath).path", file: keyNode.file)
            value = value.map { ConfigNode(node: $0.node, path: itemPath, file: $0.file) }
        }
        try checkPath(pathText, at: pathNode, offset: pathOffset, scope: form.scope)
        var written = WrittenRequest(
            endpoint: EndpointConfig(method: method, path: pathText), details: nil, scalarValue: nil, location: location)
        if let value, !value.isNull {
            switch value.node {
            case .mapping:
                try refuseKeys(of: value, form: form)
                written.details = try value.mapping(
                    allowedKeys: form.keys.filter { $0 != "method" && $0 != "path" }, expected: form.shorthandValue)
            default:
                written.scalarValue = value
            }
        }
        return written
    }

    /// The request keys besides method and path (name, headers, body, expect) and an endpoint's
    /// weight and rate; a step's form has no weight or rate, so they are never there.
    static func applyDetails(_ fields: ConfigMapping, to endpoint: inout EndpointConfig, scope: FlowVariableScope?) throws {
        if let name = fields["name"] { endpoint.name = try name.string() }
        if let headers = fields["headers"] { endpoint.headers = try parseHeaders(headers, scope: scope) }
        if let body = fields["body"] {
            let text = try bodyText(body)
            try checkBodyPlaceholders(body, text: text, scope: scope)
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

    private static func parsePath(_ node: ConfigNode, scope: FlowVariableScope?) throws -> String {
        let path = try node.string(expected: "a path starting with /")
        try checkPath(path, at: node, offset: 0, scope: scope)
        return path
    }

    /// `offset`: where the path starts in the node's text (after `get ` in the shorthand).
    private static func checkPath(_ path: String, at node: ConfigNode, offset: Int, scope: FlowVariableScope?) throws {
        // The query may hold a key: messages show it masked.
        let shown = ValueFormatError.quoted(Redaction.maskQuery(path))
        guard path.hasPrefix("/") else {
            throw node.error("expected a path starting with /, got \(shown)")
        }
        guard !path.contains(where: { $0 == " " || $0 == "\t" }) else {
            throw node.error("a path cannot contain spaces, got \(shown)")
        }
        try checkPlaceholders(in: path, at: node, offset: offset, everyBraceIsPlaceholder: true, scope: scope)
    }

    /// Reads `text` the way the generator will (`PlaceholderSyntax`) and reports a bad placeholder
    /// at its own line and column. In a flow, `scope` says which `{name}` are variables set by then,
    /// and explains a name that is not (never set, or set only later).
    static func checkPlaceholders(
        in text: String, at node: ConfigNode, offset: Int = 0, everyBraceIsPlaceholder: Bool = false, scope: FlowVariableScope? = nil
    ) throws {
        do {
            _ = try PlaceholderSyntax.parts(text, everyBraceIsPlaceholder: everyBraceIsPlaceholder, variables: scope?.known ?? [])
        } catch {
            var location = node.location
            if let column = column(of: offset + error.offset, in: node) { location.column = column }
            if let scope, let explained = scope.unsetVariableMessage(placeholderAt: error.offset, in: text) {
                throw ConfigError.invalid(location, explained)
            }
            throw ConfigError.invalid(
                location, "\(error.message) in \(ValueFormatError.quoted(Redaction.maskQuery(text))); \(PlaceholderSyntax.help)")
        }
    }

    /// The column of the `offset`-th unicode scalar of a one-line scalar's text; nil when the text as
    /// written differs from the text read (escapes, doubled quotes, folded lines), so only the value's own start is known.
    static func column(of offset: Int, in node: ConfigNode) -> Int? {
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

    private static func parseHeaders(_ node: ConfigNode, scope: FlowVariableScope?) throws -> [(String, String)] {
        try node.openMapping(expected: "a mapping of header names to values").map { entry in
            let value = try entry.value.scalarText(expected: "a header value (text)")
            // Header values are templates too: the generator fills their placeholders per request.
            try checkPlaceholders(in: value, at: entry.value, scope: scope)
            return (entry.key, value)
        }
    }

    /// A body's placeholders, checked in each scalar of a YAML body (so the message points at the
    /// value) and then in the text sent, which is what the generator reads.
    private static func checkBodyPlaceholders(_ node: ConfigNode, text: String, scope: FlowVariableScope?) throws {
        func visit(_ node: ConfigNode) throws {
            switch node.node {
            case .scalar(let scalar): try checkPlaceholders(in: scalar.string, at: node, scope: scope)
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
        try checkPlaceholders(in: text, at: node, scope: scope)
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
