import Foundation
import NIOCore
import Testing
@testable import LoadOpsKit

/// The configuration fuzz tests' seeded generator, for the standard `random(in:using:)` calls: a
/// fixed seed gives the same inputs on every run, so these tests cannot flake.
extension SeededRandom: RandomNumberGenerator {}

/// Valid inputs bent out of shape: flipped and inserted bytes, cuts, numbers replaced with huge or
/// negative ones, deep nesting, long runs without a line feed.
private enum Mutator {
    static let hugeNumbers = ["9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999",
                              "-1", "-2", "0", "7fffffffffffffff", "ffffffffffffffffff", "1e9", " 3", "+5"]

    static func mutate(_ input: [UInt8], using random: inout SeededRandom, nestingMarker: String) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            switch Int.random(in: 0..<9, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            case 1:
                bytes.insert(UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0...bytes.count, using: &random))
            case 2 where !bytes.isEmpty:
                bytes.remove(at: Int.random(in: 0..<bytes.count, using: &random))
            case 3:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            case 4:
                // A run of digits becomes a huge, negative or odd number.
                let digits = bytes.indices.filter { (48...57).contains(bytes[$0]) }
                guard let start = digits.randomElement(using: &random) else { break }
                var end = start
                while end < bytes.count, (48...57).contains(bytes[end]) { end += 1 }
                bytes.replaceSubrange(start..<end, with: Array(hugeNumbers.randomElement(using: &random)!.utf8))
            case 5:
                let depth = [2, 31, 32, 33, 100, 5_000].randomElement(using: &random)!
                bytes = Array(String(repeating: nestingMarker, count: depth).utf8) + bytes
            case 6:
                let run = [UInt8](repeating: UInt8(ascii: "x"), count: [100, 1_000, 70_000].randomElement(using: &random)!)
                bytes.insert(contentsOf: run, at: Int.random(in: 0...bytes.count, using: &random))
            case 7:
                bytes += bytes.prefix(Int.random(in: 0...bytes.count, using: &random))
            default:
                bytes.insert(contentsOf: [13, 10], at: Int.random(in: 0...bytes.count, using: &random))
            }
        }
        return bytes
    }

    /// Feeds `iterations` inputs (the corpus as it is, then mutated) to `parse`, whole and cut into
    /// random reads, expects the same outcome both ways and hands it to `check`, with the input and
    /// whether it came unchanged from the corpus.
    static func fuzz<Outcome: Equatable>(
        corpus: [String], iterations: Int, seed: UInt64, nestingMarker: String,
        parse: ([UInt8], _ cuts: [Int]) -> Outcome, check: (Outcome, _ input: [UInt8], _ fromCorpus: Bool) -> Void
    ) {
        var random = SeededRandom(seed: seed)
        for iteration in 0..<iterations {
            let original = Array(corpus[iteration % corpus.count].utf8)
            let fromCorpus = iteration < corpus.count
            let input = fromCorpus ? original : mutate(original, using: &random, nestingMarker: nestingMarker)
            let whole = parse(input, [input.count])
            let pieces = parse(input, cuts(input.count, using: &random))
            #expect(whole == pieces, "input \(String(decoding: input.prefix(200), as: UTF8.self).debugDescription)")
            check(whole, input, fromCorpus)
        }
    }

    /// Cut points that split `count` bytes into a few reads.
    static func cuts(_ count: Int, using random: inout SeededRandom) -> [Int] {
        guard count > 1 else { return [count] }
        var points = (0..<Int.random(in: 1...6, using: &random)).map { _ in Int.random(in: 1..<count, using: &random) }
        points.append(count)
        return Array(Set(points)).sorted()
    }
}

