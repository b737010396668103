import Foundation
import Histogram

/// A compact, lossless encoding of a `LatencyHistogram` for the history database.
///
/// hdrhistogram-swift only offers `Codable` of the whole counts array (35 KB and more of JSON for
/// our latency range), mostly zeros. This keeps only the non-zero buckets, as unsigned LEB128
/// varints: the histogram's parameters, the exact smallest and largest recorded values, then runs
/// of adjacent non-zero buckets, each as (buckets skipped since the previous run, run length, and
/// each count as the zigzag difference from the previous count). Neighbouring buckets of a latency
/// distribution hold similar counts, so a busy bucket usually costs one byte; a typical run's
/// histogram takes a few KB at most. Decoding rebuilds a histogram equal to the original (same count
/// in every bucket, same exact min and max), so percentiles can be recomputed and histograms merged.
///
/// Bucket positions are counted with the histogram's public `nextNonEquivalentForValue`, not its
/// internal array indexes, so the format depends only on HdrHistogram's bucket boundaries.
public enum HistogramCoding {
    /// The value of the `encoding` column of the `histograms` table.
    public static let encodingName = "hdr-runs-varint-v1"
    static let formatVersion: UInt8 = 1

    public static func encode(_ histogram: LatencyHistogram) -> Data {
        var bytes: [UInt8] = [formatVersion]
        appendVarint(histogram.lowestDiscernibleValue, to: &bytes)
        appendVarint(histogram.highestTrackableValue, to: &bytes)
        bytes.append(UInt8(bitPattern: histogram.numberOfSignificantValueDigits.rawValue))
        appendVarint(histogram.totalCount > 0 ? histogram.min : 0, to: &bytes)
        appendVarint(histogram.totalCount > 0 ? histogram.maxRecorded : 0, to: &bytes)

        // Group the non-zero buckets into runs of neighbours.
        var runs: [(skipped: UInt64, counts: [UInt64])] = []
        var cursor = histogram.lowestEquivalentForValue(0)  // the first bucket not yet accounted for
        for bucket in histogram.recordedValues() {
            let lowest = histogram.lowestEquivalentForValue(bucket.value)
            var skipped: UInt64 = 0
            while cursor < lowest {
                cursor = histogram.nextNonEquivalentForValue(cursor)
                skipped += 1
            }
            if skipped == 0, !runs.isEmpty {
                runs[runs.count - 1].counts.append(bucket.count)
            } else {
                runs.append((skipped, [bucket.count]))
            }
            cursor = histogram.nextNonEquivalentForValue(lowest)
        }
        appendVarint(UInt64(runs.count), to: &bytes)
        var previousCount: UInt64 = 0
        for run in runs {
            appendVarint(run.skipped, to: &bytes)
            appendVarint(UInt64(run.counts.count), to: &bytes)
            for count in run.counts {
                appendVarint(zigzag(Int64(bitPattern: count &- previousCount)), to: &bytes)
                previousCount = count
            }
        }
        return Data(bytes)
    }

