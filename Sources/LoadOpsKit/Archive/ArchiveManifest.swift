import Foundation

/// The `MANIFEST` of an archive: every archived file with its SHA-256 and size.
///
///     # loadops archive manifest 2
///     # run-started-at: 2023-11-14T22:13:20.250Z
///     # source: load_test_reports
///     # Check the files with `sha256sum -c MANIFEST` in this folder; `loadops archive verify` also checks the sizes.
///     # size: 1234  load_test_stats.csv
///     9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  load_test_stats.csv
///
/// The lines not starting with `#` are exactly what `sha256sum` writes (`HASH  NAME`, and
/// `\HASH  NAME` with `\\` for a backslash in the name), so `sha256sum -c` checks an archive
/// without loadops; it skips the `#` lines, which carry the sizes and where the files came from.
/// Archives written before version 2 list `HASH  SIZE  NAME` and are still read.
public struct ArchiveManifest: Sendable, Equatable {
    public static let fileName = "MANIFEST"
    static let header = "# loadops archive manifest 2"
    /// The first line of manifests written before version 2 (`HASH  SIZE  NAME` lines).
    static let headerVersion1 = "# loadops archive manifest 1"

    public struct Entry: Sendable, Equatable {
        public var name: String
        public var size: Int64
        /// Lowercase hex.
        public var sha256: String

        public init(name: String, size: Int64, sha256: String) {
            self.name = name
            self.size = size
            self.sha256 = sha256
        }
    }

    public var runStartedAt: Date?
    public var source: String?
    /// Sorted by name.
    public var entries: [Entry]

    public init(runStartedAt: Date?, source: String?, entries: [Entry]) {
        self.runStartedAt = runStartedAt
        self.source = source
        self.entries = entries.sorted { $0.name < $1.name }
    }

    public var totalBytes: Int64 { entries.reduce(0) { $0 + $1.size } }

    /// Same names, sizes and hashes: the archive holds exactly these files.
    public func hasSameFiles(as other: ArchiveManifest) -> Bool {
        entries == other.entries
    }

    public func rendered() -> String {
        var lines = [Self.header]
        if let runStartedAt {
            lines.append("# run-started-at: \(ResultsDocument.iso8601(fractional: true).string(from: runStartedAt))")
        }
        if let source { lines.append("# source: \(source)") }
        lines.append("# Check the files with `sha256sum -c MANIFEST` in this folder; `loadops archive verify` also checks the sizes.")
        for entry in entries {
            lines.append("# size: \(entry.size)  \(entry.name)")
        }
        for entry in entries {
            // sha256sum's own escaping: a name holding a backslash is written with `\\`, and the line starts with `\`.
            if entry.name.contains("\\") {
                lines.append("\\\(entry.sha256)  \(entry.name.replacingOccurrences(of: "\\", with: "\\\\"))")
            } else {
                lines.append("\(entry.sha256)  \(entry.name)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a manifest of either version; `path` is only used in error messages.
    public static func parse(_ text: String, path: String) throws(ArchiveError) -> ArchiveManifest {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let first = lines.first.map(String.init)
        guard first == header || first == headerVersion1 else {
            throw .manifestUnreadable(path: path, line: 1, reason: "expected the first line to be \"\(header)\"; this is not a loadops manifest")
        }
        let isVersion1 = first == headerVersion1
        var runStartedAt: Date?
        var source: String?
        var entries: [Entry] = []
        /// Version 2: hash lines and size comments, matched up by name at the end.
        var hashes: [(name: String, sha256: String, line: Int)] = []
        var sizes: [String: Int64] = [:]
        var seen = Set<String>()
        for (index, rawLine) in lines.enumerated().dropFirst() {
            let line = String(rawLine)
            let lineNumber = index + 1
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if let value = value(of: "run-started-at", in: line) {
                    runStartedAt = ISO8601Timestamp.parse(value)  // with or without milliseconds
                } else if let value = value(of: "source", in: line) {
                    source = value
                } else if !isVersion1, let value = value(of: "size", in: line) {
                    let (size, name) = try parseSize(value, path: path, lineNumber: lineNumber)
                    guard sizes.updateValue(size, forKey: name) == nil else {
                        throw .manifestUnreadable(path: path, line: lineNumber, reason: "the size of \(name) is given twice")
                    }
                }
                continue
            }
            if isVersion1 {
                let entry = try parseVersion1Entry(line, path: path, lineNumber: lineNumber)
                guard seen.insert(entry.name).inserted else {
                    throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(entry.name) is listed twice")
                }
                entries.append(entry)
            } else {
                let hashed = try parseHashLine(line, path: path, lineNumber: lineNumber)
                guard seen.insert(hashed.name).inserted else {
                    throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(hashed.name) is listed twice")
                }
                hashes.append((hashed.name, hashed.sha256, lineNumber))
            }
        }
        for hashed in hashes {
            guard let size = sizes.removeValue(forKey: hashed.name) else {
                throw .manifestUnreadable(path: path, line: hashed.line, reason: "there is no \"# size: BYTES  \(hashed.name)\" line for \(hashed.name)")
            }
            entries.append(Entry(name: hashed.name, size: size, sha256: hashed.sha256))
        }
        if let orphan = sizes.keys.sorted().first {
            throw .manifestUnreadable(path: path, line: nil, reason: "\(orphan) has a size line but no SHA-256 line")
        }
        return ArchiveManifest(runStartedAt: runStartedAt, source: source, entries: entries)
    }

    private static func value(of key: String, in comment: String) -> String? {
        let prefix = "# \(key): "
        guard comment.hasPrefix(prefix) else { return nil }
        return String(comment.dropFirst(prefix.count))
    }

    private static func isHash(_ text: some StringProtocol) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func checkedName(_ name: String, path: String, lineNumber: Int) throws(ArchiveError) -> String {
        guard ResultsSelection.isPlainFileName(name) else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\"\(name)\" is not a plain file name (no folders, no leading dot)")
        }
        return name
    }

    /// `# size: BYTES  NAME` (the value after `# size: `).
    private static func parseSize(_ value: String, path: String, lineNumber: Int) throws(ArchiveError) -> (Int64, String) {
        let parts = value.split(separator: "  ", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let size = Int64(parts[0]), size >= 0 else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "expected \"# size: BYTES  NAME\" (a byte count, two spaces, a file name), got \"# size: \(value)\"")
        }
        return (size, try checkedName(parts[1], path: path, lineNumber: lineNumber))
    }

