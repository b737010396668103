import Foundation
import Yams

/// The one reader of YAML files, for `loadops.yml` and the checklists alike: the text (UTF-8),
/// composed into positioned nodes, every problem a `ConfigError` at `file:line:column` saying
/// what was expected. Each caller says itself what a missing file means (its hints differ).
enum YAMLFile {
    /// The document in the file at `fullPath`, named `displayPath` in messages; nil when it is empty.
    static func load(fullPath: String, displayPath: String) throws(ConfigError) -> ConfigNode? {
        try compose(try readText(fullPath, displayPath: displayPath), displayPath: displayPath)
    }

    /// The document in `text`; nil when it is empty (or only `~`).
    static func compose(_ text: String, displayPath: String) throws(ConfigError) -> ConfigNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, displayPath: displayPath)
        } catch {
            throw ConfigError(kind: .syntax, file: displayPath, message: "invalid YAML: \(error)")
        }
        guard let root else { return nil }
        let node = ConfigNode(node: root, path: "", file: displayPath)
        return node.isNull ? nil : node
    }

    /// A file's text: a folder, an unreadable file or one that is not UTF-8 is refused with the reason.
    static func readText(_ fullPath: String, displayPath: String) throws(ConfigError) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: fullPath, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigError.unreadableFile(displayPath, reason: "it is a folder, not a file")
        }
        guard let data = FileManager.default.contents(atPath: fullPath) else {
            throw ConfigError.unreadableFile(displayPath, reason: "permission denied or I/O error")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError.unreadableFile(displayPath, reason: "it is not UTF-8 text")
        }
        return text
    }

    /// Yams reports syntax errors with a position; keep it and drop the rest of its text (a snippet of the file).
    private static func syntaxError(_ error: YamlError, displayPath: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            return ConfigError(kind: .syntax, file: displayPath, line: mark.line, column: mark.column, message: message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return ConfigError(
                kind: .syntax, file: displayPath, line: context.mark.line, column: context.mark.column,
                message: "duplicate key \(keys) in the same mapping")
        case .reader(let problem, _, _, _):
            return ConfigError(kind: .syntax, file: displayPath, message: "not valid UTF-8 text: \(problem)")
        default:
            return ConfigError(kind: .syntax, file: displayPath, message: "invalid YAML: \(error)")
        }
    }
}
