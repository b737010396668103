import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Starts a child process the way loadops stops them later: in a process group of its own (so a
/// timeout or Ctrl-C reaches its children too, by the group's id), with default signal handling and
/// nothing blocked (the run command ignores SIGINT and SIGTERM while it traps them; a child must not
/// inherit that or it could not be stopped politely), standard input from /dev/null.
enum ProcessSpawn {
    /// Where standard output and error go.
    enum Output {
        /// loadops's own.
        case inherited
        /// A file, emptied first.
        case replacing(String)
        /// A file, appended to.
        case appending(String)
    }

    /// `arguments[0]` is a path, or with `searchingPath` a name looked up in PATH. Returns the child's
    /// PID, or the `errno` of the failure.
    static func spawn(_ arguments: [String], searchingPath: Bool, output: Output,
                      environment: [String: String] = ProcessInfo.processInfo.environment) -> Result<pid_t, SpawnFailure> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .inherited:
            break
        case .replacing(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .appending(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = searchingPath
            ? posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
            : posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        return result == 0 ? .success(pid) : .failure(SpawnFailure(code: result))
    }

    struct SpawnFailure: Error {
        var code: Int32
        var reason: String { String(cString: strerror(code)) }
    }
}
