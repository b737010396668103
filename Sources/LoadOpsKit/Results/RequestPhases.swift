import Foundation

/// Where a request's time went, as k6 reports it: opening the TCP connection, the TLS handshake
/// (both only for requests that opened a connection), waiting for the first byte of the answer
/// after the request was written, and receiving the rest. Microseconds, two significant digits:
/// enough to tell which phase dominates, at a tenth of the memory of the latency histograms.
public struct RequestPhases: Sendable {
    public var connect: LatencyHistogram
    public var tlsHandshake: LatencyHistogram
    public var timeToFirstByte: LatencyHistogram
    public var receive: LatencyHistogram

    public init() {
        connect = Self.makeHistogram()
        tlsHandshake = Self.makeHistogram()
        timeToFirstByte = Self.makeHistogram()
        receive = Self.makeHistogram()
    }

    public static func makeHistogram() -> LatencyHistogram {
        LatencyHistogram(lowestDiscernibleValue: 1, highestTrackableValue: LatencyHistograms.highestTrackableMicroseconds,
                         numberOfSignificantValueDigits: .two)
    }

    public mutating func add(_ other: RequestPhases) {
        connect.add(other.connect)
        tlsHandshake.add(other.tlsHandshake)
        timeToFirstByte.add(other.timeToFirstByte)
        receive.add(other.receive)
    }
}
