import Foundation

/// `YYYY-MM-DD_HH-MM-SS` (the run's start, UTC), with `-2`, `-3`... when a different set of
/// results started in the same second. Only names of this shape are ever treated as archives.
public struct ArchiveName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The timestamp part.
    public var stamp: String
    /// 1 for the plain name, N for `-N`.
    public var sequence: Int
    /// The start time the stamp stands for, to the second.
    public var date: Date

    public var description: String { sequence == 1 ? stamp : "\(stamp)-\(sequence)" }

    public static func < (lhs: ArchiveName, rhs: ArchiveName) -> Bool {
        (lhs.date, lhs.sequence) < (rhs.date, rhs.sequence)
    }

    private static var utcCalendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        return calendar
    }

    public init(startedAt: Date, sequence: Int = 1) {
        let whole = Date(timeIntervalSince1970: startedAt.timeIntervalSince1970.rounded(.down))
        let parts = Self.utcCalendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: whole)
        func two(_ value: Int?) -> String {
            let number = value ?? 0
            return number < 10 ? "0\(number)" : "\(number)"
        }
        let year = String(parts.year ?? 1970)
        let paddedYear = String(repeating: "0", count: max(0, 4 - year.count)) + year
        stamp = "\(paddedYear)-\(two(parts.month))-\(two(parts.day))_\(two(parts.hour))-\(two(parts.minute))-\(two(parts.second))"
        self.sequence = sequence
        date = whole
    }

    /// Reads an archive name; nil for anything else (including a real-looking stamp such as
    /// 2023-02-30 that is not a date).
    public init?(_ text: String) {
        let scalars = Array(text.utf8)
        guard scalars.count >= 19 else { return nil }
        let separators: [Int: UInt8] = [4: UInt8(ascii: "-"), 7: UInt8(ascii: "-"), 10: UInt8(ascii: "_"),
                                        13: UInt8(ascii: "-"), 16: UInt8(ascii: "-")]
        for index in 0..<19 {
            if let separator = separators[index] {
                guard scalars[index] == separator else { return nil }
            } else {
                guard (48...57).contains(scalars[index]) else { return nil }
            }
        }
        var sequence = 1
        if scalars.count > 19 {
            let suffix = scalars[19...]
            guard suffix.count >= 2, suffix.first == UInt8(ascii: "-"), suffix.dropFirst().allSatisfy({ (48...57).contains($0) }),
                  suffix.dropFirst().first != UInt8(ascii: "0"),
                  let number = Int(String(decoding: suffix.dropFirst(), as: UTF8.self)), number >= 2
            else { return nil }
            sequence = number
        }
        func number(_ range: Range<Int>) -> Int {
            Int(String(decoding: scalars[range], as: UTF8.self)) ?? -1
        }
        var parts = DateComponents()
        parts.year = number(0..<4)
        parts.month = number(5..<7)
        parts.day = number(8..<10)
        parts.hour = number(11..<13)
        parts.minute = number(14..<16)
        parts.second = number(17..<19)
        guard let date = Self.utcCalendar.date(from: parts) else { return nil }
        let stamp = String(decoding: scalars[0..<19], as: UTF8.self)
        // The calendar rolls 2023-02-30 over to March; a name that does not survive the round trip is no date.
        guard ArchiveName(startedAt: date).stamp == stamp else { return nil }
        self.stamp = stamp
        self.sequence = sequence
        self.date = date
    }

    func withSequence(_ sequence: Int) -> ArchiveName {
        var copy = self
        copy.sequence = sequence
        return copy
    }
}

/// An archive found in the archive root: a folder `NAME/` holding a `MANIFEST`, or a regular file `NAME.tar.gz`.
public struct StoredArchive: Sendable, Equatable {
    public static let compressedSuffix = ".tar.gz"

    public var name: ArchiveName
    public var path: String
    public var isCompressed: Bool

    /// Every archive in `root`, oldest first; anything else (hidden files, other folders,
    /// folders without a manifest) is not listed, so nothing else can ever be removed.
    static func list(in root: String) throws(ArchiveError) -> [StoredArchive] {
        // The root itself may be a symbolic link to a bigger disk; the archives in it may not.
        guard ArchiveFileSystem.isDirectoryFollowingLinks(root) else { return [] }
        var archives: [StoredArchive] = []
        for entry in try ArchiveFileSystem.contents(of: root) {
            let path = (root as NSString).appendingPathComponent(entry)
            if let name = ArchiveName(entry) {
                let manifest = (path as NSString).appendingPathComponent(ArchiveManifest.fileName)
                if ArchiveFileSystem.isDirectory(path) && ArchiveFileSystem.isRegularFile(manifest) {
                    archives.append(StoredArchive(name: name, path: path, isCompressed: false))
                }
            } else if entry.hasSuffix(compressedSuffix), let name = ArchiveName(String(entry.dropLast(compressedSuffix.count))),
                      ArchiveFileSystem.isRegularFile(path) {
                archives.append(StoredArchive(name: name, path: path, isCompressed: true))
            }
        }
        return archives.sorted { $0.name < $1.name }
    }

    /// The archive stored under `name` (folder or tarball), whether or not its manifest is sound.
    static func find(_ name: ArchiveName, in root: String) -> StoredArchive? {
        let folder = (root as NSString).appendingPathComponent(name.description)
        if ArchiveFileSystem.isDirectory(folder) {
            return StoredArchive(name: name, path: folder, isCompressed: false)
        }
        let tarball = folder + compressedSuffix
        if ArchiveFileSystem.exists(tarball) {
            return StoredArchive(name: name, path: tarball, isCompressed: true)
        }
        return nil
    }

    /// Whether anything at all has taken `name`, so a new archive must pick another.
    static func isTaken(_ name: ArchiveName, in root: String) -> Bool {
        let path = (root as NSString).appendingPathComponent(name.description)
        return ArchiveFileSystem.exists(path) || ArchiveFileSystem.exists(path + compressedSuffix)
    }
}
