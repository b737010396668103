import Foundation

/// A latency percentile loadops reports: Locust's `PERCENTILES_TO_REPORT`, in the order of its CSV
/// columns. The raw value is the percentile's key in `results.json` and the history (`"95"`, `"99.9"`);
/// Locust's column header adds a `%`.
public enum Percentile: String, CaseIterable, Codable, Sendable, Hashable, CodingKeyRepresentable {
    case p50 = "50"
    case p66 = "66"
    case p75 = "75"
    case p80 = "80"
    case p90 = "90"
    case p95 = "95"
    case p98 = "98"
    case p99 = "99"
    case p99_9 = "99.9"
    case p99_99 = "99.99"
    case p100 = "100"

    /// 0-100, as the histograms take it.
    public var percent: Double {
        switch self {
        case .p50: return 50
        case .p66: return 66
        case .p75: return 75
        case .p80: return 80
        case .p90: return 90
        case .p95: return 95
        case .p98: return 98
        case .p99: return 99
        case .p99_9: return 99.9
        case .p99_99: return 99.99
        case .p100: return 100
        }
    }

    /// Locust's CSV column header: `50%`, `99.9%`.
    public var columnHeader: String { rawValue + "%" }

    /// Every column header, in Locust's order.
    public static var columnHeaders: [String] { allCases.map(\.columnHeader) }

    /// A percentile table as `results.json` keys it, with the keys that name no reported percentile
    /// left out: earlier versions kept such keys of a hand-written file but never read them.
    static func keyed(_ values: [String: Double]) -> [Percentile: Double] {
        var keyed: [Percentile: Double] = [:]
        for (key, value) in values {
            if let percentile = Percentile(rawValue: key) { keyed[percentile] = value }
        }
        return keyed
    }
}
