import Foundation

/// What `loadops archive verify` found: an archive is intact when every file in its manifest is
/// there with the same size and SHA-256, and nothing else is.
public struct ArchiveVerification: Sendable, Equatable {
    public struct ChangedFile: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var expected: ArchiveManifest.Entry
        public var actualSize: Int64
        public var actualSHA256: String

        public var description: String {
            if actualSize != expected.size {
                return "\(name): \(actualSize) bytes, the manifest says \(expected.size)"
            }
            return "\(name): SHA-256 \(actualSHA256), the manifest says \(expected.sha256)"
        }
    }

    public var name: String
    public var path: String
    public var compressed: Bool
    /// Files listed in the manifest.
    public var listed: Int
    public var missing: [String]
    public var extra: [String]
    public var changed: [ChangedFile]

    public var isIntact: Bool { missing.isEmpty && extra.isEmpty && changed.isEmpty }

    /// What `archive verify` prints for an intact archive.
    public var intactLine: String { "\(path): intact, all \(listed) files match the MANIFEST" }

    /// Throws `ArchiveError.verificationFailed` (exit 1) unless the archive is intact.
    public func requireIntact() throws(ArchiveError) {
        if !isIntact { throw .verificationFailed(self) }
    }
}

/// Reading archives back: their manifests, and `archive verify`.
public enum ArchiveInspection {
    /// Verifies the archive called `name` (`YYYY-MM-DD_HH-MM-SS[-N]`, with or without `.tar.gz`) in
    /// `root`, or the newest one when `name` is nil. A missing or malformed manifest is an error.
    public static func verify(root: String, name: String?) throws(ArchiveError) -> ArchiveVerification {
        let archive = try locate(root: root, name: name)
        return try withContents(of: archive) { (folder, besideFolder) throws(ArchiveError) in
            var verification = try verify(folder: folder, archive: archive)
            verification.extra += besideFolder
            return verification
        }
    }

    static func locate(root: String, name: String?) throws(ArchiveError) -> StoredArchive {
        guard let name else {
            guard let newest = try StoredArchive.list(in: root).last else { throw .noArchives(root: root) }
            return newest
        }
        let bare = name.hasSuffix(StoredArchive.compressedSuffix) ? String(name.dropLast(StoredArchive.compressedSuffix.count)) : name
        guard let parsed = ArchiveName(bare) else { throw .notAnArchiveName(name) }
        guard let found = StoredArchive.find(parsed, in: root) else { throw .archiveNotFound(name: bare, root: root) }
        return found
    }

    /// The manifest an archive holds.
    static func manifest(of archive: StoredArchive) throws(ArchiveError) -> ArchiveManifest {
        try withContents(of: archive) { (folder, _) throws(ArchiveError) in
            try readManifest(in: folder)
        }
    }

    /// Whether a tarball was made by `loadops archive`: it holds `NAME/MANIFEST`.
    static func tarballHoldsManifest(_ archive: StoredArchive) -> Bool {
        guard let listing = try? TarCommand.run(["-tzf", archive.path]) else { return false }
        let expected = "\(archive.name)/\(ArchiveManifest.fileName)"
        return listing.split(separator: "\n").contains { $0 == expected || $0 == "./\(expected)" }
    }

    private static func readManifest(in folder: String) throws(ArchiveError) -> ArchiveManifest {
        let manifestPath = ResultsArchiver.path(folder, ArchiveManifest.fileName)
        guard ArchiveFileSystem.isRegularFile(manifestPath) else {
            throw .manifestUnreadable(path: manifestPath, line: nil, reason: "there is no manifest, so this is not a complete archive")
        }
        let data = try ArchiveFileSystem.readFile(manifestPath)
        return try ArchiveManifest.parse(String(decoding: data, as: UTF8.self), path: manifestPath)
    }

    private static func verify(folder: String, archive: StoredArchive) throws(ArchiveError) -> ArchiveVerification {
        let manifest = try readManifest(in: folder)
        var missing: [String] = []
        var changed: [ArchiveVerification.ChangedFile] = []
        for entry in manifest.entries {
            let filePath = ResultsArchiver.path(folder, entry.name)
            guard ArchiveFileSystem.isRegularFile(filePath) else {
                missing.append(entry.name)
                continue
            }
            let actual = try ArchiveFileSystem.hashFile(filePath)
            if actual.size != entry.size || actual.sha256 != entry.sha256 {
                changed.append(.init(name: entry.name, expected: entry, actualSize: actual.size, actualSHA256: actual.sha256))
            }
        }
        let listed = Set(manifest.entries.map(\.name))
        let extra = try ArchiveFileSystem.contents(of: folder).filter { $0 != ArchiveManifest.fileName && !listed.contains($0) }
        return ArchiveVerification(
            name: archive.name.description, path: archive.path, compressed: archive.isCompressed,
            listed: manifest.entries.count, missing: missing, extra: extra, changed: changed)
    }

    /// Runs `body` on the archive's folder: the folder itself, or a temporary extraction of the
    /// tarball, with anything the tarball holds beside `NAME/` (which no manifest lists).
    private static func withContents<T>(
        of archive: StoredArchive, _ body: (_ folder: String, _ besideFolder: [String]) throws(ArchiveError) -> T
    ) throws(ArchiveError) -> T {
        guard archive.isCompressed else { return try body(archive.path, []) }
        let scratch = (NSTemporaryDirectory() as NSString).appendingPathComponent("loadops-archive-\(UUID().uuidString)")
        try ArchiveFileSystem.createFolder(scratch, intermediate: true)
        defer { try? ArchiveFileSystem.remove(scratch) }
        try TarCommand.run(["-xzf", archive.path, "-C", scratch, "--no-same-owner"])
        let inner = ResultsArchiver.path(scratch, archive.name.description)
        guard ArchiveFileSystem.isDirectory(inner) else {
            throw .manifestUnreadable(
                path: archive.path, line: nil,
                reason: "expected the tarball to hold a folder \(archive.name)/ with a MANIFEST, as `loadops archive --compress` writes it")
        }
        let others = try ArchiveFileSystem.contents(of: scratch).filter { $0 != archive.name.description }
        return try body(inner, others.map { "../\($0)" })
    }
}
