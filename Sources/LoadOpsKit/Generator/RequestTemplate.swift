import NIOCore

/// One endpoint's HTTP/1.1 request, encoded once. Only the parts a placeholder changes
/// (`{uuid}`, `{int:A-B}`, `{seq}` in the path, a header value or the body) are written per request; a request without placeholders
/// is a ready buffer that is sent as is, without copying. A class, so the hot path takes one
/// reference instead of copying five arrays.
final class RequestTemplate: Sendable {
    enum Segment: Equatable, Sendable {
        case literal([UInt8])
        case uuid
        case integer(ClosedRange<Int>)
        case sequence
        /// A flow variable, by its number in the iteration's values (`FlowConfig.variableNames`).
        case variable(Int)
    }

    /// Request line and the endpoint's headers, up to where the credential header goes.
    private let head: [Segment]
    /// Per credential: the `Authorization` line (empty array when there are no credentials).
    private let authorizationLines: [[UInt8]]
    /// Headers after the credential, ending with the blank line when there is no body.
    private let tail: [UInt8]
    private let body: [Segment]?
    /// Whole requests, one per credential, when nothing varies.
    private let ready: [ByteBuffer]?

    /// `variableNames`: a flow step's variables (`{name}` in its templates), numbered as the iteration holds them.
    init(endpoint: EndpointConfig, target: TargetAddress, authorizations: [String],
         variableNames: [String] = []) throws(GeneratorError) {
        // The host's own path is sent as written; the endpoint's path and header values are templates.
        var head: [Segment] = [.literal(Array("\(endpoint.method) \(target.basePath)".utf8))]
        head += try Self.parse(endpoint.path, endpoint: endpoint.name, everyBraceIsPlaceholder: true, variableNames: variableNames)
        head.append(.literal(Array(
            " HTTP/1.1\r\nHost: \(target.hostHeader)\r\nUser-Agent: loadops/\(LoadOpsKitVersion.string)\r\nAccept: */*\r\n".utf8)))
        for (name, value) in endpoint.headers {
            head.append(.literal(Array("\(name): ".utf8)))
            head += try Self.parse(value, endpoint: endpoint.name, variableNames: variableNames)
            head.append(.literal(Array("\r\n".utf8)))
        }
        // Adjacent literals become one, so a request without placeholders is one ready buffer.
        self.head = Self.merged(head)
        self.authorizationLines = authorizations.isEmpty
            ? [[]]
            : authorizations.map { Array("Authorization: \($0)\r\n".utf8) }

        if let bodyText = endpoint.body {
            let hasContentType = endpoint.headers.contains { $0.0.lowercased() == "content-type" }
            self.tail = Array((hasContentType ? "" : "Content-Type: application/json\r\n").utf8)
            self.body = Self.merged(try Self.parse(bodyText, endpoint: endpoint.name, variableNames: variableNames))
        } else {
            let needsLength = ["POST", "PUT", "PATCH"].contains(endpoint.method)
            self.tail = Array((needsLength ? "Content-Length: 0\r\n\r\n" : "\r\n").utf8)
            self.body = nil
        }

        let isFixed = self.head.allSatisfy { if case .literal = $0 { true } else { false } }
            && (self.body ?? []).allSatisfy { if case .literal = $0 { true } else { false } }
        if isFixed {
            var buffers: [ByteBuffer] = []
            var scratch = FastRandom(seed: 0)
            let sequence = RunSequence()
            var bodyScratch = ByteBuffer()
            for index in authorizationLines.indices {
                var buffer = ByteBuffer()
                Self.render(head: self.head, authorization: authorizationLines[index], cookie: [], tail: self.tail, body: self.body,
                            into: &buffer, bodyScratch: &bodyScratch, random: &scratch, sequence: sequence, variables: [])
                buffers.append(buffer)
            }
            self.ready = buffers
        } else {
            self.ready = nil
        }
    }

    var credentialCount: Int { authorizationLines.count }

    /// The finished request for `credential`: the ready buffer when nothing varies,
    /// otherwise rendered into `scratch` (cleared first, reused across requests).
    @inline(__always)
    func request(credential: Int, scratch: inout ByteBuffer, bodyScratch: inout ByteBuffer,
                 random: inout FastRandom, sequence: RunSequence) -> ByteBuffer {
        let index = credential % authorizationLines.count
        if let ready {
            return ready[index]
        }
        scratch.clear()
        Self.render(head: head, authorization: authorizationLines[index], cookie: [], tail: tail, body: body,
                    into: &scratch, bodyScratch: &bodyScratch, random: &random, sequence: sequence, variables: [])
        return scratch
    }

