import Foundation

/// What one check found.
public struct PreflightResult: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable {
        case passed
        case warning
        case failed

        /// The operations guide's marks.
        public var symbol: String {
            switch self {
            case .passed: return "✓"
            case .warning: return "⚠"
            case .failed: return "✗"
            }
        }
    }

    public var name: String
    /// The check's kind (`http`, `postgres`, ...).
    public var kind: String
    public var status: Status
    /// The line as the operations guide's script prints it, without the mark: `API is healthy (12 ms)`,
    /// `Database is not ready: connection refused (127.0.0.1:5432)`, `Low disk space (85%)`.
    public var message: String
    /// Seconds the check took.
    public var seconds: Double
    /// Measurements for `--json` (`latency_ms`, `used_percent`, `server_version`, ...), already redacted.
    public var details: [String: PreflightDetail]

    public init(name: String, kind: String, status: Status, message: String, seconds: Double, details: [String: PreflightDetail] = [:]) {
        self.name = name
        self.kind = kind
        self.status = status
        self.message = message
        self.seconds = seconds
        self.details = details
    }

    public var line: String { "\(status.symbol) \(message)" }
}

/// One measurement of a check: a number, which `--json` writes as a JSON number, or text.
public enum PreflightDetail: Sendable, Equatable, Encodable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    case text(String)
    case number(Double)

    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }

    /// A count or size.
    public static func count(_ value: Int) -> PreflightDetail { .number(Double(value)) }

    /// A measurement kept to `digits` decimals.
    public static func rounded(_ value: Double, digits: Int) -> PreflightDetail {
        let scale = (0..<max(digits, 0)).reduce(1.0) { product, _ in product * 10 }
        return .number((value * scale).rounded() / scale)
    }

    public var description: String {
        switch self {
        case .text(let text): return text
        case .number(let value): return Self.isWhole(value) ? String(Int64(value)) : String(value)
        }
    }

    /// Whole numbers are written without a fraction (`20`, not `20.0`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .number(let value) where Self.isWhole(value): try container.encode(Int64(value))
        case .number(let value) where value.isFinite: try container.encode(value)
        case .number: try container.encodeNil()
        }
    }

    private static func isWhole(_ value: Double) -> Bool {
        value.isFinite && value.rounded() == value && abs(value) < 9e15
    }
}

/// The whole checklist's outcome, in the checklist's order.
public struct PreflightReport: Sendable, Equatable {
    public var checklist: String
    public var results: [PreflightResult]

    public init(checklist: String, results: [PreflightResult]) {
        self.checklist = checklist
        self.results = results
    }

    public var failures: [PreflightResult] { results.filter { $0.status == .failed } }
    public var warnings: [PreflightResult] { results.filter { $0.status == .warning } }

    /// Failures block a run; warnings only with `strict`.
    public func isReady(strict: Bool) -> Bool {
        failures.isEmpty && (!strict || warnings.isEmpty)
    }

    public func exitStatus(strict: Bool) -> ExitStatus {
        isReady(strict: strict) ? .success : .checkFailed
    }

    /// The closing line: the operations guide's "Environment ready for load testing!", or what blocks it.
    public func verdict(strict: Bool) -> String {
        if isReady(strict: strict) {
            let count = warnings.count
            return count == 0
                ? "Environment ready for load testing!"
                : "Environment ready for load testing! (\(count) warning\(count == 1 ? "" : "s"))"
        }
        var blockers: [String] = []
        if !failures.isEmpty {
            blockers.append("\(failures.count) check\(failures.count == 1 ? "" : "s") failed (\(failures.map(\.name).joined(separator: ", ")))")
        }
        if strict && !warnings.isEmpty {
            blockers.append(
                "\(warnings.count) warning\(warnings.count == 1 ? "" : "s") with --strict (\(warnings.map(\.name).joined(separator: ", ")))")
        }
        return "Not ready for load testing: " + blockers.joined(separator: "; ")
    }

    /// The operations guide's output: one line per check, a blank line, the verdict.
    public func text(strict: Bool) -> String {
        results.map(\.line).joined(separator: "\n") + "\n\n" + verdict(strict: strict) + "\n"
    }

    /// `--json`: `{"checklist", "ready", "strict", "checks": [{name, kind, status, message, duration_ms, details}]}`.
    public func json(strict: Bool) -> String {
        struct Check: Encodable {
            var name: String
            var kind: String
            var status: String
            var message: String
            var duration_ms: Double
            var details: [String: PreflightDetail]
        }
        struct Document: Encodable {
            var checklist: String
            var ready: Bool
            var strict: Bool
            var passed: Int
            var warnings: Int
            var failed: Int
            var verdict: String
            var checks: [Check]
        }
        let document = Document(
            checklist: checklist, ready: isReady(strict: strict), strict: strict,
            passed: results.count - failures.count - warnings.count, warnings: warnings.count, failed: failures.count,
            verdict: verdict(strict: strict),
            checks: results.map {
                Check(
                    name: $0.name, kind: $0.kind, status: $0.status.rawValue, message: $0.message,
                    duration_ms: ($0.seconds * 10_000).rounded() / 10, details: $0.details)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(document) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
