import Foundation

/// The `MANIFEST` of an archive: every archived file with its size and SHA-256.
///
///     # loadops archive manifest 1
///     # run-started-at: 2023-11-14T22:13:20.250Z
///     # source: load_test_reports
///     # SHA-256, size in bytes, file name
///     9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08  1234  load_test_stats.csv
///
/// Plain text, so `cat` and `diff` are enough to read one; lines starting with `#` are comments.
public struct ArchiveManifest: Sendable, Equatable {
    public static let fileName = "MANIFEST"
    static let header = "# loadops archive manifest 1"

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
        lines.append("# SHA-256, size in bytes, file name")
        for entry in entries {
            lines.append("\(entry.sha256)  \(entry.size)  \(entry.name)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Reads a manifest; `path` is only used in error messages.
    public static func parse(_ text: String, path: String) throws(ArchiveError) -> ArchiveManifest {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.first.map(String.init) == header else {
            throw .manifestUnreadable(path: path, line: 1, reason: "expected the first line to be \"\(header)\"; this is not a loadops manifest")
        }
        var runStartedAt: Date?
        var source: String?
        var entries: [Entry] = []
        var seen = Set<String>()
        for (index, rawLine) in lines.enumerated().dropFirst() {
            let line = String(rawLine)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if let value = value(of: "run-started-at", in: line) {
                    runStartedAt = ResultsDocument.iso8601(fractional: true).date(from: value)
                        ?? ResultsDocument.iso8601(fractional: false).date(from: value)
                } else if let value = value(of: "source", in: line) {
                    source = value
                }
                continue
            }
            let entry = try parseEntry(line, path: path, lineNumber: index + 1)
            guard seen.insert(entry.name).inserted else {
                throw .manifestUnreadable(path: path, line: index + 1, reason: "\(entry.name) is listed twice")
            }
            entries.append(entry)
        }
        return ArchiveManifest(runStartedAt: runStartedAt, source: source, entries: entries)
    }

    private static func value(of key: String, in comment: String) -> String? {
        let prefix = "# \(key): "
        guard comment.hasPrefix(prefix) else { return nil }
        return String(comment.dropFirst(prefix.count))
    }

    /// `HASH  SIZE  NAME`; the name is the rest of the line, so it may hold spaces.
    private static func parseEntry(_ line: String, path: String, lineNumber: Int) throws(ArchiveError) -> Entry {
        let expected = "expected \"SHA256  SIZE  NAME\" (64 hex digits, two spaces, a byte count, two spaces, a file name)"
        let parts = line.split(separator: "  ", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(expected), got \"\(line)\"")
        }
        let hash = parts[0]
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(expected); \"\(hash)\" is not 64 lowercase hex digits")
        }
        guard let size = Int64(parts[1]), size >= 0 else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\(expected); \"\(parts[1])\" is not a byte count")
        }
        let name = parts[2]
        guard ResultsSelection.isPlainFileName(name) else {
            throw .manifestUnreadable(path: path, line: lineNumber, reason: "\"\(name)\" is not a plain file name (no folders, no leading dot)")
        }
        return Entry(name: name, size: size, sha256: hash)
    }
}
