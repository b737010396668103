/// 128 bits read from hexadecimal text: a session's UUID or a login token. Kept as two numbers so
/// a lookup hashes 16 bytes instead of a string, and `A` and `a` are the same digit.
struct RememberedID: Hashable, Sendable {
    var high: UInt64
    var low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// A UUID in the `8-4-4-4-12` form, either case; nil for anything else.
    init?(uuid text: Substring) {
        guard isUUID(text) else { return nil }
        self.init(hexDigits: text.utf8, skippingDashes: true)
    }

    /// Exactly 32 hexadecimal digits, either case (what `tokenText` writes); nil for anything else.
    init?(token text: Substring) {
        self.init(hexDigits: text.utf8, skippingDashes: false)
    }

    private init?(hexDigits bytes: Substring.UTF8View, skippingDashes: Bool) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        var digits = 0
        for byte in bytes {
            if skippingDashes, byte == UInt8(ascii: "-") { continue }
            guard digits < 32, let value = hexDigitValue(byte) else { return nil }
            if digits < 16 {
                high = high << 4 | UInt64(value)
            } else {
                low = low << 4 | UInt64(value)
            }
            digits += 1
        }
        guard digits == 32 else { return nil }
        self.init(high: high, low: low)
    }

    /// 32 lowercase hexadecimal digits.
    var tokenText: String {
        paddedHex(high) + paddedHex(low)
    }
}

private func hexDigitValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
    default: return nil
    }
}

private func paddedHex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

/// A set that holds at most `limit` ids: past it, the one added longest ago is forgotten first.
/// Adding an id already held changes nothing, not even its age.
struct RememberedIDs: Sendable {
    private let limit: Int
    private var members: Set<RememberedID> = []
    /// Ids in the order they were added; once `limit` long, a ring whose oldest entry is at `oldest`.
    /// Grows as ids arrive, so a target that remembers little costs little.
    private var order: [RememberedID] = []
    private var oldest = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    var count: Int { members.count }

    func contains(_ id: RememberedID) -> Bool {
        members.contains(id)
    }

    mutating func insert(_ id: RememberedID) {
        guard members.insert(id).inserted else { return }
        if order.count < limit {
            order.append(id)
            return
        }
        members.remove(order[oldest])
        order[oldest] = id
        oldest = (oldest + 1) % limit
    }
}
