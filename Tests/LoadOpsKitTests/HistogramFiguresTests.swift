import Foundation
import Histogram
import Testing
@testable import LoadOpsKit

/// Figures loadops computes from its histograms itself must be the library's own.
@Suite struct HistogramFiguresTests {
    @Test(arguments: [LatencyHistograms.make(), RequestPhases.makeHistogram()])
    func theMeanIsTheLibrarysMean(empty: LatencyHistogram) {
        var histogram = empty
        #expect(histogram.meanMilliseconds == 0)
        var random = FastRandom()
        for _ in 0..<50_000 {
            // Spread over six orders of magnitude, as latencies are.
            let exponent = random.nextUnit() * 6
            _ = histogram.record(UInt64(pow(10, exponent)))
        }
        _ = histogram.record(LatencyHistograms.highestTrackableMicroseconds)
        #expect(histogram.meanMilliseconds == Milliseconds.from(microseconds: histogram.mean))
    }
}
