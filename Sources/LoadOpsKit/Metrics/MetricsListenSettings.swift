import DurationSyntax
import Foundation

/// What `--metrics-listen` and `--metrics-linger` ask for: where the live metrics are served, and
/// for how long after the run's files are written.
public struct MetricsListenSettings: Sendable, Equatable {
    public var address: ListenAddress
    /// Seconds to keep answering after the run's results are written, for a last scrape.
    public var linger: Double

    static let listenFlag = "--metrics-listen"
    static let lingerFlag = "--metrics-linger"
    /// Longer would keep a finished run's process around for no one.
    static let maximumLinger = 3600.0

    public init(address: ListenAddress, linger: Double = 0) {
        self.address = address
        self.linger = linger
    }

    /// The flags' values; nil when `--metrics-listen` is not given. `HOST:PORT` (`127.0.0.1:9464`,
    /// `[::1]:9464`, `0.0.0.0:9464` for every interface), or `PORT` alone for loopback.
    public static func parse(listen: String?, linger: String?) throws(ConfigError) -> MetricsListenSettings? {
        guard let listen else {
            if linger != nil {
                throw ConfigError.invalid(.commandLine(lingerFlag), "keeps the live metrics up after the run, so it needs \(listenFlag) HOST:PORT")
            }
            return nil
        }
        let address = try ListenAddress.parse(listen, flag: listenFlag)
        var seconds = 0.0
        if let linger {
            do {
                seconds = try DurationParser.seconds(from: linger)
            } catch {
                throw ConfigError.flag(lingerFlag, error)
            }
            guard seconds <= maximumLinger else {
                throw ConfigError.invalid(.commandLine(lingerFlag), "at most \(DurationParser.format(maximumLinger)), got \"\(linger)\"")
            }
        }
        return MetricsListenSettings(address: address, linger: seconds)
    }

    /// `http://127.0.0.1:9464/metrics`, `http://[::1]:9464/metrics`.
    public var url: String { "http://\(address.authority)/metrics" }
}

/// The live metrics could not be served where `--metrics-listen` asks: nothing was sent (exit 2).
public struct MetricsListenError: Error, CustomStringConvertible, ExitStatusProviding, Sendable {
    public var address: String
    public var reason: String

    public var exitStatus: ExitStatus { .badInput }

    public var description: String {
        "\(MetricsListenSettings.listenFlag) \(address): cannot listen there: \(reason); no load was sent"
    }
}
