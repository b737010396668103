import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing a results file failed.
public struct ResultsWriteError: Error, CustomStringConvertible, Equatable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot write results to \(path): \(reason)" }
}

/// The results stage: the Locust CSV files and `results.json` in the output folder.
public enum ResultsWriter {
    public static let resultsFileName = "results.json"
    /// The run's log, next to its results (written by `RunConsole`, archived with them).
    public static let logFileName = "load_test.log"

    /// Creates `folder` if missing and writes `load_test_stats.csv`, `load_test_stats_history.csv`,
    /// `load_test_failures.csv`, `load_test_exceptions.csv`, `load_test_flow_stats.csv` when the run
    /// had flows, and `results.json`, each atomically
    /// (a reader sees the old file or the new one, never half of one). Returns the paths written.
    @discardableResult
    public static func write(_ result: RunResult, to folder: String) throws(ResultsWriteError) -> [String] {
        try write(result, document: ResultsDocument.make(from: result), to: folder)
    }

    /// The same, with a `results.json` the caller has completed (threshold outcomes, ...).
    @discardableResult
    public static func write(_ result: RunResult, document: ResultsDocument, to folder: String) throws(ResultsWriteError) -> [String] {
        var paths = try LocustCSVWriter.write(result, to: folder)
        let path = (folder as NSString).appendingPathComponent(resultsFileName)
        let data: Data
        do {
            data = try document.encoded()
        } catch {
            throw ResultsWriteError(path: path, reason: "cannot encode the results as JSON (\(error))")
        }
        try AtomicFileWriter.write(data, to: path)
        paths.append(path)
        return paths
    }
}

/// Writes a file through a temporary file in the same folder and a rename, so the file is replaced whole.
enum AtomicFileWriter {
    static func createFolder(_ folder: String) throws(ResultsWriteError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ResultsWriteError(path: folder, reason: "it exists and is not a folder")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ResultsWriteError(path: folder, reason: "cannot create the folder (\(FileErrorReason.text(error)))")
        }
    }

    /// Replaces `path` at once: a reader sees the old file or the new one, never a part.
    static func write(_ data: Data, to path: String) throws(ResultsWriteError) {
        let temporary = try writeTemporary(data, for: path)
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ResultsWriteError(path: path, reason: reason)
        }
    }

    /// Creates `path` at once, whole, and only if nobody created it first (a check-then-rename
    /// would replace a file made at the same moment). Returns false, writing nothing, when it exists.
    static func writeNew(_ data: Data, to path: String) throws(ResultsWriteError) -> Bool {
        if FileManager.default.fileExists(atPath: path) { return false }
        let temporary = try writeTemporary(data, for: path)
        defer { unlink(temporary) }
        if link(temporary, path) != 0 {
            let code = errno
            if code == EEXIST { return false }
            throw ResultsWriteError(path: path, reason: String(cString: strerror(code)))
        }
        return true
    }

    /// `data` in a new hidden file next to `path`, flushed to disk, so that a crash cannot leave an
    /// empty file under the final name. Returns its path.
    private static func writeTemporary(_ data: Data, for path: String) throws(ResultsWriteError) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = (folder as NSString).appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary, contents: nil) else {
            throw ResultsWriteError(path: path, reason: "cannot create a temporary file in \(folder) (\(String(cString: strerror(errno))))")
        }
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            unlink(temporary)
            throw ResultsWriteError(path: path, reason: FileErrorReason.text(error))
        }
        return temporary
    }
}
