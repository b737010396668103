import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One complete HTTP/1.1 answer as a flow step inspects it: status, headers in the order received,
/// and the body with any chunked framing removed.
///
/// Built from the bytes exactly as they came off the wire, only for the steps that need the answer
/// (extractions, checks beyond the status, cookies); the plain request path never builds one.
/// Interim answers (`100 Continue`) before the final one are skipped. Chunk trailers are read past
/// and dropped. A `Content-Encoding` (gzip...) is not undone: the body is what the server sent.
public struct CapturedAnswer: Sendable {
    public var status: Int
    /// Every header line of the final answer, in order; names as the server spelled them, values
    /// without surrounding whitespace.
    public var headers: [(name: String, value: String)]
    /// Empty for an answer to HEAD, for 204 and 304.
    public var body: [UInt8]

    /// An answer known without parsing: `CapturedAnswer(status: 200)` costs no allocation, for a
    /// step whose checks only look at the status.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Parses one complete answer. `answersHeadRequest`: the request was HEAD, so the answer has no
    /// body whatever its `Content-Length` says.
    public init(bytes: [UInt8], answersHeadRequest: Bool = false) throws(CapturedAnswerError) {
        let parsed = bytes.withUnsafeBytes { raw in Self.parse(raw, answersHeadRequest: answersHeadRequest) }
        self = try parsed.get()
    }

    /// Parses one complete answer from the buffer's readable bytes (the reader index does not move).
    public init(raw buffer: ByteBuffer, answersHeadRequest: Bool = false) throws(CapturedAnswerError) {
        let parsed = buffer.withUnsafeReadableBytes { raw in Self.parse(raw, answersHeadRequest: answersHeadRequest) }
        self = try parsed.get()
    }

    /// The first value of the header `name` (compared without regard to ASCII case), or nil.
    public func header(_ name: String) -> String? {
        for header in headers where Self.equalsIgnoringASCIICase(header.name, name) {
            return header.value
        }
        return nil
    }

    /// Every value of the header `name`, in order (`Set-Cookie` comes once per cookie).
    public func headers(named name: String) -> [String] {
        var values: [String] = []
        for header in headers where Self.equalsIgnoringASCIICase(header.name, name) {
            values.append(header.value)
        }
        return values
    }

    static func equalsIgnoringASCIICase(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        for (left, right) in zip(lhs.utf8, rhs.utf8) where left != right {
            guard asciiLowercased(left) == asciiLowercased(right) else { return false }
        }
        return true
    }

    @inline(__always)
    static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}

/// Why bytes are not one complete HTTP/1.1 answer. The descriptions are fixed words, never the
/// peer's bytes: they may become failure messages, and a peer must not mint a new one per answer.
public enum CapturedAnswerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first line is not `HTTP/x.y NNN ...`.
    case notHTTPStatusLine
    /// The bytes end before the empty line that ends the headers.
    case incompleteHead
    /// `Content-Length` is not a number, or two of them disagree.
    case badContentLength
    /// A chunk's size line is not hexadecimal.
    case badChunkSize
    /// A chunk's data is not followed by CRLF.
    case chunkNotFollowedByCRLF
    /// The bytes end before the body does (fewer than `Content-Length`, or no last chunk).
    case truncatedBody

    public var description: String {
        switch self {
        case .notHTTPStatusLine: "the answer does not start with an HTTP status line"
        case .incompleteHead: "the answer ends inside its headers"
        case .badContentLength: "the answer's Content-Length is not a single number"
        case .badChunkSize: "the answer's chunked body has a bad chunk size"
        case .chunkNotFollowedByCRLF: "a chunk of the answer's body is not followed by CRLF"
        case .truncatedBody: "the answer ends before its body does"
        }
    }
}

extension CapturedAnswer {
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    static func parse(_ bytes: UnsafeRawBufferPointer, answersHeadRequest: Bool) -> Result<CapturedAnswer, CapturedAnswerError> {
        var cursor = 0
        var status = 0
        var headers: [(name: String, value: String)] = []
        var contentLength: Int?
        var chunked = false
        repeat {
            // An interim answer's headers are not the final answer's.
            headers.removeAll(keepingCapacity: true)
            contentLength = nil
            chunked = false
            guard let (statusEnd, afterStatus) = line(in: bytes, from: cursor) else { return .failure(.incompleteHead) }
            guard let code = statusCode(UnsafeRawBufferPointer(rebasing: bytes[cursor..<statusEnd])) else {
                return .failure(.notHTTPStatusLine)
            }
            status = code
            cursor = afterStatus
            while true {
                guard let (end, next) = line(in: bytes, from: cursor) else { return .failure(.incompleteHead) }
                defer { cursor = next }
                if end == cursor { break }
                if bytes[cursor] == space || bytes[cursor] == tab {
                    // An obsolete folded line continues the previous header's value.
                    if !headers.isEmpty {
                        let more = text(bytes, trimmed: cursor..<end)
                        if !more.isEmpty { headers[headers.count - 1].value += " " + more }
                    }
                    continue
                }
                var colon = cursor
                while colon < end, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
                // A line without a name and a colon says nothing usable: skipped, as browsers do.
                guard colon < end, colon > cursor else { continue }
                let name = text(bytes, trimmed: cursor..<colon)
                let value = text(bytes, trimmed: (colon + 1)..<end)
                if equalsIgnoringASCIICase(name, "content-length") {
                    guard let length = decimal(value), contentLength == nil || contentLength == length else {
                        return .failure(.badContentLength)
                    }
                    contentLength = length
                } else if equalsIgnoringASCIICase(name, "transfer-encoding") {
                    chunked = containsIgnoringASCIICase(value, "chunked")
                }
                headers.append((name: name, value: value))
            }
        } while (100..<200).contains(status)

        if answersHeadRequest || status == 204 || status == 304 {
            return .success(CapturedAnswer(status: status, headers: headers, body: []))
        }
        if chunked {
            return dechunk(bytes, from: cursor).map { CapturedAnswer(status: status, headers: headers, body: $0) }
        }
        let remaining = bytes.count - cursor
        if let contentLength {
            guard remaining >= contentLength else { return .failure(.truncatedBody) }
            return .success(CapturedAnswer(status: status, headers: headers,
                                           body: [UInt8](bytes[cursor..<(cursor + contentLength)])))
        }
        // No length: the body ran until the server closed.
        return .success(CapturedAnswer(status: status, headers: headers, body: [UInt8](bytes[cursor...])))
    }

