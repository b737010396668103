import Foundation

/// A results or baseline file that cannot be used.
public enum ResultsDocumentError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    /// `field` is the JSON path, e.g. `endpoints[2].requests`; nil when the file is not JSON at all.
    case malformed(path: String, field: String?, reason: String)
    case unsupportedSchemaVersion(path: String, version: Int)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason):
            return "cannot read results file \(path): \(reason)"
        case .malformed(let path, let field?, let reason):
            return "\(path): field `\(field)`: \(reason)"
        case .malformed(let path, nil, let reason):
            return "\(path): \(reason)"
        case .unsupportedSchemaVersion(let path, let version):
            return "\(path): schema_version \(version) is not supported (this loadops reads schema_version \(ResultsDocument.currentSchemaVersion))"
        }
    }
}

extension ResultsDocument {
    /// Pretty-printed JSON with sorted keys, so the same run always gives the same bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601Timestamp.format(date, fractional: true))
        }
        var data = try encoder.encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    public static func load(from path: String) throws(ResultsDocumentError) -> ResultsDocument {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(path: path, reason: FileErrorReason.text(error))
        }
        return try decode(data, path: path)
    }

    /// Decodes `data`; `path` names the source in errors.
    public static func decode(_ data: Data, path: String) throws(ResultsDocumentError) -> ResultsDocument {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = ISO8601Timestamp.parse(text) {
                return date
            }
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an ISO 8601 date such as 2025-01-31T12:00:00Z, found \"\(text)\"")
        }
        // Check the version first: a newer schema's errors would only confuse.
        if let version = try? decoder.decode(VersionProbe.self, from: data).schemaVersion, version != currentSchemaVersion {
            throw .unsupportedSchemaVersion(path: path, version: version)
        }
        let document: ResultsDocument
        do {
            document = try decoder.decode(ResultsDocument.self, from: data)
        } catch let error as DecodingError {
            throw describe(error, path: path)
        } catch {
            throw .malformed(path: path, field: nil, reason: "\(error)")
        }
        try document.checkFigures(path: path)
        return document
    }

    private struct VersionProbe: Decodable {
        var schemaVersion: Int
        enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }
    }

    /// How results files write dates: UTC, with milliseconds when `fractional`. Reading accepts both forms.
    static func iso8601(fractional: Bool) -> ISO8601Timestamp {
        ISO8601Timestamp(fractional: fractional)
    }

    static func describe(_ error: DecodingError, path: String) -> ResultsDocumentError {
        switch error {
        case .typeMismatch(let type, let context):
            return .malformed(path: path, field: fieldPath(context.codingPath),
                              reason: "expected \(describe(type: type))\(found(in: context.debugDescription))")
        case .valueNotFound(let type, let context):
            return .malformed(path: path, field: fieldPath(context.codingPath),
                              reason: "expected \(describe(type: type)), found null")
        case .keyNotFound(let key, let context):
            return .malformed(path: path, field: fieldPath(context.codingPath + [key]), reason: "required field is missing")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                var reason = "not valid JSON"
                if let underlying = context.underlyingError as NSError?,
                   let detail = underlying.userInfo[NSDebugDescriptionErrorKey] as? String {
                    reason += " (\(detail))"
                }
                return .malformed(path: path, field: nil, reason: reason)
            }
            return .malformed(path: path, field: fieldPath(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .malformed(path: path, field: nil, reason: "\(error)")
        }
    }

    /// `endpoints[2].requests`, `aggregate.percentiles["99.9"]`.
    static func fieldPath(_ codingPath: [any CodingKey]) -> String {
        var text = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue == "Index \(index)" {
                text += "[\(index)]"
            } else if key.intValue != nil || key.stringValue.contains(".") {
                text += "[\"\(key.stringValue)\"]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text.isEmpty ? "(top level)" : text
    }

    private static func describe(type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type, is Int64.Type, is UInt.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasPrefix("[") && !name.contains(":") { return "a list" }
            if name.hasPrefix("Dictionary") || name.hasPrefix("[") { return "an object" }
            return name
        }
    }

    /// The "found a string" part of Foundation's "Expected to decode Int but found a string instead.".
    private static func found(in debugDescription: String) -> String {
        guard let range = debugDescription.range(of: "but found ") else { return "" }
        var rest = String(debugDescription[range.upperBound...])
        if rest.hasSuffix(" instead.") { rest.removeLast(" instead.".count) }
        return ", found \(rest)"
    }
}

// In an extension, so the memberwise initialiser stays.
extension ResultsDocument.Load {
    /// Users and spawn rate mean nothing for the open model, so its files leave them out (read as 0).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        model = try container.decode(String.self, forKey: .model)
        users = try container.decodeIfPresent(Int.self, forKey: .users) ?? 0
        spawnRate = try container.decodeIfPresent(Double.self, forKey: .spawnRate) ?? 0
        duration = try container.decode(Double.self, forKey: .duration)
        thinkTime = try container.decodeIfPresent(ResultsDocument.ThinkTime.self, forKey: .thinkTime)
        rate = try container.decodeIfPresent(Double.self, forKey: .rate)
        maxConnections = try container.decode(Int.self, forKey: .maxConnections)
        timeout = try container.decode(Double.self, forKey: .timeout)
        stages = try container.decode([ResultsDocument.Stage].self, forKey: .stages)
        requests = try container.decodeIfPresent(Int.self, forKey: .requests)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        if model != LoadModel.open.rawValue {
            try container.encode(users, forKey: .users)
            try container.encode(spawnRate, forKey: .spawnRate)
        }
        try container.encode(duration, forKey: .duration)
        try container.encodeIfPresent(thinkTime, forKey: .thinkTime)
        try container.encodeIfPresent(rate, forKey: .rate)
        try container.encode(maxConnections, forKey: .maxConnections)
        try container.encode(timeout, forKey: .timeout)
        try container.encode(stages, forKey: .stages)
        try container.encodeIfPresent(requests, forKey: .requests)
    }
}

// In an extension, so the memberwise initialiser stays.
extension ResultsDocument.Endpoint {
    /// Percentiles are read by their `results.json` keys; a key naming no reported percentile is left out.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        method = try container.decode(String.self, forKey: .method)
        name = try container.decode(String.self, forKey: .name)
        requests = try container.decode(UInt64.self, forKey: .requests)
        failures = try container.decode(UInt64.self, forKey: .failures)
        successRate = try container.decode(Double.self, forKey: .successRate)
        errorRate = try container.decode(Double.self, forKey: .errorRate)
        rps = try container.decode(Double.self, forKey: .rps)
        failuresPerSecond = try container.decode(Double.self, forKey: .failuresPerSecond)
        minMs = try container.decode(Double.self, forKey: .minMs)
        maxMs = try container.decode(Double.self, forKey: .maxMs)
        meanMs = try container.decode(Double.self, forKey: .meanMs)
        medianMs = try container.decode(Double.self, forKey: .medianMs)
        percentiles = Percentile.keyed(try container.decode([String: Double].self, forKey: .percentiles))
        uncorrectedPercentiles = Percentile.keyed(try container.decode([String: Double].self, forKey: .uncorrectedPercentiles))
        avgContentSize = try container.decode(Double.self, forKey: .avgContentSize)
        failuresByKind = try container.decode([String: UInt64].self, forKey: .failuresByKind)
        phases = try container.decodeIfPresent(ResultsDocument.Phases.self, forKey: .phases)
    }
}
