import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL and a real redis-server from Debian's packages (the Makefile installs them),
/// each in a temporary folder on a free loopback port, stopped by PID. Shared by the preflight
/// and cleanup suites.
enum ServiceTestSupport {
    /// Runs a command to completion and fails the test when it exits non-zero.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) async throws -> String {
        let result = try await ChildProcess.run(executable, arguments, timeout: timeout)
        guard result.status == 0 else {
            throw TestFailure("\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)\(result.stdout)")
        }
        return result.stdout
    }

    /// Waits until `condition` holds, polling; fails after `timeout` seconds.
    static func waitUntil(_ what: String, timeout: Double = 30, _ condition: () async -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("\(what) did not happen within \(Int(timeout)) s")
    }

    static func isRoot() -> Bool { getuid() == 0 }

    /// Waits until `pid` has exited (gone, or a zombie waiting to be reaped), reading
    /// /proc/PID/stat; SIGKILLs it by PID after `timeout` seconds. Foundation's `Process` does
    /// not always notice a server's exit, so its `isRunning` is not used for this.
    static func waitForExit(pid: Int32, timeout: Double) async {
        let deadline = Date().addingTimeInterval(timeout)
        while hasNotExited(pid) {
            if Date() >= deadline {
                kill(pid, SIGKILL)
                try? await Task.sleep(for: .milliseconds(200))
                return
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    private static func hasNotExited(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }
}

/// `initdb` into a temporary folder and `postgres -h 127.0.0.1 -p PORT`, with a `devstack` login
/// (password `devstack-secret`) owning a `devstack` database. As root, the server runs as the
/// `postgres` system user (PostgreSQL refuses root), with its folder owned by that user.
final class PostgresTestServer: @unchecked Sendable {
    static let user = "devstack"
    static let password = "devstack-secret"
    static let database = "devstack"

    let port: Int
    let directory: String
    private let binaries: String
    private var child: ChildProcess?

    var dataDirectory: String { directory + "/data" }
    /// With the password in the URL.
    var url: String { "postgres://\(Self.user):\(Self.password)@127.0.0.1:\(port)/\(Self.database)" }
    /// Without it: the tests give it through `password_env`.
    var urlWithoutPassword: String { "postgres://\(Self.user)@127.0.0.1:\(port)/\(Self.database)" }

    static var binaryFolder: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
            .map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") }
    }

    /// Starts a fresh server and creates the `devstack` login and database.
    static func start(maxConnections: Int = 20) async throws -> PostgresTestServer {
        guard let binaries = binaryFolder else {
            throw TestFailure("PostgreSQL is not installed: no /usr/lib/postgresql/*/bin/initdb (make deps installs it)")
        }
        let server = PostgresTestServer(binaries: binaries, directory: try TestSupport.temporaryDirectory("loadops-pg"))
        do {
            try await server.initialize()
            try await server.launch(maxConnections: maxConnections)
            try await server.psql("CREATE ROLE \(user) LOGIN PASSWORD '\(password)'", database: "postgres")
            try await server.psql("CREATE DATABASE \(database) OWNER \(user)", database: "postgres")
        } catch {
            // A half-started server must not outlive the test.
            await server.destroy()
            throw error
        }
        return server
    }

    private init(binaries: String, directory: String) {
        self.binaries = binaries
        self.directory = directory
        self.port = TestSupport.freePort()
    }

    /// `runuser -u postgres -- COMMAND` as root, COMMAND otherwise.
    private func asServerUser(_ executable: String, _ arguments: [String]) -> (String, [String]) {
        ServiceTestSupport.isRoot() ? ("/sbin/runuser", ["-u", "postgres", "--", executable] + arguments) : (executable, arguments)
    }

    private func initialize() async throws {
        if ServiceTestSupport.isRoot() {
            // The server user must own its folder, and reach it through /tmp.
            try await ServiceTestSupport.run("/bin/chown", ["postgres:postgres", directory])
        }
        let (executable, arguments) = asServerUser(
            binaries + "/initdb",
            ["-D", dataDirectory, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8"])
        try await ServiceTestSupport.run(executable, arguments, timeout: 120)
    }

    func launch(maxConnections: Int = 20) async throws {
        let (executable, arguments) = asServerUser(
            binaries + "/postgres",
            [
                "-D", dataDirectory, "-p", String(port), "-h", "127.0.0.1", "-k", directory,
                "-c", "fsync=off", "-c", "max_connections=\(maxConnections)", "-c", "shared_buffers=16MB",
            ])
        let child = ChildProcess(executable, arguments)
        try child.start()
        self.child = child
        try await ServiceTestSupport.waitUntil("PostgreSQL accepting connections on 127.0.0.1:\(port)") {
            let result = try? await ChildProcess.run(
                binaries + "/pg_isready", ["-h", "127.0.0.1", "-p", String(port), "-t", "1"], timeout: 5)
            return result?.status == 0
        }
    }

    /// Runs SQL as the superuser through the Unix socket; returns psql's unaligned output.
    @discardableResult
    func psql(_ sql: String, database: String = PostgresTestServer.database) async throws -> String {
        let (executable, arguments) = asServerUser(
            binaries + "/psql",
            ["-h", directory, "-p", String(port), "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-X", "-qAt", "-c", sql])
        return try await ServiceTestSupport.run(executable, arguments).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func count(_ sql: String) async throws -> Int {
        let text = try await psql(sql)
        guard let number = Int(text) else { throw TestFailure("expected a number from \(sql), got \(text)") }
        return number
    }

    /// Fast shutdown (SIGINT) of the postmaster by the PID in its postmaster.pid, then of the
    /// runuser wrapper by its own PID if it is still there.
    func stop() async {
        guard let child else { return }
        self.child = nil
        let pidFile = (try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)) ?? ""
        if let line = pidFile.split(separator: "\n").first, let pid = Int32(line) {
            kill(pid, SIGINT)
            await ServiceTestSupport.waitForExit(pid: pid, timeout: 20)
        } else {
            child.signal(SIGINT)
        }
        await ServiceTestSupport.waitForExit(pid: child.pid, timeout: 5)
    }

    /// Stops the server and removes its folder.
    func destroy() async {
        await stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `body` with a fresh server and always stops it.
    static func with<T>(_ body: (PostgresTestServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.destroy()
            return result
        } catch {
            await server.destroy()
            throw error
        }
    }
}

/// `redis-server --port PORT --bind 127.0.0.1 --save '' --appendonly no`, optionally with a password.
final class RedisTestServer: @unchecked Sendable {
    let port: Int
    let password: String?
    private let directory: String
    private var child: ChildProcess?

    var url: String { "redis://127.0.0.1:\(port)" }

    static var executable: String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var cli: String? {
        ["/usr/bin/redis-cli", "/usr/local/bin/redis-cli"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func start(password: String? = "redis-secret") async throws -> RedisTestServer {
        let server = try RedisTestServer(password: password)
        do {
            try await server.launch()
        } catch {
            await server.destroy()
            throw error
        }
        return server
    }

    private init(password: String?) throws {
        self.password = password
        self.port = TestSupport.freePort()
        self.directory = try TestSupport.temporaryDirectory("loadops-redis")
    }

    func launch() async throws {
        guard let executable = Self.executable, Self.cli != nil else {
            throw TestFailure("redis-server is not installed (make deps installs it)")
        }
        var arguments = [
            "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory,
            "--daemonize", "no", "--databases", "4",
        ]
        if let password { arguments += ["--requirepass", password] }
        let child = ChildProcess(executable, arguments)
        try child.start()
        self.child = child
        try await ServiceTestSupport.waitUntil("redis-server answering PING on 127.0.0.1:\(port)") {
            (try? await self.cli(["PING"])) == "PONG"
        }
    }

    /// redis-cli against this server (with its password); returns the reply, trimmed.
    @discardableResult
    func cli(_ arguments: [String], database: Int = 0) async throws -> String {
        guard let cli = Self.cli else { throw TestFailure("redis-cli is not installed") }
        var full = ["-h", "127.0.0.1", "-p", String(port), "-n", String(database)]
        if let password { full += ["--no-auth-warning", "-a", password] }
        return try await ServiceTestSupport.run(cli, full + arguments, timeout: 10).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func keyCount(database: Int = 0) async throws -> Int {
        let text = try await cli(["DBSIZE"], database: database)
        guard let count = Int(text) else { throw TestFailure("DBSIZE answered \(text)") }
        return count
    }

    /// SIGTERM by PID; redis-server exits at once without persistence.
    func stop() async {
        guard let child else { return }
        self.child = nil
        child.signal(SIGTERM)
        await ServiceTestSupport.waitForExit(pid: child.pid, timeout: 10)
    }

    func destroy() async {
        await stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static func with<T>(password: String? = "redis-secret", _ body: (RedisTestServer) async throws -> T) async throws -> T {
        let server = try await start(password: password)
        do {
            let result = try await body(server)
            await server.destroy()
            return result
        } catch {
            await server.destroy()
            throw error
        }
    }
}
