import Foundation
import Yams

/// Reads the `flows:` section: user flows, steps sent in order by one user with values carried
/// from one answer to the next request. Beside `endpoints:` or instead of it.
///
/// ```yaml
/// flows:
///   - name: checkin                 # required, unique
///     weight: 1                     # closed model: share of the users' iterations (default 1)
///     rate: 3005/min                # open model: iterations started per time unit (as an endpoint's rate)
///     think_time: 1s-3s             # pause after each step and iteration (default: load.think_time)
///     cookies: true                 # each user keeps its cookies (default true)
///     data: accounts.csv            # or { file: accounts.csv, pick: per_user | per_iteration | random, columns: [username, password] }
///     vars:                         # made once per iteration, in order, from placeholders ({uuid},
///       id: "{uuid}"                # {int:1-9}, {seq}), data columns and earlier vars
///     steps:
///       - post /sessions/{id}                         # an endpoint's shorthand, no details
///       - "get /sessions/{id}":                        # shorthand with details
///           name: read session                         # default: "GET /sessions/{id}" (METHOD path)
///           headers: { X-Trace: "{id}" }
///           expect: 200
///           check:                                     # a list; each item one condition and an optional name
///             - status: 200                            # or [200, 201]
///             - json: $.id                             # the value exists
///             - { json: $.id, equals: "{id}" }         # the value, as text, equals the template
///             - body_contains: authorized              # a template
///             - body_under: 64KB                       # bytes; B, KB (1024), MB (1048576)
///             - { status: 200, name: session readable }
///           extract:
///             token: $.data.token                      # a JSON path (a scalar starting with $)
///             session: { header: X-Session-Id }
///             csrf: { regex: 'name="csrf" value="([^"]+)"' }   # exactly one capture group
///       - { method: POST, path: "/patient_checkin/{id}", body: { id: "{id}" }, check: [{ status: 200 }] }
/// ```
///
/// A step's keys are an endpoint's (read by `EndpointParser`, so both accept the same requests)
/// without `weight` and `rate`, plus `check` and `extract`. `{name}` in a step's path, headers,
/// body and check templates is a variable when the flow sets it: a data column, a `vars` entry, or
/// an extraction of an earlier step. Checks see the variables set before their step.
enum FlowParser {
    static let flowKeys = ["name", "weight", "rate", "think_time", "cookies", "data", "vars", "steps"]
    static let stepKeys = ["name", "method", "path", "headers", "body", "expect", "check", "extract"]
    static let dataKeys = ["file", "pick", "columns"]
    static let checkKeys = ["status", "json", "equals", "body_contains", "body_under", "name"]
    static let checkConditionKeys = ["status", "json", "body_contains", "body_under"]
    static let extractionKeys = ["json", "header", "regex"]

    static let unsetHint = "set it under vars, extract it in an earlier step, or name a data column"

    struct Parsed {
        var flow: FlowConfig
        var locations: FlowLocations
    }

    /// `resolvePath`: a data file's path as written to the path opened (relative to loadops.yml, `~`).
    static func parse(_ node: ConfigNode, resolvePath: (String) -> String) throws -> [Parsed] {
        var parsed: [Parsed] = []
        var names: [String: SourceLocation] = [:]
        for item in try node.sequence(expected: "a list of flows such as - { name: checkin, steps: [get /health] }") {
            let flow = try parseFlow(item, resolvePath: resolvePath)
            if let earlier = names[flow.flow.name] {
                throw ConfigError.invalid(
                    flow.locations.name,
                    "flow \"\(flow.flow.name)\" is already defined at \(earlier.position): give each flow its own name")
            }
            names[flow.flow.name] = flow.locations.name
            parsed.append(flow)
        }
        return parsed
    }

