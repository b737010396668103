import Foundation

/// Turns a path as a person wrote it (in loadops.yml, a checklist, a variable or a flag) into the
/// path the program opens. Every command reads user paths through here, so `output: ~/reports`
/// means the same folder to `run`, `cleanup`, `archive` and `summary`.
///
/// - `~` and `~/…` are the home folder (`HOME`, else the account's home folder);
///   `~name/…` is that user's home folder.
/// - An absolute path is kept as it is.
/// - Anything else is relative to `base` (the working folder, or the folder of the file that names it).
public enum UserPath {
    public static func resolve(
        _ path: String, relativeTo base: String, home: String = homeDirectory()
    ) -> String {
        let expanded = expandingHome(path, home: home)
        if expanded.hasPrefix("/") { return expanded }
        return (base as NSString).appendingPathComponent(expanded)
    }

    /// Only the `~` part: `~`, `~/…` and `~name/…`; other paths come back unchanged.
    public static func expandingHome(_ path: String, home: String = homeDirectory()) -> String {
        guard path.hasPrefix("~") else { return path }
        if path == "~" { return home }
        if path.hasPrefix("~/") { return (home as NSString).appendingPathComponent(String(path.dropFirst(2))) }
        // `~name/…`: Foundation looks the account up; an unknown name stays as written.
        return (path as NSString).expandingTildeInPath
    }

    /// `HOME` from `environment` when it is set and not empty, else the account's home folder.
    public static func homeDirectory(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let home = environment["HOME"], !home.isEmpty { return home }
        return NSHomeDirectory()
    }
}
