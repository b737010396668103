import NIOCore
import NIOPosix
import NIOSSL

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
    #if os(Linux)
    /// Plain HTTP: the loop drives the sockets itself (`SocketEventLoop`).
    private let socketLoop: SocketEventLoop?
    #endif

    init(eventLoop: EventLoop, plan: PreparedPlan, loopIndex: Int) {
        self.eventLoop = eventLoop
        self.templates = plan.templates
        self.isHead = plan.endpoints.map { $0.method == "HEAD" }
        self.successPolicies = plan.successPolicies
        self.statistics = LoopStatistics(keys: plan.endpoints.map { EndpointKey(method: $0.method, name: $0.name) },
                                         separateUncorrected: plan.load.model == .open)
        self.sequence = plan.sequence
        self.redirects = plan.redirects
        self.connector = plan.connector
        #if os(Linux)
        self.socketLoop = eventLoop as? SocketEventLoop
        #endif
    }

    /// Opens a connection whose handler reports to `owner`. `onFailure` is called (on this loop)
    /// when the connection could not be established.
    func connect(owner: any LoadConnectionOwner, credential: Int, slot: Int,
                 onFailure: @escaping (LoadConnection, FailureKind) -> Void) -> LoadConnection {
        let connection = LoadConnection(owner: owner, shared: self, credential: credential)
        connection.slot = slot
        #if os(Linux)
        if let socketLoop {
            PlainSocket.connect(connection, on: socketLoop, to: connector.address, timeout: connector.connectTimeout) { failure in
                onFailure(connection, failure)
            }
            return connection
        }
        #endif
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

/// How to reach the target: resolved once, before the run, so no connection waits on DNS.
struct Connector: Sendable {
    var address: SocketAddress
    var tls: NIOSSLContext?
    var serverName: String?
    var connectTimeout: TimeAmount
}

/// Everything the loops need, computed once before the run.
struct PreparedPlan: Sendable {
    /// Every request the run can send: the endpoints, then the flows' steps (`LoadPlan.requestEndpoints`).
    var endpoints: [EndpointConfig]
    var templates: [RequestTemplate]
    /// Per request: which answers count as success.
    var successPolicies: [SuccessPolicy]
    /// With flows: the endpoints as flows of one step, then the flows (empty: the plain workers run).
    var flows: [PreparedFlow] = []
    /// Each of `flows`' weight (closed model) or arrival rate (open model).
    var flowShares: [Double] = []
    /// The configured flows' names, for their statistics.
    var reportedFlowNames: [String] = []
    var connector: Connector
    var load: LoadSettings
    /// Open model: each endpoint's share of the arrivals (its rate, see `LoadPlan.openModelRates`).
    var openModelShares: [Double]
    var redirects: RedirectPolicy?
    var sequence = RunSequence()
}

