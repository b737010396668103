import Foundation

/// JUnit XML for CI systems: one test case per threshold and per comparison figure,
/// a `<failure>` for each failed threshold and each regression.
public enum JUnitReport {
    public static func render(document: ResultsDocument, thresholds: [ThresholdOutcome], comparison: ComparisonReport?) -> String {
        var suites: [Suite] = []

        var thresholdCases: [Case] = []
        for outcome in thresholds {
            var testCase = Case(className: "loadops.thresholds.\(outcome.scope)", name: outcome.expression)
            testCase.output = "observed \(outcome.observed)"
            if !outcome.passed {
                testCase.failure = (message: "\(outcome.scope): \(outcome.expression) failed (observed \(outcome.observed))",
                                    type: "threshold")
            }
            thresholdCases.append(testCase)
        }
        suites.append(Suite(name: "thresholds", cases: thresholdCases))

        if let comparison {
            var comparisonCases: [Case] = []
            for scope in comparison.scopes {
                guard scope.presence == .both else {
                    var testCase = Case(className: "loadops.comparison.\(scope.title)", name: "present in both runs")
                    testCase.skipped = ComparisonRenderer.presenceLine(scope)
                    comparisonCases.append(testCase)
                    continue
                }
                for row in scope.rows {
                    var testCase = Case(className: "loadops.comparison.\(scope.title)", name: row.metric.rawValue)
                    let text = "baseline \(ComparisonRenderer.value(row.baseline, row.metric, of: scope)), "
                        + "current \(ComparisonRenderer.value(row.current, row.metric, of: scope)), change \(row.changeText): \(row.flag.symbol)"
                    testCase.output = text
                    switch row.flag {
                    case .regression:
                        testCase.failure = (message: "\(scope.title) \(row.metric.rawValue) regressed: \(text)", type: "regression")
                    case .notComparable:
                        testCase.skipped = "not measured on both sides"
                    case .ok, .improvement:
                        break
                    }
                    comparisonCases.append(testCase)
                }
            }
            suites.append(Suite(name: "comparison against \(comparison.baselineLabel)", cases: comparisonCases))
        }

        let timestamp = ResultsDocument.iso8601(fractional: false).string(from: document.startedAt)
        let total = suites.reduce(0) { $0 + $1.cases.count }
        let failures = suites.reduce(0) { $0 + $1.failures }
        var lines = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
            "<testsuites name=\"loadops\" tests=\"\(total)\" failures=\"\(failures)\" errors=\"0\" time=\"\(ReportNumber.decimal(document.durationSeconds, places: 3))\">",
        ]
        for suite in suites {
            lines.append("  <testsuite name=\"\(escape(suite.name))\" tests=\"\(suite.cases.count)\" failures=\"\(suite.failures)\" "
                         + "errors=\"0\" skipped=\"\(suite.skipped)\" timestamp=\"\(timestamp)\" hostname=\"\(escape(document.host))\">")
            for testCase in suite.cases {
                let open = "    <testcase classname=\"\(escape(testCase.className))\" name=\"\(escape(testCase.name))\""
                var body: [String] = []
                if let failure = testCase.failure {
                    body.append("      <failure message=\"\(escape(failure.message))\" type=\"\(failure.type)\">\(escape(failure.message))</failure>")
                }
                if let skipped = testCase.skipped {
                    body.append("      <skipped message=\"\(escape(skipped))\"/>")
                }
                if let output = testCase.output {
                    body.append("      <system-out>\(escape(output))</system-out>")
                }
                if body.isEmpty {
                    lines.append(open + "/>")
                } else {
                    lines.append(open + ">")
                    lines += body
                    lines.append("    </testcase>")
                }
            }
            lines.append("  </testsuite>")
        }
        lines.append("</testsuites>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the XML to `path` atomically.
    public static func write(document: ResultsDocument, thresholds: [ThresholdOutcome], comparison: ComparisonReport?,
                             to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try AtomicFileWriter.createFolder(folder) }
        let xml = render(document: document, thresholds: thresholds, comparison: comparison)
        try AtomicFileWriter.write(Data(xml.utf8), to: path)
    }

    /// Text and attribute content. Characters XML 1.0 cannot carry at all (most control characters) are dropped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\n": escaped += "&#10;"
            case "\r": escaped += "&#13;"
            case "\t": escaped += "&#9;"
            default:
                let value = scalar.value
                let allowed = value >= 0x20 && !(0xD800...0xDFFF).contains(value) && value != 0xFFFE && value != 0xFFFF
                if allowed { escaped.unicodeScalars.append(scalar) }
            }
        }
        return escaped
    }

    private struct Case {
        var className: String
        var name: String
        var failure: (message: String, type: String)?
        var skipped: String?
        var output: String?
    }

    private struct Suite {
        var name: String
        var cases: [Case]
        var failures: Int { cases.filter { $0.failure != nil }.count }
        var skipped: Int { cases.filter { $0.skipped != nil }.count }
    }
}
