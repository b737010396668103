import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The POSIX calls the archive needs. Copies go through `read`/`write`/`fsync` rather than
/// `FileManager.copyItem` so that a full disk is reported where it happens and a copy is on disk
/// before the archive is renamed into place.
enum ArchiveFileSystem {
    static let chunkSize = 256 * 1024

    static func reason(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    private static func fileStatus(_ path: String) -> stat? {
        var status = stat()
        return lstat(path, &status) == 0 ? status : nil
    }

    /// A regular file, not a symbolic link to one.
    static func isRegularFile(_ path: String) -> Bool {
        guard let status = fileStatus(path) else { return false }
        return (status.st_mode & S_IFMT) == S_IFREG
    }

    /// A real folder, not a symbolic link to one.
    static func isDirectory(_ path: String) -> Bool {
        guard let status = fileStatus(path) else { return false }
        return (status.st_mode & S_IFMT) == S_IFDIR
    }

    /// A folder, or a symbolic link to one (an archive root or results folder on another disk).
    static func isDirectoryFollowingLinks(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ path: String) -> Bool {
        fileStatus(path) != nil
    }

    static func modificationDate(_ path: String) -> Date? {
        guard let status = fileStatus(path) else { return nil }
        let time = status.st_mtim
        return Date(timeIntervalSince1970: Double(time.tv_sec) + Double(time.tv_nsec) / 1_000_000_000)
    }

    static func contents(of folder: String) throws(ArchiveError) -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        } catch {
            throw .fileSystem(path: folder, operation: "list the folder", reason: FileErrorReason.text(error))
        }
    }

    static func createFolder(_ path: String, intermediate: Bool = false) throws(ArchiveError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: intermediate)
        } catch {
            throw .fileSystem(path: path, operation: "create the folder", reason: FileErrorReason.text(error))
        }
    }

    static func remove(_ path: String) throws(ArchiveError) {
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw .fileSystem(path: path, operation: "remove", reason: FileErrorReason.text(error))
        }
    }

    /// Which file a name stood for when it was chosen: a regular file's device and inode.
    struct FileIdentity: Sendable, Equatable {
        var device: UInt64
        var inode: UInt64

        init(_ status: stat) {
            device = UInt64(status.st_dev)
            inode = UInt64(status.st_ino)
        }
    }

    /// The identity of the regular file at `path` (not following a symbolic link); nil for anything else.
    static func regularFileIdentity(_ path: String) -> FileIdentity? {
        guard let status = fileStatus(path), (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileIdentity(status)
    }

    /// Opens a regular file for reading without following a symbolic link at `path` (`O_NOFOLLOW`;
    /// `O_NONBLOCK` so a FIFO put there cannot hang the open), then checks through the open
    /// descriptor that it is a regular file and, with `expected`, the very file chosen before: a
    /// name swapped for a link or another file between choosing and opening is refused, never read.
    private static func openForReading(_ path: String, expected: FileIdentity? = nil) throws(ArchiveError) -> Int32 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP { throw .sourceReplaced(path: path, by: "a symbolic link") }
            throw .fileSystem(path: path, operation: "open", reason: reason(code))
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            close(descriptor)
            throw .fileSystem(path: path, operation: "read the status of", reason: reason(code))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw .sourceReplaced(path: path, by: "something that is not a regular file")
        }
        if let expected, FileIdentity(status) != expected {
            close(descriptor)
            throw .sourceReplaced(path: path, by: "another file")
        }
        return descriptor
    }

    /// Reads `descriptor` to the end, handing each chunk to `body`.
    private static func readAll(
        _ descriptor: Int32, path: String, _ body: (UnsafeRawBufferPointer) throws(ArchiveError) -> Void
    ) throws(ArchiveError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw .fileSystem(path: path, operation: "read", reason: reason())
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    /// Size and SHA-256 of a regular file (with `expected`, the one chosen before).
    static func hashFile(_ path: String, expected: FileIdentity? = nil) throws(ArchiveError) -> (size: Int64, sha256: String) {
        let descriptor = try openForReading(path, expected: expected)
        defer { close(descriptor) }
        var hasher = SHA256Hasher()
        var size: Int64 = 0
        try readAll(descriptor, path: path) { bytes in
            hasher.update(bytes)
            size += Int64(bytes.count)
        }
        return (size, hasher.finalizeHex())
    }

    /// The whole of a regular file (with `expected`, the one chosen before).
    static func readFile(_ path: String, expected: FileIdentity? = nil) throws(ArchiveError) -> Data {
        let descriptor = try openForReading(path, expected: expected)
        defer { close(descriptor) }
        var data = Data()
        try readAll(descriptor, path: path) { bytes in data.append(contentsOf: bytes) }
        return data
    }

    /// Copies `source` (with `expected`, the file chosen before) to the new file `destination`
    /// (which must not exist), flushed to disk, with the source's modification time; returns the
    /// size and SHA-256 of the bytes written.
    static func copyFile(
        from source: String, expected: FileIdentity? = nil, to destination: String
    ) throws(ArchiveError) -> (size: Int64, sha256: String) {
        let input = try openForReading(source, expected: expected)
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw .fileSystem(path: destination, operation: "create", reason: reason()) }
        var closed = false
        defer { if !closed { close(output) } }

        var hasher = SHA256Hasher()
        var size: Int64 = 0
        try readAll(input, path: source) { (bytes) throws(ArchiveError) in
            try writeAll(output, bytes, path: destination)
            hasher.update(bytes)
            size += Int64(bytes.count)
        }
        var status = stat()
        if fstat(input, &status) == 0 {
            var times = [status.st_atim, status.st_mtim]
            _ = futimens(output, &times)
            // Never more readable than the original: a results file only its owner may read stays so.
            _ = fchmod(output, status.st_mode & 0o644)
        }
        // Delayed allocation can report a full disk only here, so both results count.
        guard fsync(output) == 0 else { throw .fileSystem(path: destination, operation: "write", reason: reason()) }
        closed = true
        guard close(output) == 0 else { throw .fileSystem(path: destination, operation: "write", reason: reason()) }
        return (size, hasher.finalizeHex())
    }

    /// Writes a new file and flushes it to disk.
    static func writeNewFile(_ data: Data, to path: String) throws(ArchiveError) {
        let output = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw .fileSystem(path: path, operation: "create", reason: reason()) }
        var closed = false
        defer { if !closed { close(output) } }
        // `withUnsafeBytes` rethrows untyped errors, so the typed one is carried out as a value.
        let failure: ArchiveError? = data.withUnsafeBytes { bytes in
            do throws(ArchiveError) {
                try writeAll(output, bytes, path: path)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        guard fsync(output) == 0 else { throw .fileSystem(path: path, operation: "write", reason: reason()) }
        closed = true
        guard close(output) == 0 else { throw .fileSystem(path: path, operation: "write", reason: reason()) }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(ArchiveError) {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .fileSystem(path: path, operation: "write", reason: reason())
            }
            offset += written
        }
    }

    /// Flushes an existing file (one written by another program, such as tar).
    static func syncFile(_ path: String) throws(ArchiveError) {
        let descriptor = try openForReading(path)
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .fileSystem(path: path, operation: "flush", reason: reason()) }
    }

    /// Makes a folder's entries (a new file, a rename) durable.
    static func syncFolder(_ path: String) throws(ArchiveError) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .fileSystem(path: path, operation: "open", reason: reason()) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw .fileSystem(path: path, operation: "flush", reason: reason()) }
    }

    static func rename(_ source: String, to destination: String) throws(ArchiveError) {
        guard Foundation.rename(source, destination) == 0 else {
            throw .fileSystem(path: destination, operation: "rename \(source) to", reason: reason())
        }
    }

    /// Puts a file under a new name only if nothing has that name yet (`link` fails instead of
    /// replacing, unlike `rename`), then drops the old name.
    static func moveWithoutReplacing(_ source: String, to destination: String) throws(ArchiveError) {
        guard link(source, destination) == 0 else {
            throw .fileSystem(path: destination, operation: "link \(source) to", reason: reason())
        }
        _ = unlink(source)
    }

    static func isProcessAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    static var processIdentifier: Int32 { getpid() }

    static func pause(seconds: Double) {
        guard seconds > 0 else { return }
        Thread.sleep(forTimeInterval: seconds)
    }
}

