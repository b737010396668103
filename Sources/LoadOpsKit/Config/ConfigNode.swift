import Foundation
import Yams

/// A YAML node with the field path that leads to it and the file it is in, so that every
/// accessor can fail with a `ConfigError` pointing at the value's line and column.
///
/// A key whose value is empty (`load:` with nothing under it, `users: ~`) counts as not set.
struct ConfigNode {
    let node: Node
    /// `load.users`, `endpoints[2].method`.
    let path: String
    let file: String

    var location: SourceLocation {
        SourceLocation(file: file, line: node.mark?.line, column: node.mark?.column, field: path.isEmpty ? nil : path)
    }

    var isNull: Bool {
        // Only plain scalars resolve to null (`~`, `null`, nothing); a quoted "" stays a string.
        if case .scalar = node { return tagName == .null }
        return false
    }

    /// The resolved YAML type (`int`, `str`, `null`, ...).
    var tagName: Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    /// How the value looks in a message: `"-3"`, `a list`, `a mapping`; a URL's password and
    /// secret query values masked.
    var found: String {
        switch node {
        case .scalar(let scalar): return ValueFormatError.quoted(Redaction.redactURL(scalar.string))
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    func error(_ message: String, kind: ConfigError.Kind = .invalidValue) -> ConfigError {
        .invalid(location, message, kind: kind)
    }

    /// `expected <what>, got <found>`.
    func mismatch(_ expected: String) -> ConfigError {
        error("expected \(expected), got \(found)")
    }

    func child(_ node: Node, path: String) -> ConfigNode {
        ConfigNode(node: node, path: path, file: file)
    }

    // MARK: Scalars

    /// The text of a scalar, whatever YAML type it resolved to.
    func scalarText(expected: String) throws -> String {
        guard case .scalar(let scalar) = node else { throw mismatch(expected) }
        return scalar.string
    }

    /// A non-empty string.
    func string(expected: String = "a string") throws -> String {
        let text = try scalarText(expected: expected)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw mismatch(expected) }
        return text
    }

    /// Reads the scalar with `rule` and re-throws its complaint at this node's position.
    func parse<T>(_ rule: ValueRule<T>) throws -> T {
        let text = try scalarText(expected: rule.expected)
        do {
            return try rule(text)
        } catch {
            throw self.error(error.description)
        }
    }

    func bool() throws -> Bool {
        try parse(.bool)
    }

    // MARK: Collections

    /// The entries of a mapping, refusing keys not in `allowedKeys` (with a suggestion when one is close).
    func mapping(allowedKeys: [String], expected: String = "a mapping") throws -> ConfigMapping {
        guard case .mapping(let mapping) = node else { throw mismatch(expected) }
        var entries: [ConfigMapping.Entry] = []
        for (keyNode, valueNode) in mapping {
            let key = try keyText(keyNode)
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            guard allowedKeys.contains(key) else {
                throw ConfigNode(node: keyNode, path: keyPath, file: file)
                    .error(KeySuggestion.unknownKeyMessage(key, known: allowedKeys), kind: .unknownKey)
            }
            entries.append(.init(key: key, keyNode: child(keyNode, path: keyPath), value: child(valueNode, path: keyPath)))
        }
        return ConfigMapping(node: self, entries: entries)
    }

    /// The entries of a mapping whose keys are free-form (headers, thresholds, shorthand endpoints).
    func openMapping(expected: String = "a mapping") throws -> [ConfigMapping.Entry] {
        guard case .mapping(let mapping) = node else { throw mismatch(expected) }
        return try mapping.map { keyNode, valueNode in
            let key = try keyText(keyNode)
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            return .init(key: key, keyNode: child(keyNode, path: keyPath), value: child(valueNode, path: keyPath))
        }
    }

    /// The items of a sequence, each with its index in the path.
    func sequence(expected: String = "a list") throws -> [ConfigNode] {
        guard case .sequence(let sequence) = node else { throw mismatch(expected) }
        return sequence.enumerated().map { index, item in child(item, path: "\(path)[\(index)]") }
    }

    /// A list, or a single scalar standing for a list of one (`expect: 200`, `allow_hosts: example.com`).
    func listOrSingle(expected: String) throws -> [ConfigNode] {
        switch node {
        case .sequence: return try sequence(expected: expected)
        case .scalar: return [self]
        default: throw mismatch(expected)
        }
    }

    private func keyText(_ keyNode: Node) throws -> String {
        guard case .scalar(let scalar) = keyNode else {
            throw ConfigNode(node: keyNode, path: path, file: file).mismatch("a plain key")
        }
        return scalar.string
    }
}

/// A mapping's entries in file order. Empty values are treated as absent.
struct ConfigMapping {
    struct Entry {
        let key: String
        let keyNode: ConfigNode
        let value: ConfigNode
    }

    let node: ConfigNode
    let entries: [Entry]

    subscript(key: String) -> ConfigNode? {
        guard let entry = entries.first(where: { $0.key == key }), !entry.value.isNull else { return nil }
        return entry.value
    }
}

/// "Did you mean" for misspelt keys: compares lower-cased, with `_` and `-` ignored, so `spawnRate` finds `spawn_rate`.
enum KeySuggestion {
    static func unknownKeyMessage(_ key: String, known: [String]) -> String {
        var message = "unknown key"
        if let suggestion = closest(to: key, among: known) {
            message += " (did you mean \"\(suggestion)\"?)"
        }
        return message + "; known keys here: " + known.joined(separator: ", ")
    }

    static func closest(to key: String, among candidates: [String]) -> String? {
        let target = normalised(key)
        let scored = candidates.map { ($0, editDistance(target, normalised($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        let tolerance = max(1, min(3, target.count / 3))
        return best.1 <= tolerance ? best.0 : nil
    }

    private static func normalised(_ text: String) -> [Character] {
        Array(text.lowercased().filter { $0 != "_" && $0 != "-" })
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
