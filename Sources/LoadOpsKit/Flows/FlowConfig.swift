import Foundation

/// A user flow (`flows:` in loadops.yml): steps sent in order by one user, with values carried from
/// one answer to the next request. Each iteration starts with fresh variables and, unless `cookies`
/// is off, an empty cookie jar; the first step that fails (its status, a check, an extraction, the
/// connection) ends the iteration, which then counts as failed, and its later steps are not sent.
public struct FlowConfig: Sendable, Equatable {
    public var name: String
    /// Closed model: share of the users' iterations (as an endpoint's weight).
    public var weight: Double
    /// Open model: iterations started per second, whatever the server does.
    public var rate: Double?
    /// Pause between two steps of an iteration, seconds (uniform between the bounds); nil for none.
    public var thinkTime: ClosedRange<Double>?
    /// Values made once per iteration, in order (`vars: { id: "{uuid}" }`); a later one may use an earlier one.
    public var variables: [FlowVariable]
    /// Rows of a CSV file whose columns become variables.
    public var data: FlowData?
    /// Each user (open model: each iteration) keeps its own cookies, as a browser would.
    public var cookies: Bool
    public var steps: [FlowStep]

    public init(name: String, weight: Double = 1, rate: Double? = nil, thinkTime: ClosedRange<Double>? = nil,
                variables: [FlowVariable] = [], data: FlowData? = nil, cookies: Bool = true, steps: [FlowStep]) {
        self.name = name
        self.weight = weight
        self.rate = rate
        self.thinkTime = thinkTime
        self.variables = variables
        self.data = data
        self.cookies = cookies
        self.steps = steps
    }

    /// Every variable name an iteration can hold, in the order the generator numbers them: the data
    /// file's columns, then `vars`, then each step's extractions in step order.
    public var variableNames: [String] {
        var names: [String] = data?.columns ?? []
        for variable in variables where !names.contains(variable.name) { names.append(variable.name) }
        for step in steps {
            for extraction in step.extractions where !names.contains(extraction.variable) { names.append(extraction.variable) }
        }
        return names
    }
}

/// `vars: { id: "{uuid}" }`: a value made at the start of every iteration from a template
/// (placeholders, data columns and earlier variables).
public struct FlowVariable: Sendable, Equatable {
    public var name: String
    public var template: String

    public init(name: String, template: String) {
        self.name = name
        self.template = template
    }
}

/// A data file (`data: accounts.csv`): a header row names the columns, each later row is one set of values.
public struct FlowData: Sendable, Equatable {
    /// The file's path as resolved (relative to loadops.yml), for messages.
    public var path: String
    public var pick: FlowDataPick
    public var columns: [String]
    /// Read when the configuration is loaded: a missing file or column is a configuration error,
    /// not a failure in the middle of a run. Never printed, stored or reported: rows often hold passwords.
    public var rows: [[String]]

    public init(path: String, pick: FlowDataPick = .perUser, columns: [String], rows: [[String]]) {
        self.path = path
        self.pick = pick
        self.columns = columns
        self.rows = rows
    }
}

/// Which row of a data file an iteration gets.
public enum FlowDataPick: String, Sendable, Equatable, CaseIterable {
    /// Each user keeps one row, users taking rows in turn (open model: each iteration is a new user).
    case perUser = "per_user"
    /// Each iteration takes the next row, in turn.
    case perIteration = "per_iteration"
    /// Each iteration takes a row at random.
    case random
}

/// One request of a flow, what to take from its answer and what to check in it.
public struct FlowStep: Sendable, Equatable {
    /// Method, path, headers, body and expected statuses, as an endpoint has them; its name (default
    /// `METHOD path`) is the step's row in every report.
    public var request: EndpointConfig
    public var extractions: [Extraction]
    public var checks: [ResponseCheck]

    public init(request: EndpointConfig, extractions: [Extraction] = [], checks: [ResponseCheck] = []) {
        self.request = request
        self.extractions = extractions
        self.checks = checks
    }

    /// The answer's head and body are needed (extractions, checks beyond the status, cookies).
    public func needsAnswer(cookies: Bool) -> Bool {
        cookies || !extractions.isEmpty || checks.contains { check in
            if case .status = check.condition { return false }
            return true
        }
    }
}

/// `extract: { token: $.data.token }`: a value taken from an answer into a variable.
public struct Extraction: Sendable, Equatable {
    public var variable: String
    public var source: ExtractionSource

    public init(variable: String, source: ExtractionSource) {
        self.variable = variable
        self.source = source
    }
}

public enum ExtractionSource: Sendable, Equatable {
    /// A JSON path into the body (`$.data.token`, `$.items[0].id`); a string is taken without its quotes,
    /// a number or a Boolean as written.
    case jsonPath(JSONPath)
    /// A response header's value (the first, if there are several), by case-insensitive name.
    case header(String)
    /// The first match's one capture group in the body.
    case regex(String)
}

/// A check on an answer. A failed check fails the request, with the check's name as the failure
/// message (Locust's `catch_response`), so it shows in the failures CSV and in the thresholds.
public struct ResponseCheck: Sendable, Equatable {
    public var name: String
    public var condition: CheckCondition

    public init(name: String, condition: CheckCondition) {
        self.name = name
        self.condition = condition
    }
}

public enum CheckCondition: Sendable, Equatable {
    /// The status is one of these.
    case status([Int])
    /// The JSON path finds a value (`null` included).
    case jsonPathExists(JSONPath)
    /// The JSON path's value, as text (a string without its quotes), equals this template once its
    /// variables are filled.
    case jsonPathEquals(JSONPath, template: String)
    /// The body contains this template's text once its variables are filled.
    case bodyContains(template: String)
    /// The body has fewer than this many bytes.
    case bodySmallerThan(bytes: Int)
}

/// A JSON path as loadops reads it: `$`, then `.name`, `['name']` and `[index]` steps (a negative
/// index counts from the end). No wildcards or filters: a path names one value.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]
    /// As written in loadops.yml, for messages and default check names.
    public var text: String

    public init(components: [Component], text: String) {
        self.components = components
        self.text = text
    }

    public var description: String { text }
}