@Suite struct RESPReplyParserFuzzTests {
    private static let corpus = [
        "+OK\r\n", "-ERR unknown command 'FOO'\r\n", ":42\r\n", ":-7\r\n", "$5\r\nhello\r\n", "$0\r\n\r\n", "$-1\r\n",
        "*-1\r\n", "*0\r\n", "*2\r\n$3\r\nfoo\r\n:1\r\n", "*2\r\n*1\r\n+a\r\n*2\r\n:1\r\n$-1\r\n",
        "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n", "$44\r\n# Memory\r\nused_memory:1048576\r\nmaxmemory:0\r\n\r\n",
        "+PONG\r\n:3\r\n$2\r\nok\r\n",
    ]

    private enum Outcome: Equatable {
        case values([RESPValue], incomplete: Bool)
        case failed([RESPValue], RESPReplyError)
    }

    /// Parses replies off `input`, fed in pieces ending at `cuts`, until one is incomplete or bad.
    private static func parse(_ input: [UInt8], _ cuts: [Int]) -> Outcome {
        var parser = RESPReplyParser()
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        var fed = 0
        for cut in cuts {
            buffer.writeBytes(input[fed..<cut])
            fed = cut
            do {
                while let value = try parser.parse(&buffer) { values.append(value) }
            } catch {
                return .failed(values, error)
            }
        }
        return .values(values, incomplete: buffer.readableBytes > 0)
    }

    private static func depth(_ value: RESPValue) -> Int {
        guard case .array(let items?) = value else { return 0 }
        return 1 + (items.map(depth).max() ?? 0)
    }

    @Test func knownRepliesParse() throws {
        var parser = RESPReplyParser()
        var buffer = ByteBuffer(string: "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n:5\r\n")
        #expect(try parser.parse(&buffer) == .array([.bulk("maxmemory"), .bulk("0")]))
        #expect(try parser.parse(&buffer) == .integer(5))
        #expect(try parser.parse(&buffer) == nil)
        // 32 arrays deep is fine; a 33rd array, even an empty one, is not.
        var nested = ByteBuffer(string: String(repeating: "*1\r\n", count: 32) + ":1\r\n" + String(repeating: "*1\r\n", count: 31) + "*0\r\n")
        #expect(try parser.parse(&nested) != nil)
        #expect(try parser.parse(&nested) != nil)
        for innermost in ["*1\r\n:1\r\n", "*0\r\n"] {
            var tooDeep = ByteBuffer(string: String(repeating: "*1\r\n", count: 32) + innermost)
            var fresh = RESPReplyParser()
            #expect(throws: RESPReplyError("arrays nested more than 32 deep")) { try fresh.parse(&tooDeep) }
        }
    }

    /// A reply that arrives a byte at a time is checked once, not again from its start on every read.
    @Test func aReplyInManyPiecesParsesInLinearTime() throws {
        let items = 20_000
        let reply = Array(("*\(items)\r\n" + String(repeating: ":1\r\n", count: items)).utf8)
        var parser = RESPReplyParser()
        var buffer = ByteBuffer()
        var value: RESPValue?
        let started = Date()
        for start in stride(from: 0, to: reply.count, by: 16) {
            buffer.writeBytes(reply[start..<min(start + 16, reply.count)])
            if let parsed = try parser.parse(&buffer) { value = parsed }
        }
        #expect(value == .array(Array(repeating: .integer(1), count: items)))
        // Rescanning from the start would read about 400 MB here; checking each byte once reads 80 KB.
        #expect(Date().timeIntervalSince(started) < 3)
    }

