import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 GET on SwiftNIO: the answer's status and body. The preflight's health checks and
/// the monitor's metrics pages use it instead of Foundation's URLSession, which would load libcurl
/// and some thirty libraries of its own into every loadops process (about 5 MB of memory).
///
/// Redirects are not followed: a 301 is an answer like any other. A user name and password in the
/// URL are sent as basic authentication and never shown. Certificates are checked against the
/// system's trust store.
enum HTTPGetClient {
    struct Answer: Sendable {
        var status: Int
        /// Empty unless the caller keeps the body.
        var body: ByteBuffer
    }

    /// Why a GET gave no answer, in words for the user (the URL's password never appears).
    struct Failure: Error, CustomStringConvertible {
        enum Kind: Sendable {
            /// The URL is not an http:// or https:// URL with a host.
            case notHTTP
            /// The body was larger than the caller keeps.
            case tooLarge
            /// The server could not be reached, or the connection broke (TLS included).
            case network
        }

        var kind: Kind
        /// What went wrong, without the address.
        var reason: String
        /// `host:port` (or the URL, shown redacted, for `notHTTP` and `tooLarge`).
        var address: String

        var description: String {
            switch kind {
            case .notHTTP: return "not an http:// or https:// URL: \(address)"
            case .tooLarge, .network: return "\(reason) (\(address))"
            }
        }
    }

    /// GETs `url`. `keepBodyUpTo`: the body is kept up to this many bytes and a longer one fails
    /// (`tooLarge`); nil reads and drops it. The connect may take `connectTimeout` seconds; the rest
    /// is bounded by the caller (a health check's or a sample's own time limit). Throws `Failure`, or
    /// `CancellationError` when the caller gave up.
    static func get(_ url: String, connectTimeout: Double, accept: String, userAgent: String,
                    keepBodyUpTo limit: Int?) async throws -> Answer {
        let shown = Redaction.redactURL(url)
        guard let parts = URLParts(url), ["http", "https"].contains(parts.scheme.lowercased()), !parts.host.isEmpty,
              parts.portIsValid
        else { throw Failure(kind: .notHTTP, reason: "", address: shown) }
        let scheme = parts.scheme.lowercased()
        let port = parts.port.flatMap { Int($0) } ?? (scheme == "https" ? 443 : 80)
        let address = parts.host.contains(":") ? "[\(parts.host)]:\(port)" : "\(parts.host):\(port)"
        var target = parts.rest
        if let fragment = target.firstIndex(of: "#") { target = String(target[..<fragment]) }
        if !target.hasPrefix("/") { target = "/" + target }

        var headers = HTTPHeaders()
        let hostHeader = parts.host.contains(":") ? "[\(parts.host)]" : parts.host
        headers.add(name: "Host", value: parts.port.map { "\(hostHeader):\($0)" } ?? hostHeader)
        headers.add(name: "Accept", value: accept)
        headers.add(name: "Connection", value: "close")
        headers.add(name: "User-Agent", value: userAgent)
        if let userInfo = parts.userInfo, !userInfo.isEmpty {
            let decoded = userInfo.removingPercentEncoding ?? userInfo
            headers.add(name: "Authorization", value: "Basic " + Data(decoded.utf8).base64EncodedString())
        }

        let tls: NIOSSLContext?
        do {
            tls = scheme == "https" ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        } catch {
            throw Failure(kind: .network, reason: "cannot set up TLS: \(error)", address: address)
        }
        // Server names go in SNI; addresses may not.
        let serverName = parts.host.first?.isNumber == true || parts.host.contains(":") ? nil : parts.host
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.milliseconds(Int64(max(connectTimeout, 0.1) * 1000)))
                .connect(host: parts.host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                // One write: a server that answers as soon as it has the head (a 401, say) and closes
                // must not fail a second write before its answer is read.
                try await outbound.write(contentsOf: [.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: target,
                                                                            headers: headers)),
                                                      .end(nil)])
                var status: Int?
                var body = ByteBuffer()
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        status = Int(head.status.code)
                    case .body(var chunk):
                        guard let limit else { continue }
                        guard body.readableBytes + chunk.readableBytes <= limit else {
                            throw Failure(kind: .tooLarge, reason: "the answer is larger than \(limit / 1024 / 1024) MiB",
                                          address: shown)
                        }
                        body.writeBuffer(&chunk)
                    case .end:
                        guard let status else { throw Failure(kind: .network, reason: "no HTTP response", address: address) }
                        return Answer(status: status, body: body)
                    }
                }
                throw Failure(kind: .network, reason: "the server closed the connection before the end of the answer",
                              address: address)
            }
        } catch let failure as Failure {
            throw failure
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The generator's hint about --insecure does not apply here.
            let tlsReason = TLSFailureReason.describe(error, peerCertificate: { nil })
                .map { "TLS handshake failed: " + $0.replacingOccurrences(of: TLSFailureReason.insecureHint, with: "") }
            let reason = tlsReason ?? ServiceError.networkReason(error)
            throw Failure(kind: .network, reason: reason, address: address)
        }
    }
}