    /// The chunked body starting at `start`, without its framing.
    private static func dechunk(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Result<[UInt8], CapturedAnswerError> {
        var cursor = start
        var body: [UInt8] = []
        // The framing only adds bytes: the rest of the input bounds the body.
        body.reserveCapacity(bytes.count - start)
        while true {
            guard let (sizeEnd, afterSize) = line(in: bytes, from: cursor) else { return .failure(.truncatedBody) }
            guard let size = ResponseReader.parseChunkSize(UnsafeRawBufferPointer(rebasing: bytes[cursor..<sizeEnd])) else {
                return .failure(.badChunkSize)
            }
            cursor = afterSize
            // The last chunk; its trailers, if any, are not kept.
            if size == 0 { return .success(body) }
            guard bytes.count - cursor >= size else { return .failure(.truncatedBody) }
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[cursor..<(cursor + size)]))
            cursor += size
            guard let (end, next) = line(in: bytes, from: cursor) else { return .failure(.truncatedBody) }
            guard end == cursor else { return .failure(.chunkNotFollowedByCRLF) }
            cursor = next
        }
    }

    /// The end of the line starting at `start` (before its CR LF, or bare LF) and where the next
    /// line starts; nil when no line feed follows.
    private static func line(in bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, next: Int)? {
        guard start < bytes.count, let base = bytes.baseAddress,
              let found = memchr(base + start, Int32(lineFeed), bytes.count - start) else { return nil }
        let feed = base.distance(to: UnsafeRawPointer(found))
        let end = feed > start && bytes[feed - 1] == carriageReturn ? feed - 1 : feed
        return (end, feed + 1)
    }

    /// `HTTP/1.1 200 OK` gives 200: three digits after the version, then the end or a space.
    private static func statusCode(_ line: UnsafeRawBufferPointer) -> Int? {
        let prefix: StaticString = "HTTP/"
        guard line.count >= prefix.utf8CodeUnitCount + 4 else { return nil }
        for offset in 0..<prefix.utf8CodeUnitCount where line[offset] != prefix.utf8Start[offset] {
            return nil
        }
        guard let gap = line.firstIndex(of: space), gap + 3 < line.count,
              gap + 4 == line.count || line[gap + 4] == space else { return nil }
        var code = 0
        for offset in (gap + 1)...(gap + 3) {
            let digit = Int(line[offset]) - 48
            guard (0...9).contains(digit) else { return nil }
            code = code * 10 + digit
        }
        return code
    }

    /// The bytes in `range` without surrounding spaces and tabs, as text. A stray CR or NUL inside
    /// becomes a space: a value taken from here may be sent in a later request's header.
    private static func text(_ bytes: UnsafeRawBufferPointer, trimmed range: Range<Int>) -> String {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end, bytes[start] == space || bytes[start] == tab { start += 1 }
        while end > start, bytes[end - 1] == space || bytes[end - 1] == tab { end -= 1 }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
        guard slice.contains(where: { $0 == carriageReturn || $0 == 0 }) else {
            return String(decoding: slice, as: UTF8.self)
        }
        return String(decoding: slice.map { $0 == carriageReturn || $0 == 0 ? space : $0 }, as: UTF8.self)
    }

    /// A Content-Length value: decimal digits only (18 at most, which cannot overflow).
    private static func decimal(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18 else { return nil }
        var value = 0
        for byte in text.utf8 {
            let digit = Int(byte) - 48
            guard (0...9).contains(digit) else { return nil }
            value = value * 10 + digit
        }
        return value
    }

    private static func containsIgnoringASCIICase(_ text: String, _ needle: String) -> Bool {
        let haystack = Array(text.utf8)
        let wanted = Array(needle.utf8)
        guard haystack.count >= wanted.count else { return false }
        outer: for start in 0...(haystack.count - wanted.count) {
            for offset in 0..<wanted.count where asciiLowercased(haystack[start + offset]) != wanted[offset] {
                continue outer
            }
            return true
        }
        return false
    }
}
