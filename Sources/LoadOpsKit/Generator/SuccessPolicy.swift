/// Which status codes count as success: a bit per code 0-639 (any 1xx-3xx by default). A tuple,
/// not an array, so checking an answer touches no reference count.
struct SuccessPolicy {
    private var bits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init(expected: [Int]) {
        let codes = expected.isEmpty ? Array(100..<400) : expected
        withUnsafeMutableBytes(of: &bits) { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for code in codes where (0..<600).contains(code) {
                words[code >> 6] |= 1 << UInt64(code & 63)
            }
        }
    }

    @inline(__always)
    func isSuccess(_ status: Int) -> Bool {
        guard status >= 0 && status < 600 else { return false }
        return withUnsafeBytes(of: bits) { raw in
            raw.load(fromByteOffset: (status >> 6) * 8, as: UInt64.self) & (1 << UInt64(status & 63)) != 0
        }
    }
}
