import Foundation

/// Where the load goes: scheme, host, port and the `Host` header, parsed once from the configured URL.
public struct TargetAddress: Sendable, Equatable {
    public var useTLS: Bool
    public var host: String
    public var port: Int
    /// Path prefix of the base URL (`https://api.example.com/v1` → `/v1`), prepended to every endpoint path.
    public var basePath: String

    public init(useTLS: Bool, host: String, port: Int, basePath: String = "") {
        self.useTLS = useTLS
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    public init(url: String) throws(GeneratorError) {
        guard let components = URLComponents(string: url),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty
        else {
            throw GeneratorError.invalidTarget(url: Redaction.redactURL(url), reason: "expected an http:// or https:// URL with a host name")
        }
        self.useTLS = scheme == "https"
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
    }

    /// Value of the `Host` header: the port is left out when it is the scheme's default.
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        let defaultPort = useTLS ? 443 : 80
        return port == defaultPort ? name : "\(name):\(port)"
    }

    public var displayURL: String {
        "\(useTLS ? "https" : "http")://\(hostHeader)\(basePath)"
    }
}

public enum GeneratorError: Error, CustomStringConvertible, Equatable {
    case invalidTarget(url: String, reason: String)
    case invalidTemplate(endpoint: String, reason: String)
    case cannotResolve(host: String, reason: String)
    case tlsSetup(reason: String)
    case noEndpoints
    case noRate
    case tooManyConnections(needed: Int, limit: Int)
    case requestCountWithFlows
    case eventLoopStart(reason: String)

    public var description: String {
        switch self {
        case .invalidTarget(let url, let reason): return "target \(url): \(reason)"
        case .invalidTemplate(let endpoint, let reason): return "endpoint \(endpoint): \(reason)"
        case .cannotResolve(let host, let reason): return "cannot resolve \(host): \(reason)"
        case .tlsSetup(let reason): return "TLS set-up failed: \(reason)"
        case .noEndpoints: return "no endpoints to send load to"
        case .noRate: return "the open model needs an arrival rate: set load.rate, a rate per endpoint, or stages"
        case .eventLoopStart(let reason): return reason
        case .requestCountWithFlows:
            return "a request count (--requests, load.requests) cannot bound a run with flows: bound it by its duration"
        case .tooManyConnections(let needed, let limit):
            return "the run needs about \(needed) open files (one per connection) but the limit is \(limit): raise it with `ulimit -n \(needed)` or lower users/max_connections"
        }
    }
}
