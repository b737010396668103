import Foundation
import NIOCore

/// One running iteration of a flow: which step is next, its variables' values and its cookies.
final class FlowIteration {
    let flow: Int
    /// The step sent next, or in flight.
    var step = 0
    var variables: [[UInt8]]
    var cookies: CookieJar
    /// When the iteration should have started (open model: its arrival on the schedule); its
    /// duration is counted from here.
    let intendedStartNanos: UInt64
    /// Counted as started: its first step was sent, or failed to be.
    var counted = false
    /// When the next step should be sent: the iteration's start for the first, then the end of the
    /// previous step and its think time. The step's latency is counted from here when it is sent late.
    var stepIntendedNanos: UInt64

    init(flow: Int, variables: [[UInt8]], cookies: CookieJar, intendedStartNanos: UInt64) {
        self.flow = flow
        self.variables = variables
        self.cookies = cookies
        self.intendedStartNanos = intendedStartNanos
        self.stepIntendedNanos = intendedStartNanos
    }
}

/// What became of an iteration once its step was answered.
enum FlowProgress {
    /// The next step is due (after the flow's think time, if any).
    case nextStep
    /// The iteration ended, completed or failed; the user starts another.
    case ended
}

/// The flows as one event loop runs them: starting iterations, sending their steps, judging the
/// answers and counting iterations. Touched only on its loop; the workers (`ClosedFlowWorker`,
/// `OpenFlowWorker`) decide when and on which connection.
final class LoopFlows {
    let flows: [PreparedFlow]
    private let shared: LoopShared
    private var chooser: EndpointChooser
    private var expectedScratch = ByteBuffer()
    private var cookieScratch: [UInt8] = []

    /// `shares`: each flow's weight (closed model) or arrival rate (open model).
    init(flows: [PreparedFlow], shares: [Double], shared: LoopShared, reportedNames: [String]) {
        self.flows = flows
        self.shared = shared
        self.chooser = EndpointChooser(weights: shares)
        shared.statistics.prepareFlows(names: reportedNames)
    }

    /// A new iteration of the next flow in turn. `user`: the user's number across all loops (a data
    /// file's `per_user` row); `cookies`: the jar it carries over (closed model), or a new one.
    func startIteration(user: Int, cookies: CookieJar, intendedStartNanos: UInt64) -> FlowIteration {
        let flowIndex = chooser.next()
        let flow = flows[flowIndex]
        var variables = [[UInt8]](repeating: [], count: flow.variableCount)
        if let data = flow.data, !data.rows.isEmpty {
            let row: Int
            switch data.pick {
            case .perUser: row = user % data.rows.count
            case .perIteration: row = Int((data.nextRow.next() &- 1) % UInt64(data.rows.count))
            case .random: row = Int(shared.random.next() % UInt64(data.rows.count))
            }
            for (column, variable) in data.columnVariables.enumerated() where column < data.rows[row].count {
                variables[variable] = data.rows[row][column]
            }
        }
        for (variable, segments) in flow.variableTemplates {
            expectedScratch.clear()
            RequestTemplate.write(segments, into: &expectedScratch, random: &shared.random, sequence: shared.sequence,
                                  variables: variables)
            variables[variable] = Array(expectedScratch.readableBytesView)
        }
        return FlowIteration(flow: flowIndex, variables: variables, cookies: flow.cookies ? cookies : CookieJar(),
                             intendedStartNanos: intendedStartNanos)
    }

    /// The request number of the iteration's next step.
    func endpoint(of iteration: FlowIteration) -> Int {
        flows[iteration.flow].steps[iteration.step].endpoint
    }

    /// Sends the iteration's next step on `connection`; false (nothing sent) when it is not open.
    func send(_ iteration: FlowIteration, on connection: LoadConnection, intendedNanos: UInt64) -> Bool {
        let flow = flows[iteration.flow]
        let step = flow.steps[iteration.step]
        cookieScratch.removeAll(keepingCapacity: true)
        if flow.cookies, !iteration.cookies.isEmpty,
           let header = iteration.cookies.cookieHeader(forPath: step.cookiePath, now: Date().timeIntervalSince1970) {
            cookieScratch.append(contentsOf: "Cookie: ".utf8)
            cookieScratch.append(contentsOf: header.utf8)
            cookieScratch.append(contentsOf: "\r\n".utf8)
        }
        let sent = connection.send(endpoint: step.endpoint, intendedNanos: intendedNanos, variables: iteration.variables,
                                   cookie: cookieScratch, inspect: step.inspects, capture: step.captures)
        if sent { countStart(iteration) }
        return sent
    }

