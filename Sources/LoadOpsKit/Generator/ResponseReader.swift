import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal incremental HTTP/1.1 response reader: the status code, the body length
/// (Content-Length, chunked, or until close) and whether the connection stays open.
/// Header values other than those three are skipped without building strings.
///
/// The status line and headers may take `maximumHeadBytes` in all (as may a chunk-size line):
/// a peer that sends an endless header line gets a malformed response, not unbounded buffering.
/// A line still unterminated at the end of a read is not scanned again on the next one.
struct ResponseReader {
    /// Bytes allowed for the status line and headers together (and the trailers after a chunked body).
    static let maximumHeadBytes = 64 * 1024

    struct Response: Equatable {
        var status: Int
        var bodyBytes: Int
        var keepAlive: Bool
        /// A redirect's `Location` (301, 302, 303, 307, 308 only: other answers build no string).
        var location: String? = nil
    }

    /// The statuses whose `Location` a client follows.
    static func isRedirect(_ status: Int) -> Bool {
        status == 301 || status == 302 || status == 303 || status == 307 || status == 308
    }

    enum ReadError: Error, Equatable {
        /// What is wrong, in a few fixed words (never the peer's bytes: the reason becomes a failure
        /// kind, and a hostile peer must not be able to mint a new kind per response).
        case malformed(String)
    }

    private enum State {
        case statusLine
        case headers
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    private var state: State = .statusLine
    private var status = 0
    private var contentLength: Int?
    private var chunked = false
    private var keepAlive = true
    private var location: String?
    private var bodyBytes = 0
    /// Bytes of status line, headers and trailers consumed so far.
    private var headBytes = 0
    /// Bytes at the start of the unconsumed input known to hold no line feed: where the next search
    /// for the end of the current line starts.
    private var unterminatedBytes = 0
    /// The request was HEAD: the answer has headers only.
    var expectsNoBody = false

    mutating func reset(expectsNoBody: Bool) {
        state = .statusLine
        status = 0
        contentLength = nil
        chunked = false
        keepAlive = true
        location = nil
        bodyBytes = 0
        headBytes = 0
        unterminatedBytes = 0
        self.expectsNoBody = expectsNoBody
    }

    /// Consumes bytes from `buffer`; returns the response once it is complete. Bytes of a
    /// complete response are consumed; an incomplete tail stays in `buffer`, and the next call must
    /// pass that tail again with the new bytes appended.
    mutating func read(_ buffer: inout ByteBuffer) throws(ReadError) -> Response? {
        // One pass over the contiguous bytes: no slice (and no reference count traffic) per line.
        let (consumed, step) = buffer.withUnsafeReadableBytes { bytes in consume(bytes) }
        buffer.moveReaderIndex(forwardBy: consumed)
        switch step {
        case .incomplete: return nil
        case .complete(let response): return response
        case .malformed(let reason): throw .malformed(reason)
        }
    }

    private enum Step {
        case incomplete
        case complete(Response)
        case malformed(String)
    }

