import Foundation

/// `checklists/cleanup.yml` (the operations guide's "Resource Cleanup", before a run) or
/// `checklists/post-test.yml` (its "Data Cleanup", after one): steps run in order.
public struct CleanupChecklist: Sendable, Equatable {
    public var steps: [CleanupStep]

    public static let defaultPath = "checklists/cleanup.yml"
    public static let postTestPath = "checklists/post-test.yml"
    /// Seconds a `command` step may run when it does not say.
    public static let defaultCommandTimeout: Double = 60

    public init(steps: [CleanupStep]) {
        self.steps = steps
    }
}

/// What a `remove` step does when the output folder holds results that are not archived yet:
/// results count as archived when an archive in the step's archive root holds exactly these files
/// (same names, sizes and SHA-256, the check `loadops archive` itself makes before writing), so an
/// archive made by cron, by hand or by an earlier cleanup counts, whatever the history says.
public enum UnarchivedResults: String, Sendable, Equatable, CaseIterable {
    /// Archive them first, as `loadops archive` would, then remove (the default).
    case archive
    /// Fail the step and remove nothing, saying which results are not archived.
    case refuse

    /// Where archives go when a step does not say: `loadops archive`'s own default.
    public static let defaultArchiveRoot = "archive"
}

public struct CleanupStep: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Statements run in order; neighbours that may share a transaction do.
        case sql(ServiceEndpoint, statements: [String])
        /// FLUSHDB on the endpoint's database.
        case redisFlush(ServiceEndpoint)
        /// Glob patterns relative to the configuration's output folder; results no archive in
        /// `archiveRoot` holds yet are archived first or kept, as `unarchived` says.
        case remove([String], unarchived: UnarchivedResults, archiveRoot: String)
        case command(String, timeout: Double)

        public var name: String {
            switch self {
            case .sql: return "sql"
            case .redisFlush: return "redis-flush"
            case .remove: return "remove"
            case .command: return "command"
            }
        }
    }

    public var name: String
    public var kind: Kind
    /// Destructive steps are confirmed on a terminal, and need `--yes` off one.
    public var destructive: Bool

    public init(name: String, kind: Kind, destructive: Bool? = nil) {
        self.name = name
        self.kind = kind
        if let destructive {
            self.destructive = destructive
        } else if case .command = kind {
            self.destructive = false
        } else {
            self.destructive = true
        }
    }

    /// One line for the plan and the confirmation: what will be done, and where (passwords masked).
    public var plan: String {
        switch kind {
        case .sql(let endpoint, let statements):
            return "run \(statements.count == 1 ? "" : "\(statements.count) statements: ")"
                + statements.map { SQLStatements.oneLine($0) }.joined(separator: "; ") + " on \(endpoint.redactedURL)"
        case .redisFlush(let endpoint):
            return "FLUSHDB on \(endpoint.redactedURL) (database \(endpoint.database ?? "0"))"
        case .remove(let patterns, let unarchived, let archiveRoot):
            let guarding = unarchived == .archive
                ? "archiving results not archived yet into \(archiveRoot)/ first"
                : "refusing if results are not archived yet in \(archiveRoot)/"
            return "remove " + patterns.joined(separator: " ") + " inside the output folder (\(guarding))"
        case .command(let command, _):
            return "run `\(command)`"
        }
    }
}

enum CleanupChecklistParser {
    static let kinds = ["sql", "redis-flush", "remove", "command"]
    static let commonKeys = ["name", "kind", "destructive"]
    static let keysByKind: [String: [String]] = [
        "sql": ["url", "password_env", "statements"],
        "redis-flush": ["url", "password_env", "db"],
        "remove": ["paths", "unarchived", "archive_dest"],
        "command": ["command", "timeout"],
    ]

    static func parse(path: String, workingDirectory: String, environment: [String: String]) throws -> CleanupChecklist {
        try parse(root: try ChecklistFile.load(path: path, workingDirectory: workingDirectory), environment: environment)
    }

    static func parse(text: String, displayPath: String, environment: [String: String]) throws -> CleanupChecklist {
        try parse(root: try YAMLFile.compose(text, displayPath: displayPath), environment: environment)
    }

    private static func parse(root: ConfigNode?, environment: [String: String]) throws -> CleanupChecklist {
        let (items, defaultTimeout) = try ChecklistFile.items(root, listKey: "steps", what: "cleanup steps")
        return CleanupChecklist(steps: try items.map { try parseStep($0, defaultTimeout: defaultTimeout, environment: environment) })
    }

