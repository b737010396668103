import Foundation
import NIOCore

/// How the generator follows redirects, as Locust and k6 do: 301, 302 and 303 are followed with a
/// GET, 307 and 308 only for GET and HEAD requests (they would need the body again); at most
/// `maximumRedirects` in a row; the request counts once, with the final answer's status and the
/// time from the first request to the final answer.
///
/// Only redirects within the target (same scheme, host and port) are followed, on the same
/// connection. A redirect elsewhere is a failure naming the host: one outside `allow_hosts` is never
/// followed (a load test must not spill onto hosts nobody allowed), and one to another allowed host
/// is reported rather than followed, since the generator's connections all lead to the target.
struct RedirectPolicy: Sendable {
    static let maximumRedirects = 10

    let target: TargetAddress
    let allowHosts: [String]
    /// `Authorization: …\r\n` per credential (empty lines when there are none), as the endpoints send it.
    let authorizationLines: [[UInt8]]
    /// Per endpoint: its method.
    let methods: [String]

    init(target: TargetAddress, allowHosts: [String], authorizations: [String], methods: [String]) {
        self.target = target
        self.allowHosts = allowHosts
        self.authorizationLines = authorizations.isEmpty ? [[]] : authorizations.map { Array("Authorization: \($0)\r\n".utf8) }
        self.methods = methods
    }

    enum Decision: Equatable {
        /// Send `method` for this path (with its query) on the same connection.
        case follow(method: String, path: String)
        /// Count the answer as it is (a 307 for a POST).
        case keep
        case fail(String)
    }

    func decide(status: Int, location: String, endpoint: Int, hop: Int) -> Decision {
        let method = methods[endpoint]
        guard hop < Self.maximumRedirects else {
            return .fail("more than \(Self.maximumRedirects) redirects in a row")
        }
        let preservesMethod = status == 307 || status == 308
        if preservesMethod && method != "GET" && method != "HEAD" { return .keep }
        guard let base = URL(string: target.displayURL + "/"), let url = URL(string: location, relativeTo: base)?.absoluteURL,
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty
        else {
            return .fail("redirect to a location that is not an http(s) URL")
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let sameOrigin = (scheme == "https") == target.useTLS && port == target.port
            && host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]")) == target.host.lowercased()
        guard sameOrigin else {
            let named = url.port.map { "\(host):\($0)" } ?? host
            if (try? HostPolicy.check(url: url.absoluteString, allowHosts: allowHosts)) == nil {
                return .fail("redirect to \(named), which allow_hosts does not list: not followed")
            }
            return .fail("redirect to another host, \(named): not followed (redirects are followed within \(target.displayURL) only)")
        }
        var path = url.path(percentEncoded: true)
        if path.isEmpty { path = "/" }
        if let query = url.query(percentEncoded: true) { path += "?" + query }
        return .follow(method: preservesMethod || method == "HEAD" ? method : "GET", path: path)
    }

    /// The next hop's request: no body, the target's Host, the endpoint's credential.
    func request(method: String, path: String, credential: Int, into buffer: inout ByteBuffer) {
        buffer.clear()
        buffer.writeString("\(method) \(path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: loadops/\(LoadOpsKitVersion.string)\r\nAccept: */*\r\n")
        buffer.writeBytes(authorizationLines[credential % authorizationLines.count])
        buffer.writeStaticString("\r\n")
    }
}
