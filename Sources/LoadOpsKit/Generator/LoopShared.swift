import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Per-event-loop state every connection of that loop uses: the encoded requests,
/// the random source for placeholders and the statistics. Touched only on its loop.
final class LoopShared {
    let eventLoop: EventLoop
    let templates: [RequestTemplate]
    let isHead: [Bool]
    /// Per endpoint: which answers count as success (read on every response).
    let successPolicies: [SuccessPolicy]
    let statistics: LoopStatistics
    /// nil when redirects are not followed (`follow_redirects: false`).
    let redirects: RedirectPolicy?
    var random = FastRandom()
    /// `{seq}` values: one counter for the whole run, shared by every loop, so values run 1, 2, 3, ...
    let sequence: RunSequence
    private let connector: Connector

    init(eventLoop: EventLoop, plan: PreparedPlan, loopIndex: Int) {
        self.eventLoop = eventLoop
        self.templates = plan.templates
        self.isHead = plan.endpoints.map { $0.method == "HEAD" }
        self.successPolicies = plan.endpoints.map { SuccessPolicy(expected: $0.expectedStatus) }
        self.statistics = LoopStatistics(keys: plan.endpoints.map { EndpointKey(method: $0.method, name: $0.name) },
                                         separateUncorrected: plan.load.model == .open)
        self.sequence = plan.sequence
        self.redirects = plan.redirects
        self.connector = plan.connector
    }

    /// Opens a connection whose handler reports to `owner`. `onFailure` is called (on this loop)
    /// when the connection could not be established.
    func connect(owner: any LoadConnectionOwner, credential: Int, slot: Int,
                 onFailure: @escaping (LoadConnection, FailureKind) -> Void) -> LoadConnection {
        let connection = LoadConnection(owner: owner, shared: self, credential: credential)
        connection.slot = slot
        let bound = NIOLoopBound(connection, eventLoop: eventLoop)
        let connector = self.connector
        let future = ClientBootstrap(group: eventLoop)
            .connectTimeout(connector.connectTimeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                do {
                    if let tls = connector.tls {
                        let handler = try NIOSSLClientHandler(context: tls, serverHostname: connector.serverName)
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                    try channel.pipeline.syncOperations.addHandler(bound.value)
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
            .connect(to: connector.address)
        future.assumeIsolated().whenFailure { error in
            onFailure(connection, FailureClassifier.classify(error))
        }
        return connection
    }
}

/// Which status codes count as success: a bit per code 0-639 (any 1xx-3xx by default). A tuple,
/// not an array, so checking an answer touches no reference count.
struct SuccessPolicy {
    private var bits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init(expected: [Int]) {
        let codes = expected.isEmpty ? Array(100..<400) : expected
        withUnsafeMutableBytes(of: &bits) { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for code in codes where (0..<600).contains(code) {
                words[code >> 6] |= 1 << UInt64(code & 63)
            }
        }
    }

    @inline(__always)
    func isSuccess(_ status: Int) -> Bool {
        guard status >= 0 && status < 600 else { return false }
        return withUnsafeBytes(of: bits) { raw in
            raw.load(fromByteOffset: (status >> 6) * 8, as: UInt64.self) & (1 << UInt64(status & 63)) != 0
        }
    }
}

/// How to reach the target: resolved once, before the run, so no connection waits on DNS.
struct Connector: Sendable {
    var address: SocketAddress
    var tls: NIOSSLContext?
    var serverName: String?
    var connectTimeout: TimeAmount
}

/// Everything the loops need, computed once before the run.
struct PreparedPlan: Sendable {
    var endpoints: [EndpointConfig]
    var templates: [RequestTemplate]
    var connector: Connector
    var load: LoadSettings
    /// Open model: each endpoint's share of the arrivals (its rate, see `LoadPlan.openModelRates`).
    var openModelShares: [Double]
    var redirects: RedirectPolicy?
    var sequence = RunSequence()
}

/// The run's `{seq}` counter. Atomic because every event loop draws from it; only requests whose
/// template has a `{seq}` touch it.
final class RunSequence: Sendable {
    private let counter = Atomic<UInt64>(0)

    /// The next value, starting at 1.
    @inline(__always)
    func next() -> UInt64 {
        counter.add(1, ordering: .relaxed).newValue
    }
}

/// Smooth weighted round-robin (as nginx balances upstreams): every endpoint gets exactly its
/// share of requests, evenly interleaved, without random draws.
struct EndpointChooser {
    private let weights: [Double]
    private var current: [Double]
    private let total: Double

    init(weights: [Double]) {
        self.weights = weights
        self.current = Array(repeating: 0, count: weights.count)
        self.total = weights.reduce(0, +)
    }

    @inline(__always)
    mutating func next() -> Int {
        if weights.count == 1 { return 0 }
        var best = 0
        for index in weights.indices {
            current[index] += weights[index]
            if current[index] > current[best] { best = index }
        }
        current[best] -= total
        return best
    }
}
