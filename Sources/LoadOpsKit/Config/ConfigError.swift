import Foundation

/// A problem with the configuration, positioned as compilers position theirs:
/// `loadops.yml:12:5: load.users: expected a whole number >= 1, got "-3"`. The command prints it
/// after its own `loadops COMMAND: error: `; a bad flag is named alone (`--tolerance: expected ...`).
///
/// `file` is where the bad value came from: the YAML file as the user named it,
/// `.env.load-testing`, `environment` (the process environment) or `command line`.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        /// The configuration file named explicitly does not exist.
        case missingFile
        /// The file exists but cannot be read or is not UTF-8 text.
        case unreadableFile
        /// The YAML (or `.env` file) is not well-formed.
        case syntax
        /// A key the schema does not know.
        case unknownKey
        /// A value of the wrong type, out of range, or inconsistent with other settings.
        case invalidValue
    }

    public var kind: Kind
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    /// 1-based column, when known.
    public var column: Int?
    /// The setting concerned: `load.users`, `endpoints[2].method`, `LOAD_TEST_HOST`, `--duration`.
    public var field: String?
    public var message: String

    public init(kind: Kind, file: String, line: Int? = nil, column: Int? = nil, field: String? = nil, message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    public var description: String {
        var position = file == SourceLocation.commandLineFile ? "" : file
        if let line {
            position += ":\(line)"
            if let column { position += ":\(column)" }
        }
        let subject = field.map { "\($0): " } ?? ""
        return (position.isEmpty ? "" : position + ": ") + subject + message
    }

    /// A command-line flag's value that cannot be read: `--tolerance: expected a percentage ...`.
    public static func flag(_ flag: String, _ problem: ValueFormatError) -> ConfigError {
        .invalid(.commandLine(flag), problem.description)
    }

    public static func missingFile(_ path: String) -> ConfigError {
        ConfigError(
            kind: .missingFile, file: path,
            message: "configuration file not found (run `loadops init` to create one, or leave out --config to use the defaults)")
    }

    public static func unreadableFile(_ path: String, reason: String) -> ConfigError {
        ConfigError(kind: .unreadableFile, file: path, message: "cannot read the file: \(reason)")
    }

    static func invalid(_ location: SourceLocation, _ message: String, kind: Kind = .invalidValue) -> ConfigError {
        ConfigError(
            kind: kind, file: location.file, line: location.line, column: location.column,
            field: location.field, message: message)
    }
}

/// Where a value came from, so that errors found after merging still point at it.
struct SourceLocation: Sendable, Equatable {
    var file: String
    var line: Int?
    var column: Int?
    var field: String?

    static let commandLineFile = "command line"
    static let environmentFile = "environment"

    static func commandLine(_ flag: String) -> SourceLocation {
        SourceLocation(file: commandLineFile, field: flag)
    }

    static func defaults(_ field: String) -> SourceLocation {
        SourceLocation(file: "(defaults)", field: field)
    }
}