    /// Mutated replies fed whole and in random pieces: never a trap, the same outcome either way,
    /// and whatever parses stays within the bounds.
    @Test func mutatedRepliesNeverTrapAndAgreeHoweverSplit() {
        var parsed = 0
        var refused = 0
        Mutator.fuzz(corpus: Self.corpus, iterations: 6_000, seed: 0x5245_5350, nestingMarker: "*1\r\n",
                     parse: Self.parse) { outcome, _, fromCorpus in
            switch outcome {
            case .values(let values, _), .failed(let values, _):
                for value in values { #expect(Self.depth(value) <= RESPReplyParser.maximumDepth) }
                parsed += values.count
            }
            if case .failed(_, let error) = outcome {
                refused += 1
                if fromCorpus { Issue.record("a valid reply was refused: \(error)") }
            }
        }
        #expect(parsed > 1_000 && refused > 1_000, "\(parsed) parsed, \(refused) refused")
    }
}

@Suite struct ResponseReaderFuzzTests {
    private static let corpus = [
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
        "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 11\r\nConnection: close\r\n\r\nunavailable",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n",
        "HTTP/1.0 200 OK\r\n\r\nuntil the close",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 3\n\nabc",
    ]

    private enum Outcome: Equatable {
        case responses([ResponseReader.Response], closed: ResponseReader.Response?)
        case failed([ResponseReader.Response], ResponseReader.ReadError)
    }

    /// Reads responses off `input`, fed in pieces ending at `cuts`, then closes the connection.
    private static func read(_ input: [UInt8], _ cuts: [Int]) -> Outcome {
        var reader = ResponseReader()
        var buffer = ByteBuffer()
        var responses: [ResponseReader.Response] = []
        var fed = 0
        for cut in cuts {
            buffer.writeBytes(input[fed..<cut])
            fed = cut
            do {
                while buffer.readableBytes > 0, let response = try reader.read(&buffer) { responses.append(response) }
            } catch {
                return .failed(responses, error)
            }
        }
        return .responses(responses, closed: reader.connectionClosed())
    }

    @Test func theHeadIsCappedAndAnEndlessLineIsNotRescanned() throws {
        var reader = ResponseReader()
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nX: ")
        #expect(try reader.read(&buffer) == nil)
        let piece = String(repeating: "a", count: 1024)
        var pieces = 0
        do {
            while pieces < 1_000 {
                buffer.writeString(piece)
                pieces += 1
                #expect(try reader.read(&buffer) == nil)
            }
            Issue.record("1 MB of header line was buffered")
        } catch {
            #expect(error == .malformed("status line and headers longer than 64 KiB"))
        }
        #expect(pieces == 64, "gave up after \(pieces) KiB")

        // A head just under the cap is fine.
        var fits = ResponseReader()
        var answer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 60_000) + "\r\nContent-Length: 0\r\n\r\n")
        #expect(try fits.read(&answer) == .init(status: 200, bodyBytes: 0, keepAlive: true))
        // Endless interim answers share one allowance.
        var interim = ResponseReader()
        var continues = ByteBuffer(string: String(repeating: "HTTP/1.1 100 Continue\r\nX: " + String(repeating: "a", count: 1000) + "\r\n\r\n", count: 100))
        #expect(throws: ResponseReader.ReadError.malformed("status line and headers longer than 64 KiB")) { try interim.read(&continues) }
    }

    /// Mutated responses fed whole and in random pieces: never a trap, the same outcome either way,
    /// and no response claims more body than arrived.
    @Test func mutatedResponsesNeverTrapAndAgreeHoweverSplit() {
        var complete = 0
        var refused = 0
        Mutator.fuzz(corpus: Self.corpus, iterations: 4_000, seed: 0x4854_5450, nestingMarker: "HTTP/1.1 100 Continue\r\n\r\n",
                     parse: Self.read) { outcome, input, fromCorpus in
            switch outcome {
            case .responses(let responses, let closed):
                let all = responses + (closed.map { [$0] } ?? [])
                #expect(all.reduce(0) { $0 + $1.bodyBytes } <= input.count)
                #expect(all.allSatisfy { (0...999).contains($0.status) })
                complete += all.count
            case .failed(_, let error):
                refused += 1
                if fromCorpus { Issue.record("a valid response was refused: \(error)") }
            }
        }
        #expect(complete > 1_000 && refused > 500, "\(complete) complete, \(refused) refused")
    }
}
