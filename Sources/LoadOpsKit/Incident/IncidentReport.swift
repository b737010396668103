import Foundation

/// `incident.md`: what an aborted run leaves for the person on call, the operations guide's incident
/// response done for them. Each part is gathered within its own time limit by `IncidentInvestigation`;
/// a part that could not be gathered says why instead. Everything in it is already masked.
public struct IncidentReport: Sendable {
    /// One answer of the target, fetched again after the abort or kept from the run.
    public struct SampleAnswer: Sendable, Equatable {
        /// `GET /orders/{uuid}`.
        public var endpoint: String
        /// `HTTP 500`, `connection refused`.
        public var outcome: String
        /// The first bytes of the body, as text.
        public var bodyStart: String
    }

    /// A command of the configuration's `incident:` list and what it printed.
    public struct CommandOutput: Sendable, Equatable {
        public var command: String
        /// `exit 0`, `exit 2`, `stopped after 10 s`.
        public var status: String
        /// Standard output and error, cut to the last `IncidentInvestigation.outputLimit` bytes.
        public var output: String
    }

    /// A part that is there, or why it is not.
    public enum Part<Value: Sendable & Equatable>: Sendable, Equatable {
        case found(Value)
        case missing(String)
    }

    public var title: String
    /// The rule with what was observed: `error_rate > 5% over 30s (observed 20%)`.
    public var rule: String
    /// Seconds since the start of the run, and the wall-clock time.
    public var firedAfter: Double
    public var firedAt: Date
    /// `users 50, 812 requests/s, 20% failed` in the last second before the abort.
    public var lastSecond: String?
    /// The warnings that held when the rule fired.
    public var activeWarnings: [String]
    /// The last monitor round, a line per source.
    public var monitor: [String]
    /// Failures by kind with their counts, most first.
    public var failures: [(kind: String, count: UInt64)]
    public var sampleAnswers: [SampleAnswer]
    /// The health check of the API (the preflight `http` check), as its line.
    public var health: Part<String>
    /// PostgreSQL's slowest statements by mean time (`pg_stat_statements`), as table rows.
    public var slowStatements: Part<[[String]]>?
    /// Redis `INFO memory`, the lines that matter.
    public var redisMemory: Part<String>?
    public var commands: [CommandOutput]

    public static let fileName = "incident.md"

    public var markdown: String {
        var lines: [String] = []
        lines.append("# Incident: \(title)")
        lines.append("")
        lines.append("The run was stopped by the abort rule `\(Self.code(rule))` "
                     + "\(ReportNumber.clock(firedAfter)) into the run (\(Self.timestamp(firedAt))).")
        if let lastSecond { lines.append("Its last second: \(lastSecond).") }
        lines.append("")
        if !activeWarnings.isEmpty {
            lines.append("## Warnings at the time")
            lines.append("")
            lines += activeWarnings.map { "- \($0)" }
            lines.append("")
        }
        lines.append("## Failures by kind")
        lines.append("")
        if failures.isEmpty {
            lines.append("No request failed.")
        } else {
            lines.append("| kind | count |")
            lines.append("|---|---|")
            lines += failures.map { "| \(Self.cell($0.kind)) | \($0.count) |" }
        }
        lines.append("")
        lines.append("## Sample answers")
        lines.append("")
        if sampleAnswers.isEmpty {
            lines.append("None kept.")
        } else {
            for answer in sampleAnswers {
                lines.append("- `\(Self.code(answer.endpoint))`: \(answer.outcome)")
                if !answer.bodyStart.isEmpty {
                    lines.append("")
                    lines.append(Self.fence(answer.bodyStart, indent: "  "))
                }
            }
        }
        lines.append("")
        lines.append("## Health check of the API")
        lines.append("")
        switch health {
        case .found(let line): lines.append(line)
        case .missing(let why): lines.append(why)
        }
        lines.append("")
        if !monitor.isEmpty {
            lines.append("## Last monitor samples")
            lines.append("")
            lines += monitor.map { "- \($0)" }
            lines.append("")
        }
        if let slowStatements {
            lines.append("## Slowest PostgreSQL statements (pg_stat_statements, by mean time)")
            lines.append("")
            switch slowStatements {
            case .found(let rows) where rows.isEmpty:
                lines.append("pg_stat_statements has no statements recorded.")
            case .found(let rows):
                lines.append("| mean (ms) | calls | total (ms) | statement |")
                lines.append("|---|---|---|---|")
                lines += rows.map { "| " + $0.map(Self.cell).joined(separator: " | ") + " |" }
            case .missing(let why):
                lines.append(why)
            }
            lines.append("")
        }
        if let redisMemory {
            lines.append("## Redis INFO memory")
            lines.append("")
            switch redisMemory {
            case .found(let text): lines.append(Self.fence(text, indent: ""))
            case .missing(let why): lines.append(why)
            }
            lines.append("")
        }
        if !commands.isEmpty {
            lines.append("## Incident commands")
            lines.append("")
            for command in commands {
                lines.append("### `\(Self.code(command.command))` (\(command.status))")
                lines.append("")
                lines.append(command.output.isEmpty ? "(no output)" : Self.fence(command.output, indent: ""))
                lines.append("")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Text inside backticks cannot close them early.
    static func code(_ text: String) -> String { text.replacingOccurrences(of: "`", with: "'") }

    /// A table cell on one line, with its pipes escaped.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }

    /// A fenced block long enough that no line of `text` closes it.
    static func fence(_ text: String, indent: String) -> String {
        var fence = "```"
        while text.contains(fence) { fence += "`" }
        let trimmed = text.hasSuffix("\n") ? String(text.dropLast()) : text
        let body = trimmed.split(separator: "\n", omittingEmptySubsequences: false).map { indent + $0 }.joined(separator: "\n")
        return "\(indent)\(fence)text\n\(body)\n\(indent)\(fence)"
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601Timestamp.format(date, fractional: false)
    }
}