    /// Reads from `bytes`; returns how many bytes it consumed and what came of them.
    private mutating func consume(_ bytes: UnsafeRawBufferPointer) -> (Int, Step) {
        var cursor = 0
        while true {
            switch state {
            case .statusLine:
                guard let (line, next) = nextLine(in: bytes, from: cursor) else {
                    return (cursor, unterminatedHeadLine(bytes.count - cursor))
                }
                headBytes += next - cursor
                cursor = next
                if headBytes > Self.maximumHeadBytes { return (cursor, .malformed(Self.headTooLong)) }
                if let reason = parseStatusLine(line) { return (cursor, .malformed(reason)) }
                state = .headers
            case .headers:
                guard let (line, next) = nextLine(in: bytes, from: cursor) else {
                    return (cursor, unterminatedHeadLine(bytes.count - cursor))
                }
                headBytes += next - cursor
                cursor = next
                if headBytes > Self.maximumHeadBytes { return (cursor, .malformed(Self.headTooLong)) }
                if line.isEmpty {
                    if let done = headersComplete() { return (cursor, .complete(done)) }
                } else {
                    parseHeader(line)
                }
            case .fixedBody(let remaining):
                let take = min(remaining, bytes.count - cursor)
                cursor += take
                bodyBytes += take
                if take == remaining { return (cursor, .complete(finish())) }
                state = .fixedBody(remaining: remaining - take)
                return (cursor, .incomplete)
            case .chunkSize:
                guard let (line, next) = nextLine(in: bytes, from: cursor) else {
                    return (cursor, unterminatedLine(bytes.count - cursor, allowed: Self.maximumHeadBytes, Self.chunkLineTooLong))
                }
                if next - cursor > Self.maximumHeadBytes { return (next, .malformed(Self.chunkLineTooLong)) }
                cursor = next
                guard let size = Self.parseChunkSize(line) else { return (cursor, .malformed("bad chunk size")) }
                state = size == 0 ? .trailers : .chunkData(remaining: size)
            case .chunkData(let remaining):
                let take = min(remaining, bytes.count - cursor)
                cursor += take
                bodyBytes += take
                guard take == remaining else {
                    state = .chunkData(remaining: remaining - take)
                    return (cursor, .incomplete)
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard let (line, next) = nextLine(in: bytes, from: cursor) else {
                    return (cursor, unterminatedLine(bytes.count - cursor, allowed: 2, "chunk not followed by CRLF"))
                }
                cursor = next
                guard line.isEmpty else { return (cursor, .malformed("chunk not followed by CRLF")) }
                state = .chunkSize
            case .trailers:
                guard let (line, next) = nextLine(in: bytes, from: cursor) else {
                    return (cursor, unterminatedHeadLine(bytes.count - cursor))
                }
                headBytes += next - cursor
                cursor = next
                if headBytes > Self.maximumHeadBytes { return (cursor, .malformed(Self.headTooLong)) }
                if line.isEmpty { return (cursor, .complete(finish())) }
            case .untilClose:
                bodyBytes += bytes.count - cursor
                return (bytes.count, .incomplete)
            }
        }
    }

    private static var headTooLong: String { "status line and headers longer than 64 KiB" }
    private static var chunkLineTooLong: String { "chunk size line longer than 64 KiB" }

    /// The line starting at `start`; the search for its end skips what earlier reads already scanned.
    @inline(__always)
    private mutating func nextLine(in bytes: UnsafeRawBufferPointer, from start: Int) -> (UnsafeRawBufferPointer, Int)? {
        let found = Self.line(in: bytes, from: start, searchingFrom: start + unterminatedBytes)
        if found != nil { unterminatedBytes = 0 }
        return found
    }

    /// The read ended inside a status, header or trailer line of `pending` bytes.
    private mutating func unterminatedHeadLine(_ pending: Int) -> Step {
        unterminatedLine(pending, allowed: Self.maximumHeadBytes - headBytes, Self.headTooLong)
    }

    /// The read ended inside a line of `pending` bytes: wait for more, unless the line is already
    /// longer than `allowed` (then `reason` says what is wrong).
    private mutating func unterminatedLine(_ pending: Int, allowed: Int, _ reason: String) -> Step {
        if pending > allowed { return .malformed(reason) }
        unterminatedBytes = pending
        return .incomplete
    }

    /// The peer closed the connection: completes a body delimited by the close.
    mutating func connectionClosed() -> Response? {
        if case .untilClose = state {
            keepAlive = false
            return finish()
        }
        return nil
    }

    private mutating func finish() -> Response {
        let response = Response(status: status, bodyBytes: bodyBytes, keepAlive: keepAlive, location: location)
        reset(expectsNoBody: expectsNoBody)
        return response
    }

    private mutating func headersComplete() -> Response? {
        if (100..<200).contains(status) {
            // An interim answer (100 Continue): the real one follows, with headers of its own, within
            // the same allowance (endless interim answers must not buffer without limit either).
            let used = headBytes
            reset(expectsNoBody: expectsNoBody)
            headBytes = used
            return nil
        }
        if expectsNoBody || status == 204 || status == 304 {
            return finish()
        }
        if chunked {
            state = .chunkSize
        } else if let contentLength {
            if contentLength == 0 { return finish() }
            state = .fixedBody(remaining: contentLength)
        } else {
            keepAlive = false
            state = .untilClose
        }
        return nil
    }

    /// Parses "HTTP/1.1 200 OK" (the code is the three digits after the first space); returns
    /// what is wrong with the line, or nil.
    private mutating func parseStatusLine(_ bytes: UnsafeRawBufferPointer) -> String? {
        var code = 0
        var valid = bytes.count >= 12 && bytes[0] == UInt8(ascii: "H") && bytes[8] == UInt8(ascii: " ")
        if valid {
            for offset in 9..<12 {
                let digit = Int(bytes[offset]) - 48
                guard (0...9).contains(digit) else {
                    valid = false
                    break
                }
                code = code * 10 + digit
            }
        }
        guard valid else { return "not an HTTP status line" }
        // HTTP/1.0 closes by default.
        if bytes[7] == UInt8(ascii: "0") { keepAlive = false }
        status = code
        return nil
    }

    private mutating func parseHeader(_ bytes: UnsafeRawBufferPointer) {
        let first = bytes[0] | 0x20
        guard first == UInt8(ascii: "c") || first == UInt8(ascii: "t") || first == UInt8(ascii: "l"),
              let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return }
        var valueStart = colon + 1
        while valueStart < bytes.count, bytes[valueStart] == UInt8(ascii: " ") || bytes[valueStart] == UInt8(ascii: "\t") {
            valueStart += 1
        }
        let name = UnsafeRawBufferPointer(rebasing: bytes[0..<colon])
        let value = UnsafeRawBufferPointer(rebasing: bytes[valueStart...])
        if Self.equalsLowercased(name, "content-length") {
            var length = 0
            for byte in value.prefix(18) {  // 18 digits cannot overflow an Int
                let digit = Int(byte) - 48
                guard (0...9).contains(digit) else { break }
                length = length * 10 + digit
            }
            contentLength = length
        } else if Self.equalsLowercased(name, "transfer-encoding") {
            chunked = Self.containsLowercased(value, "chunked")
        } else if Self.equalsLowercased(name, "location") {
            if Self.isRedirect(status) {
                var end = value.count
                while end > 0, value[end - 1] == UInt8(ascii: " ") || value[end - 1] == UInt8(ascii: "\t") { end -= 1 }
                location = String(decoding: UnsafeRawBufferPointer(rebasing: value[0..<end]), as: UTF8.self)
            }
        } else if Self.equalsLowercased(name, "connection") {
            if Self.containsLowercased(value, "close") { keepAlive = false }
            if Self.containsLowercased(value, "keep-alive") { keepAlive = true }
        }
    }

