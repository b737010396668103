import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Expands a `remove` step's globs inside the output folder and nowhere else: no absolute
/// patterns, no `..`, never the folder itself, and no way out through a symbolic link.
struct OutputFolderGuard {
    /// The output folder with symbolic links resolved.
    let folder: String
    /// As the configuration names it, for messages.
    let displayFolder: String

    /// What is wrong with a pattern on its face, or nil.
    static func patternProblem(_ pattern: String) -> String? {
        if pattern.hasPrefix("/") || pattern.hasPrefix("~") {
            return "remove paths are relative to the output folder; \(ValueFormatError.quoted(pattern)) points outside it"
        }
        let components = pattern.split(separator: "/", omittingEmptySubsequences: true)
        if components.contains("..") {
            return "remove paths may not contain `..`: \(ValueFormatError.quoted(pattern)) would leave the output folder"
        }
        if components.allSatisfy({ $0 == "." }) {
            return "\(ValueFormatError.quoted(pattern)) is the output folder itself; use * to empty it"
        }
        return nil
    }

    /// nil when the output folder does not exist (nothing to remove).
    init?(output: String, workingDirectory: String) throws {
        let fullPath = output.hasPrefix("/") ? output : (workingDirectory as NSString).appendingPathComponent(output)
        guard let resolved = Self.realPath(fullPath) else { return nil }
        let home = Self.realPath(NSHomeDirectory()) ?? NSHomeDirectory()
        let cwd = Self.realPath(workingDirectory) ?? workingDirectory
        // Emptying one of these would take the project (or more) with it.
        if resolved == "/" || resolved == home || resolved == cwd || cwd.hasPrefix(resolved + "/") {
            throw CleanupError.unsafeOutputFolder(output, resolved: resolved)
        }
        folder = resolved
        displayFolder = output
    }

    /// Paths the patterns match, each checked to lie strictly inside the folder.
    func matches(_ patterns: [String]) throws -> [String] {
        var found: [String] = []
        for pattern in patterns {
            if let problem = Self.patternProblem(pattern) { throw CleanupError.outsideOutputFolder(problem) }
            // `.*` also matches `.` and `..`; like the shell's rm, never take those.
            for match in Self.expand(Self.escapedForGlob(folder) + "/" + pattern)
            where !found.contains(match) && ![".", ".."].contains((match as NSString).lastPathComponent) {
                try check(match, pattern: pattern)
                found.append(match)
            }
        }
        return found
    }

    /// The match's parent, with links resolved, must be the folder or below it; the match itself
    /// is removed without following it, so a link inside the folder loses only the link.
    private func check(_ path: String, pattern: String) throws {
        // Plain string operations: standardizingPath would resolve the link we must not follow.
        let parent = (path as NSString).deletingLastPathComponent
        let last = (path as NSString).lastPathComponent
        guard let realParent = Self.realPath(parent), last != "..", last != ".",
            realParent == folder || realParent.hasPrefix(folder + "/")
        else {
            throw CleanupError.outsideOutputFolder(
                "\(ValueFormatError.quoted(pattern)) matched \(path), which is not inside the output folder \(displayFolder)")
        }
        if realParent + "/" + last == folder {
            throw CleanupError.outsideOutputFolder("\(ValueFormatError.quoted(pattern)) matched the output folder itself")
        }
    }

    /// Shown relative to the output folder.
    func relative(_ path: String) -> String {
        path.hasPrefix(folder + "/") ? displayFolder + "/" + path.dropFirst(folder.count + 1) : path
    }

    /// The folder's own name taken literally, whatever `*`, `?` or `[` it holds.
    static func escapedForGlob(_ path: String) -> String {
        var escaped = ""
        for character in path {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func expand(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }
    }
}
