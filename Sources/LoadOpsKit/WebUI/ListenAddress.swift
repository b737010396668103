import Foundation

/// Where a server of loadops listens: `--bind HOST:PORT` of `loadops ui`.
public struct ListenAddress: Sendable, Equatable {
    /// A host name or address, without IPv6 brackets.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `HOST:PORT` (`127.0.0.1:8089`, `localhost:8089`, `[::1]:8089`, `0.0.0.0:8089` for every
    /// interface), or a port alone for loopback. `flag` names the option in the error.
    public static func parse(_ text: String, flag: String) throws(ConfigError) -> ListenAddress {
        let expected = "expected HOST:PORT such as 127.0.0.1:8089, [::1]:8089 or a port alone (loopback), got \"\(text)\""
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var host = "127.0.0.1"
        var portText = Substring(trimmed)
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]"), trimmed[trimmed.index(after: close)...].hasPrefix(":") else {
                throw ConfigError.invalid(.commandLine(flag), expected)
            }
            host = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            portText = trimmed[trimmed.index(close, offsetBy: 2)...]
        } else if let colon = trimmed.lastIndex(of: ":") {
            host = String(trimmed[..<colon])
            portText = trimmed[trimmed.index(after: colon)...]
            // An IPv6 address needs its brackets, or its last group would read as the port.
            guard !host.contains(":") else { throw ConfigError.invalid(.commandLine(flag), expected) }
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace), !host.contains("/"),
              portText.allSatisfy(\.isASCIIDigit), let port = Int(portText), (1...65535).contains(port)
        else {
            throw ConfigError.invalid(.commandLine(flag), expected + " (the port is a number from 1 to 65535)")
        }
        return ListenAddress(host: host, port: port)
    }

    /// Only this machine can connect.
    public var isLoopback: Bool { HostPolicy.isLoopback(host.lowercased()) }

    /// Every interface of the machine (`0.0.0.0`, `::`).
    var isWildcard: Bool { host == "0.0.0.0" || host == "::" || host == "0:0:0:0:0:0:0:0" }

    /// `127.0.0.1:8089`, `[::1]:8089`: as a URL or a `Host` header writes it.
    public var authority: String {
        "\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
