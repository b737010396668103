import Foundation

/// Taking values out of an answer, for flow steps. Regular expressions are compiled once, before
/// the run (`CompiledExtraction`); `extract(_:from:)` compiles on each call and suits tests and
/// one-off use.
public enum AnswerInspection {
    /// The value `source` names in `answer`, or nil when it is not there.
    public static func extract(_ source: ExtractionSource, from answer: CapturedAnswer) -> String? {
        (try? CompiledExtraction(source))?.extract(from: answer)
    }

    /// Checks a pattern for `extract: { name: { regex: ... } }` as the configuration reader meets it:
    /// it must compile, and have exactly one capture group (the value taken).
    public static func validateRegexPattern(_ pattern: String) throws(RegexPatternError) {
        _ = try CompiledRegex(pattern)
    }

    /// `extraction of token failed: $.data.token not found`.
    public static func extractionFailureMessage(variable: String, reason: String) -> String {
        "extraction of \(variable) failed: \(reason)"
    }
}

/// A regular expression that does not compile, or does not have exactly one capture group.
public struct RegexPatternError: Error, Equatable, Sendable, CustomStringConvertible {
    public var pattern: String
    /// What is wrong, written for the person who wrote the pattern.
    public var message: String

    public init(pattern: String, message: String) {
        self.pattern = pattern
        self.message = message
    }

    public var description: String { message }
}

/// An extraction's source ready for the run: its regular expression, if any, compiled.
public struct CompiledExtraction: Sendable {
    public let source: ExtractionSource
    private let regex: CompiledRegex?

    public init(_ source: ExtractionSource) throws(RegexPatternError) {
        self.source = source
        if case .regex(let pattern) = source {
            regex = try CompiledRegex(pattern)
        } else {
            regex = nil
        }
    }

    /// The value (JSON: as `JSONValueText.text`), or nil when it is not there.
    public func extract(from answer: CapturedAnswer) -> String? {
        switch source {
        case .jsonPath(let path): path.value(in: answer.body)?.text
        case .header(let name): answer.header(name)
        case .regex: regex?.firstCapture(in: answer.body)
        }
    }

    /// Why `extract(from:)` found nothing, from the configuration alone: `$.data.token not found`,
    /// `header X-Session-Id not found`, `regex found no match`.
    public var notFoundReason: String {
        switch source {
        case .jsonPath(let path): "\(path.text) not found"
        case .header(let name): "header \(name) not found"
        case .regex: "regex found no match"
        }
    }

    /// `notFoundReason`, saying also when the body is not JSON at all (an HTML error page...) or
    /// the answer could not be read (nil). Fixed words and configuration text only, never the
    /// answer's bytes: a server must not mint a new failure kind per answer.
    public func notFoundReason(in answer: CapturedAnswer?) -> String {
        guard let answer else { return "\(notFoundReason) (the answer could not be read)" }
        if case .jsonPath(let path) = source, path.lookup(in: answer.body) == .notJSON {
            return "\(notFoundReason) (the body is not JSON)"
        }
        return notFoundReason
    }
}

/// Checks on an answer (`checks:` of a flow step).
public enum ResponseCheckEvaluation {
    /// Whether `condition` holds. `status` is the answer's; `answer` is nil when it was not captured
    /// (a step whose checks only look at the status) or could not be read, and then every condition
    /// but the status fails. `expected`: the rendered template of `jsonPathEquals` and
    /// `bodyContains` (ignored by the others).
    public static func passes(_ condition: CheckCondition, status: Int, answer: CapturedAnswer?, expected: String) -> Bool {
        switch condition {
        case .status(let statuses):
            return statuses.contains(status)
        case .jsonPathExists(let path):
            return answer.map { path.value(in: $0.body) != nil } ?? false
        case .jsonPathEquals(let path, _):
            return answer.map { path.value(in: $0.body)?.text == expected } ?? false
        case .bodyContains:
            return answer.map { contains($0.body, Array(expected.utf8)) } ?? false
        case .bodySmallerThan(let limit):
            return answer.map { $0.body.count < limit } ?? false
        }
    }

    /// Nil when `check` passes, else its failure message: the check's name, as Locust shows a
    /// `catch_response` failure.
    public static func failure(of check: ResponseCheck, status: Int, answer: CapturedAnswer?, expected: String) -> String? {
        passes(check.condition, status: status, answer: answer, expected: expected) ? nil : check.name
    }

    /// The template of `jsonPathEquals` and `bodyContains`, which the caller renders into `expected`;
    /// nil for the other conditions.
    public static func template(of condition: CheckCondition) -> String? {
        switch condition {
        case .jsonPathEquals(_, let template), .bodyContains(let template): template
        case .status, .jsonPathExists, .bodySmallerThan: nil
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        let lastStart = haystack.count - needle.count
        var start = 0
        while start <= lastStart {
            guard let found = haystack[start...lastStart].firstIndex(of: first) else { return false }
            if haystack[found..<(found + needle.count)].elementsEqual(needle) { return true }
            start = found + 1
        }
        return false
    }
}

extension ResponseCheck {
    /// The name of a check written without one: `status is 200 or 201`, `$.data.token exists`,
    /// `$.status equals "checked_in"`, `body contains "ok"`, `body smaller than 65536 bytes`.
    public static func defaultName(for condition: CheckCondition) -> String {
        switch condition {
        case .status(let statuses):
            let codes = statuses.map(String.init)
            guard let last = codes.last else { return "status is any" }
            return codes.count == 1 ? "status is \(last)" : "status is \(codes.dropLast().joined(separator: ", ")) or \(last)"
        case .jsonPathExists(let path):
            return "\(path.text) exists"
        case .jsonPathEquals(let path, let template):
            return "\(path.text) equals \"\(template)\""
        case .bodyContains(let template):
            return "body contains \"\(template)\""
        case .bodySmallerThan(let bytes):
            return "body smaller than \(bytes) bytes"
        }
    }
}

/// A compiled regular expression with one capture group. NSRegularExpression is immutable and
/// documented as safe to use from several threads at once; Foundation on Linux does not say so
/// in its type.
final class CompiledRegex: @unchecked Sendable {
    let expression: NSRegularExpression

    init(_ pattern: String) throws(RegexPatternError) {
        do {
            expression = try NSRegularExpression(pattern: pattern)
        } catch {
            throw RegexPatternError(pattern: pattern, message: "not a valid regular expression (ICU syntax, as in token=([^&\"]+))")
        }
        let groups = expression.numberOfCaptureGroups
        guard groups == 1 else {
            throw RegexPatternError(
                pattern: pattern,
                message: "a regex extraction needs exactly one capture group, around the value to take; this one has \(groups)"
                    + (groups > 1 ? " (write (?:...) for a group that only groups)" : " (write ( ) around the value)"))
        }
    }

    /// The first match's group in `body` read as UTF-8 text (bytes that are not UTF-8 read as U+FFFD);
    /// nil without a match, or when the group took no part in it.
    func firstCapture(in body: [UInt8]) -> String? {
        let text = String(decoding: body, as: UTF8.self)
        let whole = NSRange(text.startIndex..<text.endIndex, in: text)
        guard let match = expression.firstMatch(in: text, options: [], range: whole),
              let range = Range(match.range(at: 1), in: text) else { return nil }
        return String(text[range])
    }
}
