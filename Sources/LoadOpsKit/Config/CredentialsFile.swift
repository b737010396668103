import Foundation

/// An ECS deployment's key/secret pairs (`ecsctl.sh creds` output saved as `~/.ecs/.htpasswd`):
/// one `key:secret` per line, sent as HTTP basic auth. Blank lines and `#` comments are skipped.
public enum CredentialsFile {
    public static func load(path: String) throws -> [(key: String, secret: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CredentialsFileError(path: path, message: "credentials file not found")
        }
        guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
            throw CredentialsFileError(path: path, message: "cannot read the credentials file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CredentialsFileError(path: path, message: "the credentials file is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    /// Messages name the file and line but never show the line: it holds a secret.
    static func parse(_ text: String, path: String) throws -> [(key: String, secret: String)] {
        var pairs: [(key: String, secret: String)] = []
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            func failure(_ found: String) -> CredentialsFileError {
                CredentialsFileError(path: path, line: index + 1, message: "expected key:secret, found \(found)")
            }
            guard let colon = line.firstIndex(of: ":") else { throw failure("a line with no ':'") }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let secret = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty else { throw failure("an empty key before ':'") }
            guard !secret.isEmpty else { throw failure("an empty secret after ':'") }
            pairs.append((key: key, secret: secret))
        }
        guard !pairs.isEmpty else {
            throw CredentialsFileError(path: path, message: "no credentials found: expected key:secret lines")
        }
        return pairs
    }
}

public struct CredentialsFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var line: Int?
    public var message: String

    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
}
