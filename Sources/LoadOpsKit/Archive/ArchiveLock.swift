import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `ARCHIVE_ROOT/.lock`, so two archives (two cron jobs, a cron job and a
/// person) never pick names or remove archives at the same time. The kernel drops the lock when
/// the process dies, so a killed archive never leaves the root locked.
final class ArchiveLock {
    static let fileName = ".lock"

    private var descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Takes the lock, polling every `pollInterval` seconds for up to `timeout` seconds when
    /// `wait` is true, or failing at once when it is held and `wait` is false.
    static func acquire(root: String, wait: Bool, timeout: Double, pollInterval: Double = 0.1) throws(ArchiveError) -> ArchiveLock {
        let path = (root as NSString).appendingPathComponent(fileName)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .fileSystem(path: path, operation: "open the lock file", reason: ArchiveFileSystem.reason())
        }
        let started = Date()
        while true {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
                return ArchiveLock(descriptor: descriptor)
            }
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(descriptor)
                throw .fileSystem(path: path, operation: "lock", reason: ArchiveFileSystem.reason(code))
            }
            let waited = Date().timeIntervalSince(started)
            guard wait else {
                close(descriptor)
                throw .lockBusy(lockPath: path, waitedSeconds: nil)
            }
            guard waited < timeout else {
                close(descriptor)
                throw .lockBusy(lockPath: path, waitedSeconds: waited)
            }
            ArchiveFileSystem.pause(seconds: min(pollInterval, max(timeout - waited, 0.001)))
        }
    }

    func release() {
        guard descriptor >= 0 else { return }
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

/// Runs the system `tar`, which writes and reads the `.tar.gz` archives.
enum TarCommand {
    static var executable: String {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let folders = searchPath.split(separator: ":").map(String.init) + ["/usr/bin", "/bin"]
        for folder in folders {
            let candidate = (folder as NSString).appendingPathComponent("tar")
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/tar"
    }

    /// Runs tar and returns what it printed on standard output.
    @discardableResult
    static func run(_ arguments: [String]) throws(ArchiveError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .tarFailed(arguments: arguments, status: -1, output: "cannot start \(executable): \(FileErrorReason.text(error))")
        }
        // tar's messages are a few lines, well under a pipe's buffer, so reading the output first cannot stall it.
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaints = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw .tarFailed(arguments: arguments, status: process.terminationStatus,
                             output: String(decoding: complaints, as: UTF8.self))
        }
        return String(decoding: printed, as: UTF8.self)
    }
}