    private static func parseFlow(_ item: ConfigNode, resolvePath: (String) -> String) throws -> Parsed {
        let fields = try item.mapping(allowedKeys: flowKeys, expected: "a flow: a mapping with name and steps")
        guard let nameNode = fields["name"] else {
            throw item.error("a flow needs a name, e.g. - { name: checkin, steps: [get /health] }")
        }
        var flow = FlowConfig(name: try nameNode.string(expected: "a flow name"), steps: [])
        var locations = FlowLocations(flow: item.location, name: nameNode.location)
        if let weight = fields["weight"] { flow.weight = try weight.parse(.positiveNumber(atMost: LoadLimits.maximumWeight)) }
        if let rate = fields["rate"] {
            flow.rate = try rate.parse(.positiveRate)
            locations.rate = rate.location
        }
        if let thinkTime = fields["think_time"] { flow.thinkTime = try thinkTime.parse(.thinkTime) }
        if let cookies = fields["cookies"] { flow.cookies = try cookies.bool() }
        if let data = fields["data"] { flow.data = try parseData(data, resolvePath: resolvePath) }
        let columns = flow.data?.columns ?? []

        guard let stepsNode = fields["steps"] else {
            throw item.error("a flow needs steps, e.g. steps: [post /sessions/{uuid}]")
        }
        let stepItems = try stepsNode.sequence(expected: "a list of steps such as - post /sessions/{id}")
        guard !stepItems.isEmpty else { throw stepsNode.error("a flow needs at least one step") }
        // What each step extracts, read ahead, so a variable used too early is told where it is set.
        let extractedAhead = stepItems.map(extractedNames)

        if let vars = fields["vars"] {
            flow.variables = try parseVariables(vars, columns: columns, extractedAhead: extractedAhead, stepItems: stepItems)
        }

        var known = Set(columns).union(flow.variables.map(\.name))
        let defined = Set(known)
        for (index, stepItem) in stepItems.enumerated() {
            var later: [String: String] = [:]
            for laterIndex in stepItems.indices.reversed() where laterIndex >= index {
                for name in extractedAhead[laterIndex] where !known.contains(name) {
                    later[name] = laterIndex == index
                        ? "it is extracted from this step's own answer, so only the steps after it can use it"
                        : "it is extracted only in step \(laterIndex + 1) (\(stepItems[laterIndex].path))"
                }
            }
            let scope = FlowVariableScope(known: known, setLater: later, all: Array(defined) + extractedAhead.flatMap { $0 })
            let step = try parseStep(stepItem, scope: scope, reserved: defined)
            flow.steps.append(step)
            locations.steps.append(stepItem.location)
            known.formUnion(step.extractions.map(\.variable))
        }
        return Parsed(flow: flow, locations: locations)
    }

    // MARK: vars

    private static func parseVariables(
        _ node: ConfigNode, columns: [String], extractedAhead: [[String]], stepItems: [ConfigNode]
    ) throws -> [FlowVariable] {
        let entries = try node.openMapping(expected: "a mapping of variable names to templates, such as id: \"{uuid}\"")
        var variables: [FlowVariable] = []
        for (index, entry) in entries.enumerated() {
            try checkVariableName(entry.key, at: entry.keyNode)
            if columns.contains(entry.key) {
                throw entry.keyNode.error("\(entry.key) is already a column of the data file: give the variable another name")
            }
            guard !entry.value.isNull else {
                throw entry.value.error("expected a template such as \"{uuid}\" or \"user-{seq}\", got nothing")
            }
            let template = try entry.value.scalarText(expected: "a template (text) such as \"{uuid}\"")
            var later: [String: String] = [:]
            for laterEntry in entries[(index)...] {
                later[laterEntry.key] = laterEntry.key == entry.key
                    ? "a variable cannot be made from itself"
                    : "vars are made in order, and \(laterEntry.key) comes after \(entry.key)"
            }
            for (stepIndex, names) in extractedAhead.enumerated() {
                for name in names where later[name] == nil && !columns.contains(name) && !variables.contains(where: { $0.name == name }) {
                    later[name] = "it is extracted only in step \(stepIndex + 1) (\(stepItems[stepIndex].path)), "
                        + "and vars are made before the first step"
                }
            }
            let scope = FlowVariableScope(
                known: Set(columns).union(variables.map(\.name)), setLater: later,
                all: columns + entries.map(\.key) + extractedAhead.flatMap { $0 })
            try EndpointParser.checkPlaceholders(in: template, at: entry.value, scope: scope)
            variables.append(FlowVariable(name: entry.key, template: template))
        }
        return variables
    }