    private static func parseStep(_ node: ConfigNode, defaultTimeout: Double?, environment: [String: String]) throws -> CleanupStep {
        let (kind, entry) = try ChecklistFile.kindedItem(
            node, what: "step", kinds: kinds, commonKeys: commonKeys, keysByKind: keysByKind)
        let name = try entry["name"]?.string(expected: "a name for the step")
        let destructive = try entry["destructive"]?.bool()

        func required(_ key: String, _ example: String) throws -> ConfigNode {
            guard let value = entry[key] else { throw node.error("a \(kind) step needs `\(key):` (such as \(example))") }
            return value
        }

        let parsed: CleanupStep.Kind
        switch kind {
        case "sql":
            let (endpoint, _) = try ServiceEndpointReader.read(entry, scheme: .postgres, environment: environment)
            let listNode = try required("statements", "[\"TRUNCATE TABLE generation_tasks CASCADE\"]")
            let statements = try listNode.strings(expected: "SQL statements").flatMap(SQLStatements.split)
            guard !statements.isEmpty else { throw listNode.mismatch("at least one SQL statement") }
            parsed = .sql(endpoint, statements: statements)
        case "redis-flush":
            var (endpoint, _) = try ServiceEndpointReader.read(entry, scheme: .redis, environment: environment)
            if let db = entry["db"] { endpoint.database = String(try db.wholeNumber(atLeast: 0)) }
            parsed = .redisFlush(endpoint)
        case "remove":
            let pathsNode = try required("paths", "[\"*\"]")
            let patterns = try pathsNode.listOrSingle(expected: "glob patterns").map { item -> String in
                let pattern = try item.string(expected: "a glob pattern inside the output folder, such as *.csv")
                if let problem = OutputFolderGuard.patternProblem(pattern) { throw item.error(problem) }
                return pattern
            }
            var unarchived = UnarchivedResults.archive
            if let node = entry["unarchived"] {
                let text = try node.string(expected: "archive or refuse")
                guard let value = UnarchivedResults(rawValue: text) else {
                    throw node.error("unarchived: expected archive (archive the results first) or refuse (fail the step), "
                                     + "got \(ValueFormatError.quoted(text))")
                }
                unarchived = value
            }
            var archiveRoot = UnarchivedResults.defaultArchiveRoot
            if let node = entry["archive_dest"] {
                archiveRoot = try node.string(expected: "the archive folder, such as archive")
                guard !archiveRoot.isEmpty else { throw node.mismatch("the archive folder, such as archive") }
            }
            parsed = .remove(patterns, unarchived: unarchived, archiveRoot: archiveRoot)
        default:  // command
            let command = try required("command", "./scripts/reset-fixtures.sh").string(expected: "a shell command")
            let timeout = try entry["timeout"]?.parse(.positiveDuration) ?? defaultTimeout ?? CleanupChecklist.defaultCommandTimeout
            parsed = .command(command, timeout: timeout)
        }
        return CleanupStep(name: name ?? defaultName(parsed), kind: parsed, destructive: destructive)
    }

    private static func defaultName(_ kind: CleanupStep.Kind) -> String {
        switch kind {
        case .sql: return "Clear test data"
        case .redisFlush: return "Clear Redis"
        case .remove: return "Clear old reports"
        case .command(let command, _): return command
        }
    }
}

/// Splitting and classifying the statements of a `sql` step.
enum SQLStatements {
    /// Splits on `;` outside quotes and comments, so a step may hold the operations guide's heredoc as one string.
    static func split(_ text: String) -> [String] {
        var statements: [String] = []
        var current = ""
        var quote: Character?
        var inLineComment = false
        var previous: Character?
        for character in text {
            if inLineComment {
                if character == "\n" { inLineComment = false }
                current.append(character)
            } else if let open = quote {
                current.append(character)
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
                current.append(character)
            } else if character == "-" && previous == "-" {
                inLineComment = true
                current.append(character)
            } else if character == ";" {
                statements.append(current)
                current = ""
            } else {
                current.append(character)
            }
            previous = character
        }
        statements.append(current)
        return statements.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !isBlank($0) }
    }

    /// True for what PostgreSQL refuses inside a transaction block.
    static func needsOwnTransaction(_ statement: String) -> Bool {
        let words = statement.uppercased().split(whereSeparator: { $0.isWhitespace }).map(String.init)
        guard let first = words.first else { return false }
        if first == "VACUUM" || words.contains("CONCURRENTLY") { return true }
        if words.count >= 2 {
            let pair = first + " " + words[1]
            if ["ALTER SYSTEM", "CREATE DATABASE", "DROP DATABASE", "CREATE TABLESPACE", "DROP TABLESPACE"].contains(pair) { return true }
        }
        return false
    }

    /// A statement on one line, for plans and reports.
    static func oneLine(_ statement: String) -> String {
        statement.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    private static func isBlank(_ statement: String) -> Bool {
        statement.split(separator: "\n").allSatisfy { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.isEmpty || trimmed.hasPrefix("--")
        }
    }
}
