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
        let fullPath = UserPath.resolve(output, relativeTo: workingDirectory)
        guard let resolved = Self.realPath(fullPath) else { return nil }
        let home = Self.realPath(NSHomeDirectory()) ?? NSHomeDirectory()
        let cwd = Self.realPath(workingDirectory) ?? workingDirectory
        // Emptying one of these would take the project (or more) with it.
        if resolved == "/" || resolved == home || resolved == cwd || cwd.hasPrefix(resolved + "/") {
            throw CleanupError.unsafeOutputFolder(output, resolved: resolved)
        }
        if let system = Self.systemFolder(containing: resolved) {
            throw CleanupError.systemOutputFolder(output, resolved: resolved, systemFolder: system)
        }
        folder = resolved
        displayFolder = output
    }

    /// Folders the system owns with everything in them: no output folder lies inside one.
    static let systemTrees = [
        "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin", "/sys", "/usr",
        "/run", "/snap", "/System", "/Library", "/private/etc", "/cores",
    ]
    /// Folders whose every child belongs to someone (a user's home, a service's data): neither they
    /// nor their direct children (`/home/alice`, `/var/lib/postgresql`) are an output folder.
    static let parentsOfOthers = ["/home", "/Users", "/var", "/var/lib", "/var/log", "/var/cache", "/private/var"]
    /// Shared folders that may hold an output folder but never be one: `/tmp/reports` is fine, `/tmp` is not.
    static let sharedFolders = [
        "/tmp", "/var/tmp", "/root", "/opt", "/srv", "/mnt", "/media", "/Volumes", "/Applications", "/private",
        "/private/tmp", "/lost+found",
    ]

    /// The system folder that `path` (links resolved) is, or lies inside of, when it may not be
    /// emptied; nil for an ordinary folder. The listed folders are compared with their own links
    /// resolved too (`/lib` is `/usr/lib` on merged-/usr systems, `/tmp` is `/private/tmp` on macOS).
    static func systemFolder(containing path: String) -> String? {
        func forms(_ folder: String) -> [String] {
            guard let resolved = realPath(folder), resolved != folder else { return [folder] }
            return [folder, resolved]
        }
        for tree in systemTrees {
            for form in forms(tree) where path == form || path.hasPrefix(form + "/") { return tree }
        }
        for parent in parentsOfOthers {
            for form in forms(parent) {
                if path == form { return parent }
                if path.hasPrefix(form + "/"), !path.dropFirst(form.count + 1).contains("/") { return parent }
            }
        }
        for shared in sharedFolders where forms(shared).contains(path) { return shared }
        return nil
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
