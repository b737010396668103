import Foundation

/// A checklist file (`checklists/*.yml`), read by `YAMLFile` as `loadops.yml` is, so its errors are
/// worded the same way (`file:line:column: field: what was expected`).
enum ChecklistFile {
    /// The root node, or nil for an empty file.
    static func load(path: String, workingDirectory: String) throws -> ConfigNode? {
        let fullPath = UserPath.resolve(path, relativeTo: workingDirectory)
        guard FileManager.default.fileExists(atPath: fullPath) else {
            throw ConfigError(
                kind: .missingFile, file: path,
                message: "checklist not found (run `loadops init` to write the default checklists, or pass --checklist FILE)")
        }
        return try YAMLFile.load(fullPath: fullPath, displayPath: path)
    }

    /// The items of a checklist: either the root list itself, or the list under `listKey`
    /// in a root mapping that may also set a default `timeout`.
    static func items(_ root: ConfigNode?, listKey: String, what: String) throws -> (items: [ConfigNode], defaultTimeout: Double?) {
        guard let root else { return ([], nil) }
        if case .sequence = root.node {
            return (try root.sequence(expected: "a list of \(what)"), nil)
        }
        let top = try root.mapping(allowedKeys: [listKey, "timeout"], expected: "a list of \(what), or a mapping with `\(listKey):`")
        let timeout = try top["timeout"]?.parse(.positiveDuration)
        let items = try top[listKey]?.sequence(expected: "a list of \(what)") ?? []
        return (items, timeout)
    }

    /// An item's kind and its entries. `kind:` is read first, so the other keys are judged against
    /// that kind's own (`commonKeys` plus `keysByKind[kind]`); `what` is `check` or `step`.
    static func kindedItem(
        _ node: ConfigNode, what: String, kinds: [String], commonKeys: [String], keysByKind: [String: [String]]
    ) throws -> (kind: String, entry: ConfigMapping) {
        guard case .mapping(let raw) = node.node else { throw node.mismatch("a \(what): a mapping with `kind:` and `name:`") }
        let kindValue = raw.first(where: { $0.key.string == "kind" }).map { node.child($0.value, path: "\(node.path).kind") }
        guard let kindValue, !kindValue.isNull else {
            throw node.error("missing `kind:` (one of \(kinds.joined(separator: ", ")))")
        }
        let kind = try kindValue.string(expected: "a \(what) kind")
        guard let extraKeys = keysByKind[kind] else {
            var message = "unknown \(what) kind \(ValueFormatError.quoted(kind)); expected one of \(kinds.joined(separator: ", "))"
            if let suggestion = KeySuggestion.closest(to: kind, among: kinds) { message += " (did you mean \"\(suggestion)\"?)" }
            throw kindValue.error(message)
        }
        return (kind, try node.mapping(allowedKeys: commonKeys + extraKeys))
    }
}

extension ConfigNode {
    /// A variable name whose value is a password (`password_env: DEVSTACK_DB_PASSWORD`).
    func variableName() throws -> String {
        try parse(.variableName)
    }

    /// A list of strings, or one string standing for a list of one.
    func strings(expected: String) throws -> [String] {
        try listOrSingle(expected: expected).map { try $0.string(expected: expected) }
    }

    /// A percentage between 0 and 100 (`80`, `80%`).
    func percent() throws -> Double {
        try parse(ValueRule(expected: "a percentage between 0 and 100, such as 80 or 80%") { text in
            var trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasSuffix("%") { trimmed.removeLast() }
            guard let number = Double(trimmed), (0...100).contains(number) else { return nil }
            return number
        })
    }

    func wholeNumber(atLeast minimum: Int) throws -> Int {
        try parse(.wholeNumber(atLeast: minimum))
    }
}

/// Reads `url:` and `password_env:` of a postgres or redis entry into an endpoint.
enum ServiceEndpointReader {
    static func read(
        _ entry: ConfigMapping, scheme: ServiceEndpoint.Scheme, environment: [String: String]
    ) throws -> (endpoint: ServiceEndpoint, passwordVariable: String?) {
        guard let urlNode = entry["url"] else {
            let example = scheme == .postgres ? "postgres://devstack@127.0.0.1:5432/devstack" : "redis://127.0.0.1:6379/0"
            throw entry.node.error("missing `url:` (such as \(example))")
        }
        let url = try urlNode.string(expected: "a \(scheme.rawValue):// URL")
        let variable = try entry["password_env"]?.variableName()
        let password = variable.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        var endpoint: ServiceEndpoint
        do {
            endpoint = try ServiceEndpoint(url: url, passwordFromEnvironment: password)
        } catch {
            // Never echo the URL as written: it may hold a password.
            throw urlNode.error(error.description)
        }
        if let variable, password == nil, endpoint.password == nil { endpoint.unsetPasswordVariable = variable }
        guard endpoint.scheme == scheme else {
            throw urlNode.error("expected a \(scheme.rawValue):// URL, got \(ValueFormatError.quoted(endpoint.redactedURL))")
        }
        return (endpoint, variable)
    }
}