    /// A variable's name: what `PlaceholderSyntax` reads as one (`{name}`), not a built-in placeholder.
    static func variableNameProblem(_ name: String) -> String? {
        if name == "uuid" || name == "seq" || name.hasPrefix("int:") {
            return "\"\(name)\" is a built-in placeholder ({\(name)}): give the variable another name"
        }
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic),
            name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") })
        else {
            return "\(ValueFormatError.quoted(name)) cannot be a variable name: use letters, digits, _ and -, starting with a letter or _"
        }
        return nil
    }

    private static func checkVariableName(_ name: String, at node: ConfigNode) throws {
        if let problem = variableNameProblem(name) { throw node.error(problem) }
    }

    // MARK: steps

    private static func stepForm(scope: FlowVariableScope) -> EndpointParser.RequestForm {
        let noShare = "the flow's weight (closed model) or rate (open model) sets how often its steps are sent"
        return EndpointParser.RequestForm(
            keys: stepKeys, what: "a step", pathExample: "{ method: POST, path: /sessions/{id} }",
            spellings: "\"METHOD PATH\", \"METHOD PATH\": { details }, or a mapping with method and path",
            shorthandValue: "a mapping of the step's details (name, headers, body, expect, check, extract)",
            refusedKeys: ["weight": "a step has no weight: \(noShare)", "rate": "a step has no rate: \(noShare)"],
            scope: scope, fullFormPaths: true)
    }

    private static func parseStep(_ item: ConfigNode, scope: FlowVariableScope, reserved: Set<String>) throws -> FlowStep {
        let written = try EndpointParser.request(item, form: stepForm(scope: scope))
        if let value = written.scalarValue {
            throw value.error("a step has no rate: the flow's rate (open model) sets how often its steps are sent; "
                              + "details go in a mapping, e.g. \"get /sessions/{id}\": { check: [{ status: 200 }] }")
        }
        var request = written.endpoint
        // The default name says the method too: a step is recognised by it in every report.
        request.name = "\(request.method) \(request.path)"
        var step = FlowStep(request: request)
        guard let details = written.details else { return step }
        try EndpointParser.applyDetails(details, to: &step.request, scope: scope)
        if let checks = details["check"] { step.checks = try parseChecks(checks, scope: scope) }
        if let extract = details["extract"] { step.extractions = try parseExtractions(extract, reserved: reserved) }
        return step
    }

    /// The names a step's `extract` holds, read leniently: a step that cannot be read is reported
    /// when its turn comes.
    private static func extractedNames(_ item: ConfigNode) -> [String] {
        guard case .mapping(var mapping) = item.node else { return [] }
        if mapping.count == 1, let key = mapping.first?.key.string, !stepKeys.contains(key), case .mapping(let details)? = mapping.first?.value {
            mapping = details
        }
        guard case .mapping(let extract)? = mapping["extract"] else { return [] }
        return extract.compactMap { $0.key.string }
    }

    // MARK: checks

    private static func parseChecks(_ node: ConfigNode, scope: FlowVariableScope) throws -> [ResponseCheck] {
        let items: [ConfigNode]
        if case .mapping = node.node {
            items = [node]
        } else {
            items = try node.sequence(expected: "a list of checks such as [{ status: 200 }, { json: $.id }]")
        }
        return try items.map { try parseCheck($0, scope: scope) }
    }

    private static func parseCheck(_ item: ConfigNode, scope: FlowVariableScope) throws -> ResponseCheck {
        let fields = try item.mapping(
            allowedKeys: checkKeys, expected: "a check such as { status: 200 } or { json: $.id, equals: \"{id}\" }")
        let conditions = fields.entries.filter { checkConditionKeys.contains($0.key) && !$0.value.isNull }
        guard let first = conditions.first else {
            throw item.error("a check needs a condition: status, json (alone: the value exists; with equals), body_contains or body_under")
        }
        if conditions.count > 1 {
            throw conditions[1].keyNode.error(
                "a check has one condition, and this one has \(first.key) already: write each in a check of its own")
        }
        if fields["equals"] != nil, first.key != "json" {
            let equals = fields.entries.first { $0.key == "equals" }
            throw (equals?.keyNode ?? item).error("equals compares a JSON value: give json too, e.g. { json: $.id, equals: \"{id}\" }")
        }
        let condition: CheckCondition
        let value = first.value
        switch first.key {
        case "status":
            condition = .status(try value.listOrSingle(expected: "a status code or a list such as [200, 201]").map { try $0.parse(.statusCode) })
        case "json":
            let path = try parseJSONPath(value)
            if let equals = fields["equals"] {
                let template = try equals.scalarText(expected: "the expected value (text), such as \"{id}\" or created")
                try EndpointParser.checkPlaceholders(in: template, at: equals, scope: scope)
                condition = .jsonPathEquals(path, template: template)
            } else {
                condition = .jsonPathExists(path)
            }
        case "body_contains":
            let template = try value.scalarText(expected: "the text to find")
            guard !template.isEmpty else { throw value.mismatch("the text to find") }
            try EndpointParser.checkPlaceholders(in: template, at: value, scope: scope)
            condition = .bodyContains(template: template)
        default:
            condition = .bodySmallerThan(bytes: try value.parse(.byteSize))
        }
        let name = try fields["name"]?.string(expected: "a check name") ?? ResponseCheck.defaultName(for: condition)
        return ResponseCheck(name: name, condition: condition)
    }

    // MARK: extractions

    private static func parseExtractions(_ node: ConfigNode, reserved: Set<String>) throws -> [Extraction] {
        try node.openMapping(expected: "a mapping of variable names to what to take, such as token: $.data.token").map { entry in
            try checkVariableName(entry.key, at: entry.keyNode)
            if reserved.contains(entry.key) {
                throw entry.keyNode.error(
                    "\(entry.key) is already set under vars or by the data file: extract into a variable of its own")
            }
            return Extraction(variable: entry.key, source: try parseExtractionSource(entry.value))
        }
    }

    private static func parseExtractionSource(_ node: ConfigNode) throws -> ExtractionSource {
        let expected = "a JSON path such as $.data.token, { header: NAME } or { regex: PATTERN } with one group"
        switch node.node {
        case .scalar(let scalar):
            guard scalar.string.hasPrefix("$") else { throw node.mismatch(expected) }
            return .jsonPath(try parseJSONPath(node))
        case .mapping:
            let fields = try node.mapping(allowedKeys: extractionKeys, expected: expected)
            let sources = fields.entries.filter { !$0.value.isNull }
            guard let source = sources.first else {
                throw node.error("an extraction needs one of json, header or regex, e.g. { header: X-Session-Id }")
            }
            if sources.count > 1 {
                throw sources[1].keyNode.error(
                    "an extraction takes one value, and this one has \(source.key) already: extract each into a variable of its own")
            }
            switch source.key {
            case "json":
                return .jsonPath(try parseJSONPath(source.value))
            case "header":
                let name = try source.value.string(expected: "a header name such as X-Session-Id")
                guard !name.contains(where: { $0 == " " || $0 == ":" || $0 == "\t" }) else {
                    throw source.value.mismatch("a header name such as X-Session-Id (no spaces or colons)")
                }
                return .header(name)
            default:
                let pattern = try source.value.string(expected: "a regular expression with one group, such as 'value=\"([^\"]+)\"'")
                do {
                    try AnswerInspection.validateRegexPattern(pattern)
                } catch {
                    throw source.value.error(error.message)
                }
                return .regex(pattern)
            }
        default:
            throw node.mismatch(expected)
        }
    }

    /// A JSON path, a problem in it reported at its own column when the value is written on one line.
    private static func parseJSONPath(_ node: ConfigNode) throws -> JSONPath {
        let text = try node.string(expected: "a JSON path such as $.data.token")
        do {
            return try JSONPathParser.parse(text)
        } catch {
            var location = node.location
            if let column = EndpointParser.column(of: error.offset, in: node) { location.column = column }
            throw ConfigError.invalid(location, "\(error.message) in \(ValueFormatError.quoted(text))")
        }
    }

    // MARK: data

    private static func parseData(_ node: ConfigNode, resolvePath: (String) -> String) throws -> FlowData {
        let fileNode: ConfigNode
        var pick = FlowDataPick.perUser
        var columnNodes: [ConfigNode]?
        switch node.node {
        case .scalar:
            fileNode = node
        default:
            let fields = try node.mapping(
                allowedKeys: dataKeys, expected: "a CSV file, or { file: accounts.csv, pick: per_user, columns: [username, password] }")
            guard let file = fields["file"] else { throw node.error("data needs a file, e.g. { file: accounts.csv }") }
            fileNode = file
            if let pickNode = fields["pick"] {
                let text = try pickNode.string(expected: "per_user, per_iteration or random")
                guard let known = FlowDataPick(rawValue: text.trimmingCharacters(in: .whitespaces).lowercased()) else {
                    throw pickNode.mismatch("per_user, per_iteration or random")
                }
                pick = known
            }
            if let columns = fields["columns"] {
                columnNodes = try columns.listOrSingle(expected: "a list of the header's column names, such as [username, password]")
            }
        }
        let written = try fileNode.string(expected: "a CSV file path such as accounts.csv")
        return try FlowDataFile.read(
            path: resolvePath(written), written: written, pick: pick, columns: columnNodes, at: fileNode)
    }
}

