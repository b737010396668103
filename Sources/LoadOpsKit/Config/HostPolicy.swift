import Foundation

/// Load is only sent to loopback and to hosts the configuration names: to its target and to anyone
/// watching, a load test looks like a denial-of-service attack.
public enum HostPolicy {
    /// Throws `HostNotAllowed` unless the host of `url` is loopback or matches an entry of `allowHosts`
    /// (exact, case-insensitive; `*.example.com` matches any subdomain of example.com).
    public static func check(url: String, allowHosts: [String]) throws {
        let host = hostName(of: url)
        guard !isLoopback(host) else { return }
        guard !host.isEmpty, allowHosts.contains(where: { matches(host: host, entry: $0) }) else {
            throw HostNotAllowed(host: host, url: Redaction.redactURL(url), allowHosts: allowHosts)
        }
    }

    /// Lower-cased host of a URL (or of a bare `host[:port]`), without IPv6 brackets or trailing dot.
    static func hostName(of url: String) -> String {
        let host: String
        if let parts = URLParts(url) {
            host = parts.host
        } else if let parts = URLParts("http://" + url) {
            host = parts.host
        } else {
            host = url
        }
        return normalised(host)
    }

    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { octet in
            guard let value = Int(octet), octet.allSatisfy(\.isASCIIDigit) else { return false }
            return (0...255).contains(value)
        }
    }

    private static func matches(host: String, entry: String) -> Bool {
        let pattern = normalised(entry)
        if pattern.hasPrefix("*.") {
            let domain = pattern.dropFirst(2)
            return host.hasSuffix("." + domain) && host.count > domain.count + 1
        }
        return host == pattern
    }

    private static func normalised(_ host: String) -> String {
        var text = host.trimmingCharacters(in: .whitespaces).lowercased()
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

public struct HostNotAllowed: Error, CustomStringConvertible, Equatable, Sendable {
    public var host: String
    /// The target URL, password redacted.
    public var url: String
    public var allowHosts: [String]

    public var description: String {
        let listed = allowHosts.isEmpty ? "allow_hosts is empty" : "allow_hosts is [\(allowHosts.joined(separator: ", "))]"
        return """
            refusing to send load to \(host.isEmpty ? url : host) (\(url)): it is not in allow_hosts (\(listed)).
            A load test looks like a denial-of-service attack to the target and to whoever watches it, so loadops \
            only sends load to loopback (127.0.0.1, localhost, ::1) and to hosts listed in allow_hosts. If you own \
            this system or have permission to load test it, add it to loadops.yml:
              allow_hosts: [\((allowHosts + [host.isEmpty ? "HOST" : host]).joined(separator: ", "))]
            """
    }
}
