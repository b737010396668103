import NIOCore

/// A reply in the Redis serialisation protocol (RESP2).
enum RESPValue: Sendable, Equatable {
    case simple(String)
    case error(String)
    case integer(Int)
    /// nil is RESP's null bulk string (`$-1`).
    case bulk(String?)
    /// nil is RESP's null array (`*-1`).
    case array([RESPValue]?)

    var text: String? {
        switch self {
        case .simple(let text): return text
        case .bulk(let text): return text
        case .integer(let number): return String(number)
        default: return nil
        }
    }
}

/// Why a reply is not RESP as loadops accepts it, in words for the check's message.
struct RESPReplyError: Error, Equatable, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Reads one RESP reply at a time off the front of a buffer, with bounds a hostile or broken
/// server cannot get past: a reply of at most `maximumReplyBytes`, arrays nested at most
/// `maximumDepth` deep, and lengths and counts that must fit in those. Each byte is checked once,
/// however the reply is split across reads; nothing is built until the whole reply is there.
struct RESPReplyParser {
    /// Far above any reply loadops asks for (INFO memory is a few KiB).
    static let maximumReplyBytes = 16 * 1024 * 1024
    static let maximumDepth = 32

    /// Bytes of the current reply already checked, from the buffer's reader index.
    private var checked = 0
    /// Bytes of the line at `checked` known to hold no line feed yet.
    private var unterminated = 0
    /// Per array still open, outermost first: values it still needs. Empty before a reply starts.
    private var open: [Int] = []

    /// The reply at the front of `buffer`, consumed, once all of it has arrived; nil while it is
    /// incomplete (the buffer is left as it is, and the next call must pass it again with the new
    /// bytes appended).
    mutating func parse(_ buffer: inout ByteBuffer) throws(RESPReplyError) -> RESPValue? {
        guard try check(buffer) else { return nil }
        let length = checked
        checked = 0
        unterminated = 0
        open.removeAll(keepingCapacity: true)
        guard let reply = buffer.readSlice(length: length) else { throw RESPReplyError("the reply ended early") }
        var reader = reply
        return try Self.decode(&reader, depth: 0)
    }

    /// Walks the reply from where the last call stopped; true once it is complete.
    private mutating func check(_ buffer: ByteBuffer) throws(RESPReplyError) -> Bool {
        let available = buffer.readableBytes
        if checked == 0 && open.isEmpty { open = [1] }
        while let needed = open.last {
            if needed == 0 {
                open.removeLast()
                continue
            }
            guard let (marker, line, next) = try header(in: buffer, at: checked, available: available) else { return false }
            var end = next
            switch marker {
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                break
            case UInt8(ascii: ":"):
                guard Self.integer(line) != nil else { throw RESPReplyError("an integer reply is not a number") }
            case UInt8(ascii: "$"):
                let length = try Self.length(line, of: "a bulk string")
                if length >= 0 {
                    guard length <= Self.maximumReplyBytes - next else { throw Self.tooLarge }
                    end = next + length + 2
                    guard end <= available else { return false }
                    guard buffer.getInteger(at: buffer.readerIndex + end - 2, as: UInt16.self) == 0x0D0A else {
                        throw RESPReplyError("a bulk string is longer than its stated length")
                    }
                }
            case UInt8(ascii: "*"):
                let count = try Self.length(line, of: "an array")
                // Every element takes at least three bytes ("+\r\n").
                guard count <= (Self.maximumReplyBytes - next) / 3 else { throw Self.tooLarge }
                // `open` holds the top-level slot and one entry per array already open.
                guard count < 0 || open.count <= Self.maximumDepth else {
                    throw RESPReplyError("arrays nested more than \(Self.maximumDepth) deep")
                }
                if count > 0 {
                    open[open.count - 1] -= 1
                    open.append(count)
                    checked = end
                    continue
                }
            default:
                throw RESPReplyError("unexpected byte \(Self.hex(marker)) where a reply should start")
            }
            open[open.count - 1] -= 1
            checked = end
        }
        return true
    }