    /// sha256sum's `HASH  NAME` (or `HASH *NAME`); a leading `\` means the name is escaped.
    private static func parseHashLine(_ line: String, path: String, lineNumber: Int) throws(ArchiveError) -> (name: String, sha256: String) {
        let expected = "expected \"SHA256  NAME\" (64 hex digits, two spaces, a file name, as sha256sum writes it)"
        let escaped = line.hasPrefix("\\")
        let body = escaped ? line.dropFirst() : Substring(line)
        let hash = body.prefix(64)
        let rest = body.dropFirst(64)
        guard isHash(hash) else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(expected); \"\(hash)\" is not 64 lowercase hex digits")
        }
        guard rest.hasPrefix("  ") || rest.hasPrefix(" *") else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(expected), got \"\(line)\"")
        }
        var name = String(rest.dropFirst(2))
        if escaped {
            guard let unescaped = unescape(name) else {
                throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(expected); \"\(name)\" has a backslash that escapes nothing")
            }
            name = unescaped
        }
        return (try checkedName(name, path: path, lineNumber: lineNumber), String(hash))
    }

    /// sha256sum's escapes: `\\` is a backslash, `\n` a newline (which no results file name holds).
    private static func unescape(_ name: String) -> String? {
        var result = ""
        var escaping = false
        for character in name {
            if escaping {
                switch character {
                case "\\": result.append("\\")
                case "n": result.append("\n")
                default: return nil
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return escaping ? nil : result
    }

    /// Version 1: `HASH  SIZE  NAME`; the name is the rest of the line, so it may hold spaces.
    private static func parseVersion1Entry(_ line: String, path: String, lineNumber: Int) throws(ArchiveError) -> Entry {
        let expected = "expected \"SHA256  SIZE  NAME\" (64 hex digits, two spaces, a byte count, two spaces, a file name)"
        let parts = line.split(separator: "  ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(expected), got \"\(line)\"")
        }
        guard isHash(parts[0]) else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(expected); \"\(parts[0])\" is not 64 lowercase hex digits")
        }
        guard let size = Int64(parts[1]), size >= 0 else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(expected); \"\(parts[1])\" is not a byte count")
        }
        return Entry(name: try checkedName(parts[2], path: path, lineNumber: lineNumber), size: size, sha256: parts[0])
    }
}
