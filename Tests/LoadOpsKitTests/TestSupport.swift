import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Paths and processes the end-to-end tests share.
enum TestSupport {
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `loadops` executable built by `swift build` / `swift test`.
    static var binary: String {
        let candidates = [".build/debug/loadops", ".build/x86_64-unknown-linux-gnu/debug/loadops",
                          ".build/aarch64-unknown-linux-gnu/debug/loadops"]
        for candidate in candidates {
            let path = packageRoot.appendingPathComponent(candidate).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return packageRoot.appendingPathComponent(".build/debug/loadops").path
    }

    /// A new folder under the system's temporary folder. Tests remove it themselves (`defer`);
    /// whatever is still there when the test process exits (a test that failed before its `defer`
    /// was set, or a folder a helper made) is removed then.
    static func temporaryDirectory(_ name: String = "loadops-test") throws -> String {
        let path = NSTemporaryDirectory() + "\(name)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        TemporaryFolders.shared.add(path)
        return path
    }

    /// A port nobody listens on right now (bind to 0, read it back, close).
    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        _ = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A plain HTTP GET over loopback, for reading a server's own counters.
    static func httpGet(port: Int, path: String) throws -> String {
        try httpExchange(port: port, request: "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    }

    /// Sends `request` as written to 127.0.0.1:`port` and reads the answer until the server closes.
    static func httpExchange(port: Int, request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("cannot connect to 127.0.0.1:\(port)") }
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var response = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &chunk, chunk.count, 0)
            if count <= 0 { break }
            response.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: response, as: UTF8.self)
    }
}

/// The folders `TestSupport.temporaryDirectory` made, removed at exit.
final class TemporaryFolders: @unchecked Sendable {
    static let shared: TemporaryFolders = {
        let folders = TemporaryFolders()
        atexit { TemporaryFolders.shared.removeAll() }
        return folders
    }()

    private let lock = NSLock()
    private var paths: [String] = []

    func add(_ path: String) { lock.withLock { paths.append(path) } }

    private func removeAll() {
        let remaining = lock.withLock { () -> [String] in
            defer { paths = [] }
            return paths
        }
        for path in remaining where FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A child process with captured output, stopped by its PID.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()

    init(_ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String]? = nil) {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
    }

    func start() throws { try process.run() }