    private static let tooLarge = RESPReplyError("the reply is larger than \(maximumReplyBytes / 1024 / 1024) MiB")

    /// The type byte and the line after it (up to CR LF) at `offset`, and where the next element
    /// starts; nil while the line is incomplete.
    private mutating func header(in buffer: ByteBuffer, at offset: Int, available: Int)
        throws(RESPReplyError) -> (UInt8, ByteBufferView, Int)?
    {
        let view = buffer.readableBytesView
        let searchStart = view.startIndex + offset + unterminated
        guard let feed = view[searchStart...].firstIndex(of: UInt8(ascii: "\n")) else {
            unterminated = available - offset
            if available > Self.maximumReplyBytes { throw Self.tooLarge }
            return nil
        }
        unterminated = 0
        let lineStart = view.startIndex + offset
        guard feed > lineStart, view[feed - 1] == UInt8(ascii: "\r") else {
            throw RESPReplyError("a reply line does not end in CR LF")
        }
        guard feed - lineStart >= 2 else { throw RESPReplyError("an empty line where a reply should start") }
        let next = feed + 1 - view.startIndex
        if next > Self.maximumReplyBytes { throw Self.tooLarge }
        return (view[lineStart], view[(lineStart + 1)..<(feed - 1)], next)
    }

    /// A length or count: -1 is null; anything else must be 0 or more.
    private static func length(_ line: ByteBufferView, of what: String) throws(RESPReplyError) -> Int {
        guard let value = integer(line) else { throw RESPReplyError("the length of \(what) is not a number") }
        if value == -1 { return -1 }
        guard value >= 0 else { throw RESPReplyError("the length of \(what) is negative") }
        return value
    }

    /// A decimal integer with an optional sign, or nil (also on overflow).
    private static func integer(_ line: ByteBufferView) -> Int? {
        guard line.count <= 20 else { return nil }
        return Int(String(decoding: line, as: UTF8.self))
    }

    private static func hex(_ byte: UInt8) -> String {
        (byte < 16 ? "0x0" : "0x") + String(byte, radix: 16)
    }

    /// Builds the value of a reply `check` accepted; it still refuses what it cannot read, so it
    /// never traps whatever it is given.
    private static func decode(_ buffer: inout ByteBuffer, depth: Int) throws(RESPReplyError) -> RESPValue {
        guard depth <= maximumDepth, let marker = buffer.readInteger(as: UInt8.self),
              let line = readLine(&buffer) else { throw RESPReplyError("the reply ended early") }
        switch marker {
        case UInt8(ascii: "+"): return .simple(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"):
            guard let number = Int(line) else { throw RESPReplyError("an integer reply is not a number") }
            return .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1 else {
                throw RESPReplyError("the length of a bulk string is not a number")
            }
            if length < 0 { return .bulk(nil) }
            guard let text = buffer.readString(length: length), buffer.readableBytes >= 2 else {
                throw RESPReplyError("the reply ended early")
            }
            buffer.moveReaderIndex(forwardBy: 2)
            return .bulk(text)
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1 else { throw RESPReplyError("the length of an array is not a number") }
            if count < 0 { return .array(nil) }
            // Each element needs at least three bytes, so this cannot reserve more than the reply holds.
            var items: [RESPValue] = []
            items.reserveCapacity(min(count, buffer.readableBytes / 3))
            for _ in 0..<count {
                items.append(try decode(&buffer, depth: depth + 1))
            }
            return .array(items)
        default:
            throw RESPReplyError("unexpected byte \(hex(marker)) where a reply should start")
        }
    }

    private static func readLine(_ buffer: inout ByteBuffer) -> String? {
        let view = buffer.readableBytesView
        guard let feed = view.firstIndex(of: UInt8(ascii: "\n")), feed > view.startIndex,
              view[feed - 1] == UInt8(ascii: "\r") else { return nil }
        let line = buffer.readString(length: feed - 1 - view.startIndex)
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }
}
