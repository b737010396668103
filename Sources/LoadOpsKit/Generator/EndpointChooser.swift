/// Smooth weighted round-robin (as nginx balances upstreams): every endpoint gets exactly its
/// share of requests, evenly interleaved, without random draws.
struct EndpointChooser {
    private let weights: [Double]
    private var current: [Double]
    private let total: Double

    init(weights: [Double]) {
        self.weights = weights
        self.current = Array(repeating: 0, count: weights.count)
        self.total = weights.reduce(0, +)
    }

    @inline(__always)
    mutating func next() -> Int {
        if weights.count == 1 { return 0 }
        var best = 0
        for index in weights.indices {
            current[index] += weights[index]
            if current[index] > current[best] { best = index }
        }
        current[best] -= total
        return best
    }
}