    public static func decode(_ data: Data) throws(HistoryError) -> LatencyHistogram {
        var reader = VarintReader(bytes: [UInt8](data))
        guard let version = reader.byte(), version == formatVersion else {
            throw .histogramUndecodable(reason: "unknown format (expected \(encodingName))")
        }
        let lowest = try reader.varint("lowest discernible value")
        let highest = try reader.varint("highest trackable value")
        guard let digitsByte = reader.byte(),
              let digits = SignificantDigits(rawValue: Int8(bitPattern: digitsByte)) else {
            throw .histogramUndecodable(reason: "invalid number of significant digits")
        }
        guard lowest >= 1, lowest <= UInt64(1) << 40, highest >= 2 * lowest, highest <= UInt64(1) << 62 else {
            throw .histogramUndecodable(reason: "invalid range \(lowest)...\(highest)")
        }
        let minimum = try reader.varint("minimum")
        let maximum = try reader.varint("maximum")
        var histogram = LatencyHistogram(lowestDiscernibleValue: lowest, highestTrackableValue: highest,
                                         numberOfSignificantValueDigits: digits)

        var buckets: [(lowest: UInt64, count: UInt64)] = []
        let runCount = try reader.varint("run count")
        var cursor = histogram.lowestEquivalentForValue(0)
        var previousCount: UInt64 = 0
        for _ in 0..<runCount {
            let skipped = try reader.varint("gap")
            let length = try reader.varint("run length")
            // Every bucket costs at least one byte: a longer run than the data left is damage, not a loop to run.
            guard skipped <= UInt64(Int32.max), length >= 1, length <= UInt64(reader.remaining) else {
                throw .histogramUndecodable(reason: "invalid run of \(length) buckets after a gap of \(skipped)")
            }
            for _ in 0..<skipped {
                cursor = try step(histogram, from: cursor, highest: highest)
            }
            for _ in 0..<length {
                let count = previousCount &+ UInt64(bitPattern: unzigzag(try reader.varint("bucket count")))
                guard count > 0, count < UInt64(1) << 62 else {
                    throw .histogramUndecodable(reason: "invalid bucket count")
                }
                guard cursor <= highest else {
                    throw .histogramUndecodable(reason: "a bucket lies beyond the highest trackable value \(highest)")
                }
                buckets.append((cursor, count))
                previousCount = count
                cursor = histogram.nextNonEquivalentForValue(cursor)
            }
        }
        guard reader.isAtEnd else { throw .histogramUndecodable(reason: "unexpected bytes after the last bucket") }

        // Record each bucket at a value inside it; the first and last buckets at the exact min and max,
        // so `min` and `maxRecorded` come back as they were, not as bucket boundaries.
        for (index, bucket) in buckets.enumerated() {
            var entries: [(value: UInt64, count: UInt64)] = [(bucket.lowest, bucket.count)]
            let holdsMinimum = index == 0 && histogram.valuesAreEquivalent(minimum, bucket.lowest)
            let holdsMaximum = index == buckets.count - 1 && histogram.valuesAreEquivalent(maximum, bucket.lowest)
            if holdsMinimum && holdsMaximum && bucket.count >= 2 && minimum != maximum {
                entries = [(minimum, bucket.count - 1), (maximum, 1)]
            } else if holdsMinimum {
                entries = [(minimum, bucket.count)]
            } else if holdsMaximum {
                entries = [(maximum, bucket.count)]
            }
            for entry in entries {
                guard histogram.record(entry.value, count: entry.count) else {
                    throw .histogramUndecodable(reason: "value \(entry.value) is beyond the highest trackable value \(highest)")
                }
            }
        }
        return histogram
    }

    private static func step(_ histogram: LatencyHistogram, from value: UInt64, highest: UInt64) throws(HistoryError) -> UInt64 {
        guard value <= highest else {
            throw .histogramUndecodable(reason: "a gap reaches beyond the highest trackable value \(highest)")
        }
        return histogram.nextNonEquivalentForValue(value)
    }

    static func zigzag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    static func unzigzag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1)
    }

    static func appendVarint(_ value: UInt64, to bytes: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    struct VarintReader {
        let bytes: [UInt8]
        var offset = 0

        var isAtEnd: Bool { offset == bytes.count }
        var remaining: Int { bytes.count - offset }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint(_ what: String) throws(HistoryError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard let next = byte() else { throw .histogramUndecodable(reason: "truncated while reading the \(what)") }
                guard shift < 63 || (shift == 63 && next <= 1) else {
                    throw .histogramUndecodable(reason: "the \(what) does not fit in 64 bits")
                }
                result |= UInt64(next & 0x7F) << shift
                if next & 0x80 == 0 { return result }
                shift += 7
            }
        }
    }
}