/// Where a flow is written in loadops.yml, for the checks made after merging (the model, the engine,
/// the names results are kept under).
struct FlowLocations {
    var flow: SourceLocation
    var name: SourceLocation
    /// The flow's `rate`, when it has one.
    var rate: SourceLocation?
    /// Each step, parallel to `FlowConfig.steps`.
    var steps: [SourceLocation] = []

    init(flow: SourceLocation, name: SourceLocation, rate: SourceLocation? = nil, steps: [SourceLocation] = []) {
        self.flow = flow
        self.name = name
        self.rate = rate
        self.steps = steps
    }
}

/// The variables a template may use where it stands in a flow, and what to say of one it may not.
struct FlowVariableScope {
    /// Set by the time the template is filled.
    var known: Set<String>
    /// Set only further on, with why that is too late.
    var setLater: [String: String]
    /// Every name the flow sets, for "did you mean".
    var all: [String]

    /// The message for the placeholder at `offset` (unicode scalars to its `{`) when it names a
    /// variable not set by then; nil when it is not a variable's name at all (`{int:9-1}`).
    func unsetVariableMessage(placeholderAt offset: Int, in text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        guard offset < scalars.count, scalars[offset] == "{",
            let close = scalars[(offset + 1)...].firstIndex(of: "}")
        else { return nil }
        var name = ""
        name.unicodeScalars.append(contentsOf: scalars[(offset + 1)..<close])
        guard FlowParser.variableNameProblem(name) == nil else { return nil }
        if let reason = setLater[name] { return "variable {\(name)} is used before it is set: \(reason)" }
        var message = "variable {\(name)} is used but never set (\(FlowParser.unsetHint))"
        if let suggestion = KeySuggestion.closest(to: name, among: Array(Set(all)).sorted() + ["uuid", "seq"]) {
            message += "; did you mean {\(suggestion)}?"
        }
        return message
    }
}

extension SourceLocation {
    /// `loadops.yml:3:11 (flows[0].name)`, for a message that points at a second place.
    var position: String {
        var text = file
        if let line { text += ":\(line)" + (column.map { ":\($0)" } ?? "") }
        return text + (field.map { " (\($0))" } ?? "")
    }
}

extension ValueRule where Value == Int {
    /// `64KB`, `1MB`, `512B` or a number of bytes; KB is 1024 bytes, MB 1048576.
    static var byteSize: ValueRule {
        ValueRule(expected: "a size such as 512B, 64KB or 1MB (KB = 1024 bytes), or a number of bytes") { text in
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let units: [(String, Int)] = [("KB", 1024), ("MB", 1_048_576), ("B", 1)]
            var digits = Substring(trimmed)
            var multiplier = 1
            for (suffix, size) in units where trimmed.uppercased().hasSuffix(suffix) {
                digits = trimmed.dropLast(suffix.count)
                multiplier = size
                break
            }
            let number = digits.trimmingCharacters(in: .whitespaces)
            guard !number.isEmpty, number.allSatisfy(\.isASCIIDigit), let count = Int(number), count > 0,
                count <= Int.max / multiplier
            else { return nil }
            return count * multiplier
        }
    }
}