    var pid: Int32 { process.processIdentifier }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the exit, killing the process (by PID) if it overruns `timeout` seconds.
    /// Polls with `waitpid(WNOHANG)`: Foundation's own exit monitoring does not always notice
    /// a child's exit inside an async test, so `isRunning` alone can sit out the whole timeout.
    @discardableResult
    func wait(timeout: Double) async -> (status: Int32, stdout: String, stderr: String) {
        // Read the pipes while waiting, so a chatty child never blocks on a full pipe.
        let outReader = Task.detached { [stdoutPipe] in stdoutPipe.fileHandleForReading.readDataToEndOfFile() }
        let errReader = Task.detached { [stderrPipe] in stderrPipe.fileHandleForReading.readDataToEndOfFile() }
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32?
        var killed = false
        while status == nil {
            var raw: Int32 = 0
            let reaped = waitpid(pid, &raw, WNOHANG)
            if reaped == pid {
                status = Self.exitCode(raw)
            } else if reaped < 0 {
                // Foundation reaped it first.
                if !process.isRunning {
                    // The shell's convention either way: 128 + the signal that ended it.
                    status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
                } else if Date() > deadline.addingTimeInterval(5) {
                    status = -1
                }
            }
            if status == nil {
                if Date() > deadline && !killed {
                    kill(pid, SIGKILL)
                    killed = true
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        let out = String(decoding: await outReader.value, as: UTF8.self)
        let err = String(decoding: await errReader.value, as: UTF8.self)
        return (status ?? -1, out, err)
    }

    private static func exitCode(_ raw: Int32) -> Int32 {
        let signalled = raw & 0x7f
        return signalled == 0 ? (raw >> 8) & 0xff : 128 + signalled
    }

    /// Runs to completion.
    static func run(_ executable: String, _ arguments: [String], directory: String? = nil,
                    environment: [String: String]? = nil, timeout: Double = 60) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = ChildProcess(executable, arguments, directory: directory, environment: environment)
        try child.start()
        return await child.wait(timeout: timeout)
    }
}

/// A real nginx from Debian's package, on a free loopback port, with `stub_status` as its own request counter.
final class NginxServer: @unchecked Sendable {
    let port: Int
    /// With `tls: true`: an HTTPS listener with a self-signed certificate (made by openssl for the test).
    let tlsPort: Int?
    private let directory: String
    private let child: ChildProcess

    static var executable: String? {
        ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `basicAuthUsers`: key:secret pairs nginx's own `auth_basic` demands on `/private/` (hashed by openssl).
    init(tls: Bool = false, basicAuthUsers: [(String, String)] = []) throws {
        guard let executable = Self.executable else { throw TestFailure("nginx is not installed (make deps installs it)") }
        directory = try TestSupport.temporaryDirectory("nginx")
        port = TestSupport.freePort()
        var tlsListener = ""
        if tls {
            let made = Process()
            made.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            made.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
                              "-keyout", "\(directory)/key.pem", "-out", "\(directory)/cert.pem"]
            made.standardOutput = FileHandle.nullDevice
            made.standardError = FileHandle.nullDevice
            try made.run()
            made.waitUntilExit()
            guard made.terminationStatus == 0 else { throw TestFailure("openssl could not make a test certificate") }
            let tlsPort = TestSupport.freePort()
            self.tlsPort = tlsPort
            tlsListener = """
                    listen 127.0.0.1:\(tlsPort) ssl;
                    ssl_certificate \(directory)/cert.pem;
                    ssl_certificate_key \(directory)/key.pem;
                """
        } else {
            tlsPort = nil
        }
        var privateLocation = ""
        if !basicAuthUsers.isEmpty {
            var lines: [String] = []
            for (user, secret) in basicAuthUsers {
                let hash = Process()
                let output = Pipe()
                hash.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
                hash.arguments = ["passwd", "-apr1", secret]
                hash.standardOutput = output
                try hash.run()
                hash.waitUntilExit()
                let hashed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                lines.append("\(user):\(hashed)")
            }
            try lines.joined(separator: "\n").write(toFile: "\(directory)/htpasswd", atomically: true, encoding: .utf8)
            // A file, not `return`: nginx's return runs before auth_basic and would let everyone in.
            try FileManager.default.createDirectory(atPath: "\(directory)/www", withIntermediateDirectories: true)
            try "private\n".write(toFile: "\(directory)/www/ok.txt", atomically: true, encoding: .utf8)
            privateLocation = """
                    location /private/ {
                        auth_basic "load test";
                        auth_basic_user_file \(directory)/htpasswd;
                        root \(directory)/www;
                        try_files /ok.txt =404;
                    }
                """
        }
        let config = """
            worker_processes 1;
            daemon off;
            master_process off;
            error_log \(directory)/error.log warn;
            pid \(directory)/nginx.pid;
            events { worker_connections 4096; }
            http {
                access_log off;
                client_body_temp_path \(directory)/body;
                proxy_temp_path \(directory)/proxy;
                fastcgi_temp_path \(directory)/fastcgi;
                uwsgi_temp_path \(directory)/uwsgi;
                scgi_temp_path \(directory)/scgi;
                keepalive_requests 1000000;
                server {
                    listen 127.0.0.1:\(port);
            \(tlsListener)
            \(privateLocation)
                    location = /nginx_status { stub_status; }
                    location / { return 200 "ok\\n"; }
                }
            }
            """
        try config.write(toFile: "\(directory)/nginx.conf", atomically: true, encoding: .utf8)
        child = ChildProcess(executable, ["-p", directory, "-c", "\(directory)/nginx.conf"])
        try child.start()
    }

    /// Waits until nginx answers.
    func waitUntilReady() async throws {
        for _ in 0..<100 {
            if (try? TestSupport.httpGet(port: port, path: "/nginx_status")) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("nginx did not start on port \(port)")
    }

    /// nginx's own count of requests (stub_status), including the status request itself.
    func requestCount() throws -> Int {
        let body = try TestSupport.httpGet(port: port, path: "/nginx_status")
        // "Active connections: 1 \nserver accepts handled requests\n 1 1 1 \n..."
        let lines = body.components(separatedBy: "\n")
        guard let index = lines.firstIndex(where: { $0.contains("accepts handled requests") }), index + 1 < lines.count else {
            throw TestFailure("unexpected stub_status answer: \(body)")
        }
        let numbers = lines[index + 1].split(separator: " ").compactMap { Int($0) }
        guard numbers.count == 3 else { throw TestFailure("unexpected stub_status line: \(lines[index + 1])") }
        return numbers[2]
    }

    /// Connections nginx holds open now (stub_status), not counting the one asking.
    func activeConnections() throws -> Int {
        let body = try TestSupport.httpGet(port: port, path: "/nginx_status")
        guard let label = body.range(of: "Active connections:"),
              let count = Int(body[label.upperBound...].drop(while: { $0 == " " }).prefix(while: \.isNumber))
        else { throw TestFailure("unexpected stub_status answer: \(body)") }
        return count - 1
    }

    func stop() async {
        child.signal(SIGTERM)  // fast shutdown; SIGQUIT would wait for idle keep-alive connections
        await child.wait(timeout: 5)
        try? FileManager.default.removeItem(atPath: directory)
    }
}
