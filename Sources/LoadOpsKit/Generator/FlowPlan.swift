import NIOCore

/// A flow made ready for the loops: its steps as request numbers, its variables' templates, its
/// data rows as bytes. Plain endpoints in a run with flows become flows of one step, not reported
/// as flows.
struct PreparedFlow: Sendable {
    /// Index in the run's flow statistics; nil for an endpoint run as a flow of one step.
    var reportedIndex: Int?
    var steps: [PreparedStep]
    var thinkTime: ClosedRange<Double>?
    var cookies: Bool
    var variableCount: Int
    /// `vars`, in order: which variable each fills and from which template.
    var variableTemplates: [(variable: Int, segments: [RequestTemplate.Segment])]
    var data: PreparedFlowData?
}

struct PreparedFlowData: Sendable {
    /// The variable each column fills.
    var columnVariables: [Int]
    var rows: [[[UInt8]]]
    var pick: FlowDataPick
    /// `per_iteration`: the next row, counted across every loop.
    var nextRow: RunSequence
}

struct PreparedStep: Sendable {
    /// The request's number in the plan (its template, success policy and statistics).
    var endpoint: Int
    /// The owner judges the answer (checks, extractions, cookies).
    var inspects: Bool
    /// The answer's bytes are needed (anything beyond the status).
    var captures: Bool
    /// The answer must be read in full for a check or an extraction; otherwise it is read only when
    /// it sets a cookie.
    var readsAnswer: Bool
    /// The path cookies are matched against: the step's path up to its first placeholder.
    var cookiePath: String
    var checks: [PreparedCheck]
    var extractions: [PreparedExtraction]
}

struct PreparedCheck: Sendable {
    var name: String
    var condition: CheckCondition
    /// `equals` and `body_contains`: the expected text's template.
    var expected: [RequestTemplate.Segment]
}

struct PreparedExtraction: Sendable {
    var variable: Int
    var name: String
    var extraction: CompiledExtraction
}

enum FlowPlanning {
    /// The flows of `plan`, with its endpoints first as flows of one step; `firstStepEndpoint` is the
    /// number of the first flow step among the plan's requests (the endpoints come before).
    static func prepare(_ plan: LoadPlan) throws(GeneratorError) -> [PreparedFlow] {
        var prepared: [PreparedFlow] = plan.endpoints.indices.map { index in
            PreparedFlow(reportedIndex: nil,
                         steps: [PreparedStep(endpoint: index, inspects: false, captures: false, readsAnswer: false,
                                              cookiePath: "/", checks: [], extractions: [])],
                         thinkTime: plan.load.thinkTime, cookies: false, variableCount: 0, variableTemplates: [], data: nil)
        }
        var endpoint = plan.endpoints.count
        for (flowIndex, flow) in plan.flows.enumerated() {
            let names = flow.variableNames
            func number(_ name: String) -> Int { names.firstIndex(of: name) ?? 0 }
            var steps: [PreparedStep] = []
            for step in flow.steps {
                var checks: [PreparedCheck] = []
                for check in step.checks {
                    var expected: [RequestTemplate.Segment] = []
                    switch check.condition {
                    case .jsonPathEquals(_, let template), .bodyContains(let template):
                        expected = try RequestTemplate.parse(template, endpoint: step.request.name, variableNames: names)
                    case .status, .jsonPathExists, .bodySmallerThan:
                        break
                    }
                    checks.append(PreparedCheck(name: check.name, condition: check.condition, expected: expected))
                }
                var extractions: [PreparedExtraction] = []
                for extraction in step.extractions {
                    let compiled: CompiledExtraction
                    do {
                        compiled = try CompiledExtraction(extraction.source)
                    } catch {
                        throw .invalidTemplate(endpoint: step.request.name, reason: "extract \(extraction.variable): \(error)")
                    }
                    extractions.append(PreparedExtraction(variable: number(extraction.variable), name: extraction.variable,
                                                          extraction: compiled))
                }
                let captures = step.needsAnswer(cookies: flow.cookies)
                steps.append(PreparedStep(endpoint: endpoint, inspects: captures || !checks.isEmpty, captures: captures,
                                          readsAnswer: step.needsAnswer(cookies: false),
                                          cookiePath: cookiePath(of: plan.target.basePath + step.request.path), checks: checks,
                                          extractions: extractions))
                endpoint += 1
            }
            var templates: [(variable: Int, segments: [RequestTemplate.Segment])] = []
            for variable in flow.variables {
                templates.append((number(variable.name),
                                  try RequestTemplate.parse(variable.template, endpoint: flow.name, variableNames: names)))
            }
            let data = flow.data.map { data in
                PreparedFlowData(columnVariables: data.columns.map(number),
                                 rows: data.rows.map { row in row.map { Array($0.utf8) } },
                                 pick: data.pick, nextRow: RunSequence())
            }
            prepared.append(PreparedFlow(reportedIndex: flowIndex, steps: steps, thinkTime: flow.thinkTime ?? plan.load.thinkTime,
                                         cookies: flow.cookies, variableCount: names.count, variableTemplates: templates,
                                         data: data))
        }
        return prepared
    }

    /// Which answers count as success for each request of the plan. A flow step with a status check
    /// and no `expect` of its own leaves the status to its check, so a failing status shows under the
    /// check's name.
    static func successPolicies(_ plan: LoadPlan) -> [SuccessPolicy] {
        let steps = plan.flows.flatMap(\.steps)
        return plan.endpoints.map { SuccessPolicy(expected: $0.expectedStatus) } + steps.map { step in
            let checksStatus = step.checks.contains { if case .status = $0.condition { true } else { false } }
            return checksStatus && step.request.expectedStatus.isEmpty
                ? SuccessPolicy(expected: Array(0..<600)) : SuccessPolicy(expected: step.request.expectedStatus)
        }
    }

    private static func cookiePath(of path: String) -> String {
        let prefix = path.prefix { $0 != "{" && $0 != "?" }
        return prefix.isEmpty ? "/" : String(prefix)
    }
}
