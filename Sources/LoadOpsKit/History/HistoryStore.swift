import Foundation
import GRDB

/// The run history: an SQLite database (WAL mode, so readers never wait for a writer and several
/// loadops processes can record into the same file), reached through GRDB.
///
/// An existing file is inspected read-only before it is opened for writing: a file that is not
/// SQLite, a damaged database, another program's database or one written by a newer loadops is
/// refused with an error naming it, and stays exactly as it was.
public final class HistoryStore: Sendable {
    /// The database file, as given to `open`.
    public let path: String
    let pool: DatabasePool

    /// Writers wait this long for another process's write to finish before giving up.
    static let busyTimeout: TimeInterval = 15

    private init(path: String, pool: DatabasePool) {
        self.path = path
        self.pool = pool
    }

    /// Opens (and, with `createIfMissing`, creates along with its folder) the history at `path`,
    /// bringing its schema up to date.
    public static func open(path: String, createIfMissing: Bool = true) throws(HistoryError) -> HistoryStore {
        try open(path: path, createIfMissing: createIfMissing, statementObserver: nil)
    }

    /// `statementObserver` sees the SQL of every statement run through the store (the tests use it
    /// to show which columns a command reads).
    static func open(
        path: String, createIfMissing: Bool, statementObserver: (@Sendable (String) -> Void)?
    ) throws(HistoryError) -> HistoryStore {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { throw .notADatabase(path: path) }
            try inspectExisting(path: path)
        } else {
            guard createIfMissing else { throw .databaseMissing(path: path) }
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                } catch {
                    throw .cannotCreateFolder(path: folder, reason: (error as NSError).localizedDescription)
                }
            }
        }

        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "loadops history"
        if let statementObserver {
            configuration.prepareDatabase { db in
                db.trace(options: .statement) { event in statementObserver(event.description) }
            }
        }
        // Two processes creating a new file at once: the one that loses the race to switch it to WAL
        // is told "database is locked" at once, without the busy timeout; a moment later it opens.
        let pool = try retrying(attempts: 10, pause: 0.02, path: path, operation: "open the history database",
                                when: { ($0 as? DatabaseError).map { [.SQLITE_BUSY, .SQLITE_LOCKED].contains($0.resultCode) } ?? false }) {
            try DatabasePool(path: path, configuration: configuration)
        }
        // GRDB reads the list of applied migrations before the migration's own transaction, so two
        // processes opening a new file at the same moment can both try to create the tables; the
        // second one's transaction fails and rolls back, and trying again finds the work done.
        try retrying(attempts: 3, pause: 0.05, path: path, operation: "prepare the history tables") {
            try HistorySchema.migrator.migrate(pool)
        }
        return HistoryStore(path: path, pool: pool)
    }

    /// Runs `body` again, after a pause growing by `pause` seconds a time, while it fails with an
    /// error `isRace` accepts (another process's work under way), at most `attempts` times in all.
    private static func retrying<T>(attempts: Int, pause: Double, path: String, operation: String,
                                    when isRace: (Error) -> Bool = { _ in true },
                                    _ body: () throws -> T) throws(HistoryError) -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try body()
            } catch where attempt < attempts && isRace(error) {
                Thread.sleep(forTimeInterval: pause * Double(attempt))
            } catch {
                throw translate(error, path: path, operation: operation)
            }
        }
    }

    /// Looks at an existing file without writing to it: header, integrity, owner and schema version.
    private static func inspectExisting(path: String) throws(HistoryError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .sqlite(path: path, operation: "read the history database", message: "permission denied")
        }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        try? handle.close()
        // An empty file is what SQLite itself calls an empty database: set it up.
        if header.isEmpty { return }
        guard header.count == 100, header.starts(with: Array("SQLite format 3\u{0}".utf8)) else {
            throw .notADatabase(path: path)
        }

        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            try queue.read { db in
                let problems = try String.fetchAll(db, sql: "PRAGMA quick_check(3)")
                if problems != ["ok"] {
                    throw HistoryError.corrupted(path: path, detail: problems.joined(separator: "; "))
                }
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                if try version > HistorySchema.version || HistorySchema.migrator.hasBeenSuperseded(db) {
                    throw HistoryError.newerSchema(path: path, found: max(version, HistorySchema.version + 1),
                                                   supported: HistorySchema.version)
                }
                let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try String.fetchAll(db, sql: """
                    SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
                    """)
                // GRDB creates its bookkeeping table before the first migration's transaction.
                if applicationID != HistorySchema.applicationID && tables.contains(where: { $0 != "grdb_migrations" }) {
                    throw HistoryError.foreignDatabase(path: path)
                }
            }
        } catch {
            throw translate(error, path: path, operation: "read the history database")
        }
    }

    /// SQLite's errors in the words of `HistoryError`.
    static func translate(_ error: any Error, path: String, operation: String) -> HistoryError {
        if let error = error as? HistoryError { return error }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB: return .notADatabase(path: path)
            case .SQLITE_CORRUPT: return .corrupted(path: path, detail: error.message ?? "database disk image is malformed")
            default: return .sqlite(path: path, operation: operation, message: error.message ?? "\(error.resultCode)")
            }
        }
        return .sqlite(path: path, operation: operation, message: "\(error)")
    }

    /// Runs `body` in a write transaction, translating SQLite's errors.
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws(HistoryError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw Self.translate(error, path: path, operation: operation)
        }
    }

    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(HistoryError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw Self.translate(error, path: path, operation: operation)
        }
    }
}