    private static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for index in 0..<bytes.count where bytes[index] | 0x20 != expected[index] {
            return false
        }
        return true
    }

    private static func containsLowercased(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        let needle = UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        guard bytes.count >= needle.count else { return false }
        outer: for start in 0...(bytes.count - needle.count) {
            for offset in 0..<needle.count where bytes[start + offset] | 0x20 != needle[offset] {
                continue outer
            }
            return true
        }
        return false
    }

    /// The hexadecimal size at the start of a chunk line (extensions after it are ignored).
    static func parseChunkSize(_ line: UnsafeRawBufferPointer) -> Int? {
        var size = 0
        var digits = 0
        for byte in line {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte) - 48
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte) - 87
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte) - 55
            default:
                return digits > 0 ? size : nil
            }
            // 15 hexadecimal digits fit an Int; a 16th could overflow it.
            digits += 1
            if digits > 15 { return nil }
            size = size * 16 + value
        }
        return digits > 0 ? size : nil
    }

    /// The CRLF-terminated line starting at `start` (without the CR LF) and where the next one
    /// starts, or nil if no full line is buffered yet. The line feed is searched from `searchStart`
    /// (bytes before it are known to hold none).
    @inline(__always)
    private static func line(in bytes: UnsafeRawBufferPointer, from start: Int,
                             searchingFrom searchStart: Int) -> (UnsafeRawBufferPointer, Int)? {
        guard searchStart < bytes.count, let base = bytes.baseAddress,
              let found = memchr(base + searchStart, Int32(UInt8(ascii: "\n")), bytes.count - searchStart) else { return nil }
        let index = base.distance(to: UnsafeRawPointer(found))
        var end = index
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return (UnsafeRawBufferPointer(rebasing: bytes[start..<end]), index + 1)
    }
}