    /// An iteration counts as started once: at its first send, or when its first step failed unsent.
    private func countStart(_ iteration: FlowIteration) {
        guard !iteration.counted else { return }
        iteration.counted = true
        if let reported = flows[iteration.flow].reportedIndex { shared.statistics.flowStarted(reported) }
    }

    /// Whether the iteration's flow keeps cookies (a user carries them to its next iteration).
    func usesCookies(_ iteration: FlowIteration) -> Bool {
        flows[iteration.flow].cookies
    }

    /// Judges the answer to the iteration's step in flight: keeps its cookies, runs its checks (the
    /// first failing one names the failure), then its extractions.
    func inspect(_ iteration: FlowIteration, status: Int, raw: ByteBuffer?) -> FailureKind? {
        let flow = flows[iteration.flow]
        let step = flow.steps[iteration.step]
        // Reading an answer in full costs more than the rest of the step: a step that only keeps
        // cookies reads it only when its head sets one.
        var answer: CapturedAnswer?
        if let raw, step.readsAnswer || (flow.cookies && Self.setsCookie(raw)) {
            answer = try? CapturedAnswer(raw: raw, answersHeadRequest: shared.isHead[step.endpoint])
        }
        if flow.cookies, let answer {
            let cookies = answer.headers(named: "set-cookie")
            if !cookies.isEmpty {
                iteration.cookies.store(setCookieHeaders: cookies, requestPath: step.cookiePath, now: Date().timeIntervalSince1970)
            }
        }
        for check in step.checks {
            var expected = ""
            if !check.expected.isEmpty {
                expectedScratch.clear()
                RequestTemplate.write(check.expected, into: &expectedScratch, random: &shared.random, sequence: shared.sequence,
                                      variables: iteration.variables)
                expected = String(decoding: expectedScratch.readableBytesView, as: UTF8.self)
            }
            if !ResponseCheckEvaluation.passes(check.condition, status: status, answer: answer, expected: expected) {
                return .check(check.name)
            }
        }
        for extraction in step.extractions {
            guard let answer, let value = extraction.extraction.extract(from: answer) else {
                return .extraction(AnswerInspection.extractionFailureMessage(
                    variable: extraction.name, reason: extraction.extraction.notFoundReason(in: answer)))
            }
            iteration.variables[extraction.variable] = Array(value.utf8)
        }
        return nil
    }

    /// Whether an answer's head has a `Set-Cookie` line (any case).
    static func setsCookie(_ raw: ByteBuffer) -> Bool {
        let name: [UInt8] = Array("set-cookie:".utf8)
        return raw.withUnsafeReadableBytes { bytes in
            var index = 0
            while index + name.count < bytes.count {
                // Only the head: it ends at the first empty line.
                if bytes[index] == UInt8(ascii: "\n") {
                    let next = index + 1
                    if bytes[next] == UInt8(ascii: "\r") || bytes[next] == UInt8(ascii: "\n") { return false }
                    if bytes[next] | 0x20 == UInt8(ascii: "s"),
                       next + name.count <= bytes.count,
                       (0..<name.count).allSatisfy({ bytes[next + $0] | 0x20 == name[$0] }) {
                        return true
                    }
                }
                index += 1
            }
            return false
        }
    }

    /// Counts the step just settled; returns whether the iteration goes on. A failed step ends it.
    func settle(_ iteration: FlowIteration, failed: Bool, nowNanos: UInt64) -> FlowProgress {
        countStart(iteration)
        let flow = flows[iteration.flow]
        if failed {
            if let reported = flow.reportedIndex { shared.statistics.flowFailed(reported, atStep: iteration.step) }
            return .ended
        }
        iteration.step += 1
        if iteration.step < flow.steps.count { return .nextStep }
        if let reported = flow.reportedIndex {
            shared.statistics.flowCompleted(reported, durationNanos: nowNanos &- min(iteration.intendedStartNanos, nowNanos))
        }
        return .ended
    }

    /// The pause before the iteration's next step (or the user's next iteration).
    func thinkTime(of iteration: FlowIteration) -> TimeAmount {
        guard let range = flows[iteration.flow].thinkTime else { return .zero }
        let seconds = range.lowerBound + (range.upperBound - range.lowerBound) * shared.random.nextUnit()
        return .nanoseconds(Int64(Nanoseconds.from(seconds: seconds)))
    }
}