/// Which files of the output folder are results: regular files (not folders, not symbolic links,
/// not hidden) named `*.html`, `*.csv`, `*.json`, `*.md`, or `load_test.log`. The demo's
/// `demo-loadops.yml` and half-written `.tmp` files are left out by that rule.
public enum ResultsSelection {
    public static let extensions: Set<String> = ["html", "csv", "json", "md"]
    public static let logFileName = ResultsWriter.logFileName

    public static func isResultsFileName(_ name: String) -> Bool {
        guard isPlainFileName(name) else { return false }
        if name == logFileName { return true }
        let fileExtension = (name as NSString).pathExtension.lowercased()
        return extensions.contains(fileExtension)
    }

    /// A name a manifest line can hold: no folder, not hidden, no control characters, not the manifest itself.
    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && name != ArchiveManifest.fileName
            && !name.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// A results file as it was chosen: its name, and which file that name stood for then.
    struct ChosenFile: Sendable, Equatable {
        var name: String
        var identity: ArchiveFileSystem.FileIdentity
    }

    /// The names of the results files in `folder`, sorted.
    public static func files(in folder: String) throws(ArchiveError) -> [String] {
        try chosenFiles(in: folder).map(\.name)
    }

    /// The results files in `folder`, sorted by name, each with the identity the archive checks
    /// again when it opens the file.
    static func chosenFiles(in folder: String) throws(ArchiveError) -> [ChosenFile] {
        guard ArchiveFileSystem.isDirectoryFollowingLinks(folder) else {
            throw .outputFolderMissing(folder)
        }
        let chosen = try ArchiveFileSystem.contents(of: folder).compactMap { name -> ChosenFile? in
            guard isResultsFileName(name),
                  let identity = ArchiveFileSystem.regularFileIdentity((folder as NSString).appendingPathComponent(name))
            else { return nil }
            return ChosenFile(name: name, identity: identity)
        }
        guard !chosen.isEmpty else { throw .noResults(folder: folder) }
        return chosen
    }
}