    /// A flow step's request: its variables filled from the iteration's `variables`, and `cookie`
    /// (a whole `Cookie: …\r\n` line, or empty) after the credential.
    func request(credential: Int, variables: [[UInt8]], cookie: [UInt8], scratch: inout ByteBuffer,
                 bodyScratch: inout ByteBuffer, random: inout FastRandom, sequence: RunSequence) -> ByteBuffer {
        let index = credential % authorizationLines.count
        if let ready, cookie.isEmpty {
            return ready[index]
        }
        scratch.clear()
        Self.render(head: head, authorization: authorizationLines[index], cookie: cookie, tail: tail, body: body,
                    into: &scratch, bodyScratch: &bodyScratch, random: &random, sequence: sequence, variables: variables)
        return scratch
    }

    private static func render(head: [Segment], authorization: [UInt8], cookie: [UInt8], tail: [UInt8], body: [Segment]?,
                               into buffer: inout ByteBuffer, bodyScratch: inout ByteBuffer,
                               random: inout FastRandom, sequence: RunSequence, variables: [[UInt8]]) {
        write(head, into: &buffer, random: &random, sequence: sequence, variables: variables)
        buffer.writeBytes(authorization)
        buffer.writeBytes(cookie)
        buffer.writeBytes(tail)
        if let body {
            bodyScratch.clear()
            write(body, into: &bodyScratch, random: &random, sequence: sequence, variables: variables)
            buffer.writeStaticString("Content-Length: ")
            writeDecimal(bodyScratch.readableBytes, into: &buffer)
            buffer.writeStaticString("\r\n\r\n")
            buffer.writeImmutableBuffer(bodyScratch)
        }
    }

    static func write(_ segments: [Segment], into buffer: inout ByteBuffer,
                      random: inout FastRandom, sequence: RunSequence, variables: [[UInt8]]) {
        for segment in segments {
            switch segment {
            case .literal(let bytes):
                buffer.writeBytes(bytes)
            case .uuid:
                writeUUID(into: &buffer, random: &random)
            case .integer(let range):
                let span = UInt64(range.upperBound - range.lowerBound + 1)
                writeDecimal(range.lowerBound + Int(random.next() % span), into: &buffer)
            case .sequence:
                writeDecimal(Int(truncatingIfNeeded: sequence.next()), into: &buffer)
            case .variable(let number):
                if number < variables.count { buffer.writeBytes(variables[number]) }
            }
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A random version-4 UUID in its 36-character text form.
    private static func writeUUID(into buffer: inout ByteBuffer, random: inout FastRandom) {
        let high = (random.next() & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        let low = (random.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        buffer.reserveCapacity(minimumWritableBytes: 36)
        for nibble in 0..<32 {
            if nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20 {
                buffer.writeInteger(UInt8(ascii: "-"))
            }
            let word = nibble < 16 ? high : low
            let shift = UInt64(60 - (nibble % 16) * 4)
            buffer.writeInteger(hexDigits[Int((word >> shift) & 0xF)])
        }
    }

    static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        if value < 0 {
            buffer.writeInteger(UInt8(ascii: "-"))
            writeDecimal(-value, into: &buffer)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(20 - count)...]))
        }
    }

    /// Splits a template into literal text and placeholders, as the configuration check reads it
    /// (`PlaceholderSyntax`); a template the check accepted never fails here.
    static func parse(_ text: String, endpoint: String, everyBraceIsPlaceholder: Bool = false,
                      variableNames: [String] = []) throws(GeneratorError) -> [Segment] {
        let parts: [TemplatePart]
        do {
            parts = try PlaceholderSyntax.parts(text, everyBraceIsPlaceholder: everyBraceIsPlaceholder,
                                                variables: Set(variableNames))
        } catch {
            throw .invalidTemplate(endpoint: endpoint, reason: "\(error.message); \(PlaceholderSyntax.help)")
        }
        return parts.map { part in
            switch part {
            case .literal(let text): return .literal(Array(text.utf8))
            case .uuid: return .uuid
            case .sequence: return .sequence
            case .integer(let range): return .integer(range)
            case .variable(let name): return .variable(variableNames.firstIndex(of: name) ?? 0)
            }
        }
    }

    static func merged(_ segments: [Segment]) -> [Segment] {
        var result: [Segment] = []
        for segment in segments {
            if case .literal(let bytes) = segment, case .literal(let previous)? = result.last {
                result[result.count - 1] = .literal(previous + bytes)
            } else {
                result.append(segment)
            }
        }
        return result
    }
}
