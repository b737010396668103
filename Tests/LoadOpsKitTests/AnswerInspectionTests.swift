import Foundation
import NIOCore
import Testing

@testable import LoadOpsKit

/// Reading an answer for a flow step: its head and (de-chunked) body, JSON paths into it,
/// extractions, checks and the cookie jar, on good and on hostile input.
@Suite struct AnswerInspectionTests {
    private func answer(_ text: String, head: Bool = false) throws -> CapturedAnswer {
        try CapturedAnswer(bytes: Array(text.utf8), answersHeadRequest: head)
    }

    private func path(_ text: String) throws -> JSONPath {
        try JSONPathParser.parse(text)
    }

    private func json(_ pathText: String, _ body: String) throws -> JSONValueText? {
        try path(pathText).value(in: Array(body.utf8))
    }

    // MARK: CapturedAnswer

    @Test func contentLengthAnswer() throws {
        let parsed = try answer("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Session-Id:  abc \r\n"
            + "content-length: 7\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n{\"a\":1}extra")
        #expect(parsed.status == 201)
        #expect(parsed.headers.map(\.name) == ["Content-Type", "X-Session-Id", "content-length", "Set-Cookie", "Set-Cookie"])
        #expect(parsed.header("x-session-id") == "abc")
        #expect(parsed.header("CONTENT-TYPE") == "application/json")
        #expect(parsed.header("Missing") == nil)
        #expect(parsed.headers(named: "set-cookie") == ["a=1", "b=2"])
        #expect(parsed.body == Array("{\"a\":1}".utf8))
    }

    @Test func byteBufferGivesTheSameAnswer() throws {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        buffer.writeString("ignored")
        buffer.moveReaderIndex(forwardBy: 7)
        buffer.writeString(text)
        let parsed = try CapturedAnswer(raw: buffer)
        #expect(parsed.status == 200)
        #expect(parsed.body == Array("ok".utf8))
        #expect(buffer.readableBytes == text.utf8.count)
    }

    @Test func chunkedBodyIsDechunked() throws {
        let parsed = try answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n")
        #expect(String(decoding: parsed.body, as: UTF8.self) == "Wikipedia in\r\n\r\nchunks.")
        #expect(parsed.header("X-Trailer") == nil)
    }

    @Test func chunkedWinsOverContentLengthAndBareLineFeedsAreRead() throws {
        let parsed = try answer("HTTP/1.1 200 OK\nContent-Length: 100\nTransfer-Encoding: gzip, Chunked\n\n2\nhi\n0\n\n")
        #expect(parsed.body == Array("hi".utf8))
    }

    @Test func answersWithoutBody() throws {
        #expect(try answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", head: true).body.isEmpty)
        #expect(try answer("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n").body.isEmpty)
        #expect(try answer("HTTP/1.1 304 Not Modified\r\n\r\n").body.isEmpty)
        #expect(try answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").body.isEmpty)
    }

    @Test func bodyUntilCloseAndInterimAnswers() throws {
        let closed = try answer("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of it")
        #expect(closed.body == Array("all of it".utf8))
        let continued = try answer("HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz")
        #expect(continued.status == 200)
        #expect(continued.header("X-Interim") == nil)
        #expect(continued.body == [UInt8(ascii: "z")])
    }

    @Test func foldedHeadersAndOddLines() throws {
        let parsed = try answer("HTTP/1.1 200\r\nX-Long: one\r\n  two\r\nnocolon\r\n: empty name\r\nX-Cr: a\rb\r\n\r\n")
        #expect(parsed.status == 200)
        #expect(parsed.header("X-Long") == "one two")
        #expect(parsed.headers.count == 2)
        // A stray CR could end a header line of a later request that uses the value.
        #expect(parsed.header("X-Cr") == "a b")
    }

    @Test(arguments: [
        ("", CapturedAnswerError.incompleteHead),
        ("HTTP/1.1 200 OK", .incompleteHead),
        ("HTTP/1.1 200 OK\r\nA: b\r\n", .incompleteHead),
        ("HTTP/1.1 100 Continue\r\n\r\n", .incompleteHead),
        ("SSH-2.0-OpenSSH\r\n\r\n", .notHTTPStatusLine),
        ("HTTP/1.1 2x0 OK\r\n\r\n", .notHTTPStatusLine),
        ("HTTP/1.1 2000 OK\r\n\r\n", .notHTTPStatusLine),
        ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", .truncatedBody),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .badContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", .badContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", .badContentLength),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", .truncatedBody),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", .truncatedBody),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab", .truncatedBody),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n", .truncatedBody),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", .badChunkSize),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\n", .badChunkSize),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", .chunkNotFollowedByCRLF),
    ])
    func malformedAnswersGiveTypedErrors(text: String, expected: CapturedAnswerError) {
        #expect(throws: expected) { try CapturedAnswer(bytes: Array(text.utf8)) }
    }

    @Test func randomBytesNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["HTTP/1.1 200 OK\r\n", "Transfer-Encoding: chunked\r\n", "Content-Length: 3\r\n", "\r\n", "3\r\n",
                      "abc", "0\r\n", "\n", "\r", ":", " ", "ffffff\r\n"]
        for _ in 0..<2000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                if Bool.random(using: &generator) {
                    bytes += Array(pieces.randomElement(using: &generator)!.utf8)
                } else {
                    bytes.append(UInt8.random(in: 0...255, using: &generator))
                }
            }
            _ = try? CapturedAnswer(bytes: bytes)
            _ = try? CapturedAnswer(bytes: bytes, answersHeadRequest: true)
        }
    }

    // MARK: JSON path syntax

    @Test func pathsParse() throws {
        #expect(try path("$").components == [])
        #expect(try path("$.data.token").components == [.key("data"), .key("token")])
        #expect(try path("$.items[0].id").components == [.key("items"), .index(0), .key("id")])
        #expect(try path("$['odd key'].x").components == [.key("odd key"), .key("x")])
        #expect(try path("$[\"dq\"][ 'it\\'s' ]").components == [.key("dq"), .key("it's")])
        #expect(try path("$.list[-1]").components == [.key("list"), .index(-1)])
        #expect(try path("$.x-id.$ref.名前").components == [.key("x-id"), .key("$ref"), .key("名前")])
        #expect(try path("$[0][1]").components == [.index(0), .index(1)])
        #expect(try path("$.items[0].id").text == "$.items[0].id")
        #expect(try JSONPath(parsing: "$.a").components == [.key("a")])
    }

    @Test(arguments: [
        ("", 0, "a JSON path starts with \"$\" (as in $.data.token) at column 1"),
        ("data.token", 0, "a JSON path starts with \"$\" (as in $.data.token) at column 1"),
        ("$.data.", 7, "expected a name after \".\" at column 8"),
        ("$data", 1, "expected \".\" or \"[\" after \"$\", found \"d\" at column 2"),
        ("$..token", 1, "\"..\" (any depth) is not supported: name each step of the path at column 2"),
        ("$.*", 2, "wildcards are not supported: a path names one value at column 3"),
        ("$.items[*]", 8, "wildcards are not supported: a path names one value at column 9"),
        ("$.items[?(@.a)]", 8, "filters are not supported: a path names one value at column 9"),
        ("$.items[0:2]", 9, "slices are not supported: a path names one value at column 10"),
        ("$.items[0,2]", 9, "unions are not supported: a path names one value at column 10"),
        ("$.items[0", 9, "expected \"]\" at column 10"),
        ("$.items[x]", 8, "expected an index or a quoted name after \"[\" (write names as ['name']) at column 9"),
        ("$.items[]", 8, "expected an index or a quoted name between \"[\" and \"]\" at column 9"),
        ("$.items[", 8, "expected an index or a quoted name after \"[\" at column 9"),
        ("$.items[-]", 9, "expected digits after \"-\" at column 10"),
        ("$['open", 7, "the quoted name opened at column 3 is not closed (expected ') at column 8"),
        ("$['a\\b']", 4, "in a quoted name, \"\\\" may only come before ', \" or \\ at column 5"),
        ("$.a b", 3, "a space cannot be part of a name (write odd names as ['a name']) at column 4"),
        ("$.é ", 3, "a space cannot be part of a name (write odd names as ['a name']) at column 4"),
        ("$.a]", 3, "\"]\" cannot be part of a name (write odd names as ['a name']) at column 4"),
        ("$[1234567890123456789]", 2, "the index is too large at column 3"),
    ])
    func badPathsSayWhereAndWhy(text: String, offset: Int, description: String) {
        #expect(throws: JSONPathSyntaxError.self) { try JSONPathParser.parse(text) }
        do {
            _ = try JSONPathParser.parse(text)
        } catch {
            #expect(error.offset == offset)
            #expect(error.description == description)
        }
    }

    // MARK: JSON evaluation

    @Test func valuesAsText() throws {
        let body = """
        { "data" : { "token" : "abc", "n": 3, "price": 2.50, "big": -1.5E+3, "ok": true, "no": false,
          "nothing": null, "obj": { "a" : [ 1, 2 ], "s": "x y" }, "empty": {}, "list": [] },
          "items": [ {"id": 7}, {"id": 8}, {"id": 9} ] }
        """
        #expect(try json("$.data.token", body) == .string("abc"))
        #expect(try json("$.data.n", body) == .number("3"))
        #expect(try json("$.data.price", body) == .number("2.50"))
        #expect(try json("$.data.big", body) == .number("-1.5E+3"))
        #expect(try json("$.data.ok", body) == .bool(true))
        #expect(try json("$.data.no", body)?.text == "false")
        #expect(try json("$.data.nothing", body) == .null)
        #expect(try json("$.data.obj", body) == .object("{\"a\":[1,2],\"s\":\"x y\"}"))
        #expect(try json("$.data.obj.a", body) == .array("[1,2]"))
        #expect(try json("$.data.empty", body)?.text == "{}")
        #expect(try json("$.items[0].id", body) == .number("7"))
        #expect(try json("$.items[2].id", body) == .number("9"))
        #expect(try json("$.items[-1].id", body) == .number("9"))
        #expect(try json("$.items[-3].id", body) == .number("7"))
        #expect(try json("$['data']['token']", body) == .string("abc"))
    }

    @Test func missingIsNotNull() throws {
        let body = Array(#"{"a": null, "list": [1, 2], "s": "text", "n": 1}"#.utf8)
        #expect(try path("$.a").lookup(in: body) == .found(.null))
        #expect(try path("$.b").lookup(in: body) == .missing)
        #expect(try path("$.list[2]").lookup(in: body) == .missing)
        #expect(try path("$.list[-3]").lookup(in: body) == .missing)
        #expect(try path("$.list.length").lookup(in: body) == .missing)
        #expect(try path("$.s.x").lookup(in: body) == .missing)
        #expect(try path("$.s[0]").lookup(in: body) == .missing)
        #expect(try path("$[0]").lookup(in: body) == .missing)
        #expect(try path("$.a.b").lookup(in: body) == .missing)
        #expect(try path("$.x").lookup(in: Array("[]".utf8)) == .missing)
        #expect(try path("$[0]").lookup(in: Array("{}".utf8)) == .missing)
        #expect(try path("$[0]").lookup(in: Array("[]".utf8)) == .missing)
        #expect(try path("$.x").lookup(in: Array("{}".utf8)) == .missing)
    }

    @Test func escapesAreDecoded() throws {
        let body = #"{"s": "q\" b\\ s\/ \b\f\n\r\t u\u00e9\u4e2d pair\ud83d\ude00 lone\ud83d x\udc00", "k\u0065y": 1, "odd key": {"x": "\u0000"}}"#
        #expect(try json("$.s", body) == .string("q\" b\\ s/ \u{8}\u{c}\n\r\t ué中 pair😀 lone\u{FFFD} x\u{FFFD}"))
        #expect(try json("$.key", body) == .number("1"))
        #expect(try json("$['odd key'].x", body) == .string("\u{0}"))
        // A raw UTF-8 key and value are compared and kept byte for byte.
        #expect(try json("$.名前", #"{"名前": "値"}"#) == .string("値"))
        // An object's text keeps its strings as written, whitespace inside them included.
        #expect(try json("$.o", #"{"o": { "a b" : "c\"  d" } }"#) == .object(#"{"a b":"c\"  d"}"#))
    }

    @Test func firstOfRepeatedKeysWinsAndLaterBytesAreNotRead() throws {
        #expect(try json("$.a", #"{"a": 1, "a": 2}"#) == .number("1"))
        #expect(try json("$.a", #"{"a": 1, garbage"#) == .number("1"))
        #expect(try json("$.b", #"{"a": 1, garbage"#) == nil)
    }

    @Test func wholeBodyAndByteOrderMark() throws {
        #expect(try json("$", " \"text\" ") == .string("text"))
        #expect(try json("$", "42") == .number("42"))
        #expect(try json("$", "[1, {\"a\": true}]\n") == .array("[1,{\"a\":true}]"))
        #expect(try path("$.a").value(in: [0xEF, 0xBB, 0xBF] + Array("{\"a\":1}".utf8)) == .number("1"))
    }

    @Test(arguments: [
        "", "   ", "{", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\" 1}", "{a:1}", "{'a':1}", "[1,,2]", "[1 2]",
        "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":-}", "{\"a\":+1}", "{\"a\":tru}",
        "{\"a\":nul}", "{\"a\":\"unterminated}", "{\"a\":\"bad \\x escape\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"raw\nnewline\"}", "{\"b\":[1,2}, \"a\":1}", "{\"b\":{\"c\":1], \"a\":1}", "{\"b\":1,}",
        "{\"a\":[1,2]]", "42 43", "nul", "[1,2", "{\"b\":1 \"a\":2}", "\u{FEFF}",
    ])
    func malformedBodiesAreNotJSON(body: String) throws {
        let target = try path(body.hasPrefix("[") || body.hasPrefix("4") || body.hasPrefix("n") ? "$" : "$.a")
        #expect(target.lookup(in: Array(body.utf8)) == .notJSON)
        #expect(target.value(in: Array(body.utf8)) == nil)
    }

    @Test func nestingIsBoundedAndNeverTraps() throws {
        let deep = 100_000
        let bomb = Array(String(repeating: "[", count: deep).utf8) + Array(String(repeating: "]", count: deep).utf8)
        #expect(try path("$").lookup(in: bomb) == .notJSON)
        #expect(try path("$[0][0]").lookup(in: bomb) == .notJSON)
        let objects = Array(String(repeating: "{\"a\":", count: deep).utf8) + [UInt8(ascii: "1")]
            + Array(String(repeating: "}", count: deep).utf8)
        #expect(try path("$.a.a").lookup(in: objects) == .notJSON)
        #expect(try path("$.b").lookup(in: objects) == .notJSON)
        // A bomb in a value passed over still makes the body not JSON.
        let skipped = Array("{\"x\":".utf8) + bomb + Array(",\"a\":1}".utf8)
        #expect(try path("$.a").lookup(in: skipped) == .notJSON)

        // Up to the limit is fine, one more is not.
        let limit = JSONPath.maximumDepth
        let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(try json("$", atLimit)?.text == atLimit)
        let over = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(try json("$", over) == nil)
        let pathToInnermost = JSONPath(components: Array(repeating: .index(0), count: limit - 1), text: "deep")
        #expect(pathToInnermost.value(in: Array(atLimit.utf8)) == .array("[]"))
    }

    @Test func truncatedAndRandomBodiesNeverTrap() throws {
        let document = #"{"a": [1, 2.5e-3, "s\u00e9\"x", {"b": [true, false, null]}], "c": {"d": "e"}, "f": -0}"#
        let bytes = Array(document.utf8)
        let paths = try ["$", "$.a", "$.a[3].b[-1]", "$.c.d", "$.f", "$.a[-1]"].map(path)
        for end in 0...bytes.count {
            for target in paths { _ = target.lookup(in: Array(bytes[0..<end])) }
        }
        #expect(try json("$.a[3].b[-1]", document) == .null)
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("{}[],:\"\\u0123456789.eE+-truefalsnl \n\t".utf8) + [0x00, 0xFF, 0xC3]
        for _ in 0..<3000 {
            let random = (0..<Int.random(in: 0...40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            for target in paths { _ = target.lookup(in: random) }
        }
    }

    // MARK: Extraction

    private var loginAnswer: CapturedAnswer {
        CapturedAnswer(status: 200, headers: [(name: "X-Session-Id", value: "s-1"), (name: "x-session-id", value: "s-2")],
                       body: Array(#"{"data": {"token": "t0k\u00e9n", "count": 2}} <a href="/next?id=42&x=1">"#.utf8))
    }

    @Test func extractionsTakeTheirValue() throws {
        let answer = loginAnswer
        #expect(AnswerInspection.extract(.jsonPath(try path("$.data.token")), from: answer) == "t0kén")
        #expect(AnswerInspection.extract(.jsonPath(try path("$.data.count")), from: answer) == "2")
        #expect(AnswerInspection.extract(.header("x-SESSION-id"), from: answer) == "s-1")
        #expect(AnswerInspection.extract(.regex("id=([0-9]+)"), from: answer) == "42")
        #expect(AnswerInspection.extract(.regex("nothing=(x)"), from: answer) == nil)
        #expect(AnswerInspection.extract(.regex("no group"), from: answer) == nil)

        let compiled = try CompiledExtraction(.regex(#"href="([^"]+)""#))
        #expect(compiled.extract(from: answer) == "/next?id=42&x=1")
        // Text after a byte that is not UTF-8 is still found.
        let odd = CapturedAnswer(status: 200, body: [0xFF, 0xFE] + Array("é id=7".utf8))
        #expect(AnswerInspection.extract(.regex("id=(\\d)"), from: odd) == "7")
    }

    @Test func extractionFailuresSayWhatWasLookedFor() throws {
        let answer = loginAnswer
        func reason(_ source: ExtractionSource, in answer: CapturedAnswer?) throws -> String? {
            let compiled = try CompiledExtraction(source)
            if let answer, compiled.extract(from: answer) != nil { return nil }
            return compiled.notFoundReason(in: answer)
        }
        #expect(try reason(.jsonPath(path("$.data.missing")), in: answer) == "$.data.missing not found")
        #expect(try CompiledExtraction(.jsonPath(path("$.data.missing"))).notFoundReason == "$.data.missing not found")
        let page = CapturedAnswer(status: 200, body: Array("<html></html>".utf8))
        #expect(try reason(.jsonPath(path("$.data.token")), in: page) == "$.data.token not found (the body is not JSON)")
        #expect(try reason(.jsonPath(path("$.data.token")), in: nil) == "$.data.token not found (the answer could not be read)")
        #expect(try reason(.header("X-Other"), in: answer) == "header X-Other not found")
        #expect(try reason(.regex("zzz(\\d)"), in: answer) == "regex found no match")
        // A group that took no part in the match gives no value.
        #expect(try reason(.regex("(q)?data"), in: answer) == "regex found no match")
        #expect(try reason(.header("x-session-id"), in: answer) == nil)
        #expect(AnswerInspection.extractionFailureMessage(variable: "token", reason: "$.data.token not found")
            == "extraction of token failed: $.data.token not found")
    }

    @Test func regexPatternsAreValidated() throws {
        try AnswerInspection.validateRegexPattern("token=([^&]+)")
        try AnswerInspection.validateRegexPattern("(?:a|b)=(\\d+)")
        #expect(throws: RegexPatternError(pattern: "a(b", message: "not a valid regular expression (ICU syntax, as in token=([^&\"]+))")) {
            try AnswerInspection.validateRegexPattern("a(b")
        }
        #expect(throws: RegexPatternError(pattern: "(a)(b)", message:
            "a regex extraction needs exactly one capture group, around the value to take; this one has 2 (write (?:...) for a group that only groups)")) {
            try AnswerInspection.validateRegexPattern("(a)(b)")
        }
        #expect(throws: RegexPatternError(pattern: "ab", message:
            "a regex extraction needs exactly one capture group, around the value to take; this one has 0 (write ( ) around the value)")) {
            try AnswerInspection.validateRegexPattern("ab")
        }
        #expect(throws: RegexPatternError.self) { try CompiledExtraction(.regex("[z-a](.)")) }
    }

    @Test func compiledExtractionIsSharedAcrossTasks() async throws {
        let compiled = try CompiledExtraction(.regex("id=(\\d+)"))
        let values = await withTaskGroup(of: String?.self) { group in
            for number in 0..<16 {
                group.addTask { compiled.extract(from: CapturedAnswer(status: 200, body: Array("x id=\(number) y".utf8))) }
            }
            var values: [String?] = []
            for await value in group { values.append(value) }
            return values
        }
        #expect(Set(values.compactMap { $0 }) == Set((0..<16).map(String.init)))
    }

    // MARK: Checks

    @Test func checksPassOrFailWithTheirName() throws {
        let answer = CapturedAnswer(status: 201, body: Array(#"{"status": "checked_in", "n": 2.50, "none": null, "o": {"a": 1}}"#.utf8))
        func failure(_ condition: CheckCondition, expected: String? = nil, in checked: CapturedAnswer? = nil) -> String? {
            let check = ResponseCheck(name: "the check", condition: condition)
            let answer = checked ?? answer
            return ResponseCheckEvaluation.failure(of: check, status: answer.status, answer: answer,
                                                   expected: expected ?? ResponseCheckEvaluation.template(of: condition) ?? "")
        }
        #expect(failure(.status([200, 201])) == nil)
        #expect(failure(.status([200])) == "the check")
        #expect(try failure(.jsonPathExists(path("$.status"))) == nil)
        #expect(try failure(.jsonPathExists(path("$.none"))) == nil)
        #expect(try failure(.jsonPathExists(path("$.missing"))) == "the check")
        #expect(try failure(.jsonPathEquals(path("$.status"), template: "{state}"), expected: "checked_in") == nil)
        #expect(try failure(.jsonPathEquals(path("$.status"), template: "{state}"), expected: "out") == "the check")
        #expect(try failure(.jsonPathEquals(path("$.status"), template: "checked_in")) == nil)
        #expect(try failure(.jsonPathEquals(path("$.n"), template: "2.50")) == nil)
        #expect(try failure(.jsonPathEquals(path("$.n"), template: "2.5")) == "the check")
        #expect(try failure(.jsonPathEquals(path("$.none"), template: "null")) == nil)
        #expect(try failure(.jsonPathEquals(path("$.o"), template: #"{"a":1}"#)) == nil)
        #expect(try failure(.jsonPathEquals(path("$.missing"), template: "")) == "the check")
        #expect(failure(.bodyContains(template: "checked_in")) == nil)
        #expect(failure(.bodyContains(template: "{x}"), expected: "\"n\": 2.50") == nil)
        #expect(failure(.bodyContains(template: "absent")) == "the check")
        #expect(failure(.bodyContains(template: "")) == nil)
        #expect(failure(.bodyContains(template: "longer than the body"), in: CapturedAnswer(status: 200, body: Array("short".utf8))) == "the check")
        #expect(failure(.bodyContains(template: "end"), in: CapturedAnswer(status: 200, body: Array("e en end".utf8))) == nil)
        #expect(failure(.bodySmallerThan(bytes: 1000)) == nil)
        #expect(failure(.bodySmallerThan(bytes: answer.body.count)) == "the check")
    }

    @Test func withoutAnAnswerOnlyTheStatusCanPass() throws {
        #expect(ResponseCheckEvaluation.passes(.status([204]), status: 204, answer: nil, expected: ""))
        #expect(!ResponseCheckEvaluation.passes(.status([200]), status: 204, answer: nil, expected: ""))
        #expect(!ResponseCheckEvaluation.passes(.bodySmallerThan(bytes: 10), status: 200, answer: nil, expected: ""))
        #expect(!ResponseCheckEvaluation.passes(.bodyContains(template: ""), status: 200, answer: nil, expected: ""))
        #expect(try !ResponseCheckEvaluation.passes(.jsonPathExists(path("$")), status: 200, answer: nil, expected: ""))
    }

    @Test func checkTemplatesAreOfferedForRendering() throws {
        #expect(ResponseCheckEvaluation.template(of: .bodyContains(template: "{x}")) == "{x}")
        #expect(try ResponseCheckEvaluation.template(of: .jsonPathEquals(path("$.a"), template: "y")) == "y")
        #expect(ResponseCheckEvaluation.template(of: .status([200])) == nil)
    }

    @Test func defaultCheckNames() throws {
        #expect(ResponseCheck.defaultName(for: .status([200])) == "status is 200")
        #expect(ResponseCheck.defaultName(for: .status([200, 201])) == "status is 200 or 201")
        #expect(ResponseCheck.defaultName(for: .status([200, 201, 204])) == "status is 200, 201 or 204")
        #expect(try ResponseCheck.defaultName(for: .jsonPathExists(path("$.data.token"))) == "$.data.token exists")
        #expect(try ResponseCheck.defaultName(for: .jsonPathEquals(path("$.status"), template: "checked_in"))
            == "$.status equals \"checked_in\"")
        #expect(ResponseCheck.defaultName(for: .bodyContains(template: "ok")) == "body contains \"ok\"")
        #expect(ResponseCheck.defaultName(for: .bodySmallerThan(bytes: 65536)) == "body smaller than 65536 bytes")
    }

    // MARK: Cookies

    @Test func cookiesAreStoredAndSent() {
        var jar = CookieJar()
        jar.store(setCookieHeaders: ["session=abc; Path=/; HttpOnly; Secure; SameSite=Lax; Domain=example.com",
                                     "theme = dark ", "nameless", "=novalue", "x=\"quoted\""],
                  requestPath: "/login", now: 1000)
        #expect(jar.count == 3)
        #expect(jar.cookieHeader(forPath: "/", now: 1000) == "session=abc; theme=dark; x=\"quoted\"")
        jar.store(setCookieHeaders: ["session=def"], requestPath: "/", now: 1001)
        #expect(jar.cookieHeader(forPath: "/home?q=1", now: 1001) == "session=def; theme=dark; x=\"quoted\"")
        jar.removeAll()
        #expect(jar.isEmpty)
        #expect(jar.cookieHeader(forPath: "/", now: 1001) == nil)
    }

    @Test func defaultPathAndPathMatching() {
        #expect(CookieJar.defaultPath("/") == "/")
        #expect(CookieJar.defaultPath("/login") == "/")
        #expect(CookieJar.defaultPath("/api/v1/login?next=/x/y") == "/api/v1")
        #expect(CookieJar.defaultPath("/api/v1/") == "/api/v1")
        #expect(CookieJar.defaultPath("") == "/")
        #expect(CookieJar.defaultPath("relative/x") == "/")

        var jar = CookieJar()
        jar.store(setCookieHeaders: ["root=1; Path=/", "api=2; Path=/api", "deep=3; Path=/api/v1/", "bad=4; Path=nope"],
                  requestPath: "/api/v1/login", now: 0)
        jar.store(setCookieHeaders: ["dflt=5"], requestPath: "/api/v1/login", now: 0)
        #expect(jar.cookieHeader(forPath: "/", now: 0) == "root=1")
        #expect(jar.cookieHeader(forPath: "/apix", now: 0) == "root=1")
        #expect(jar.cookieHeader(forPath: "/api", now: 0) == "api=2; root=1")
        #expect(jar.cookieHeader(forPath: "/api/v1", now: 0) == "bad=4; dflt=5; api=2; root=1")
        // Longer paths first; equal lengths oldest first ("bad" took the default path /api/v1).
        #expect(jar.cookieHeader(forPath: "/api/v1/items", now: 0) == "deep=3; bad=4; dflt=5; api=2; root=1")
        #expect(jar.cookieHeader(forPath: "/api/v10", now: 0) == "api=2; root=1")
    }

    @Test func sameNameAndPathIsReplacedInPlace() {
        var jar = CookieJar()
        jar.store(setCookieHeaders: ["a=1", "b=2", "a=1; Path=/other"], requestPath: "/", now: 0)
        jar.store(setCookieHeaders: ["a=3"], requestPath: "/x", now: 0)
        #expect(jar.count == 3)
        #expect(jar.cookieHeader(forPath: "/", now: 0) == "a=3; b=2")
        #expect(jar.cookieHeader(forPath: "/other", now: 0) == "a=1; a=3; b=2")
    }

    @Test func cookiesAreDeletedAndExpire() {
        var jar = CookieJar()
        jar.store(setCookieHeaders: ["a=1", "b=2", "c=3", "d=4; Max-Age=60", "e=5; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                                     "f=6; Expires=not a date", "g=7; Max-Age=oops"],
                  requestPath: "/", now: 1_445_412_000)  // 2015-10-21 07:20:00
        #expect(jar.cookieHeader(forPath: "/", now: 1_445_412_000) == "a=1; b=2; c=3; d=4; e=5; f=6; g=7")
        jar.store(setCookieHeaders: ["a=; Max-Age=0", "b=x; Max-Age=-1", "c=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                                     "zz=1; Max-Age=0"],
                  requestPath: "/", now: 1_445_412_000)
        #expect(jar.cookieHeader(forPath: "/", now: 1_445_412_000) == "d=4; e=5; f=6; g=7")
        #expect(jar.cookieHeader(forPath: "/", now: 1_445_412_059) == "d=4; e=5; f=6; g=7")
        #expect(jar.cookieHeader(forPath: "/", now: 1_445_412_060) == "e=5; f=6; g=7")
        #expect(jar.cookieHeader(forPath: "/", now: 1_445_412_480) == "f=6; g=7")
        // Max-Age wins over Expires, whatever their order.
        jar.store(setCookieHeaders: ["h=8; Max-Age=10; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], requestPath: "/", now: 0)
        #expect(jar.cookieHeader(forPath: "/", now: 5)?.contains("h=8") == true)
        // A later store drops what expired.
        jar.store(setCookieHeaders: ["i=9"], requestPath: "/", now: 2_000_000_000)
        #expect(jar.count == 3)
    }

    @Test(arguments: [
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777.0),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777.0),
        ("Sun Nov  6 08:49:37 1994", 784_111_777.0),
        ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
        ("Tue, 29 Feb 2028 23:59:59 GMT", 1_835_481_599.0),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 253_402_300_799.0),
        ("01 jan 2030 00:00:00", 1_893_456_000.0),
    ])
    func cookieDates(text: String, seconds: Double) {
        #expect(CookieJar.cookieDate(text[...]) == seconds)
    }

    @Test(arguments: ["", "tomorrow", "Sun, 06 Nov 1994", "Sun, 31 Feb 2021 00:00:00 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                      "Sun, 06 Xyz 1994 08:49:37 GMT", "Sun, 06 Nov 1500 08:49:37 GMT", "06 Nov 08:49:37"])
    func unreadableCookieDates(text: String) {
        #expect(CookieJar.cookieDate(text[...]) == nil)
    }

    @Test func jarIsBounded() {
        var jar = CookieJar()
        jar.store(setCookieHeaders: (0..<60).map { "c\($0)=\($0)" }, requestPath: "/", now: 0)
        #expect(jar.count == CookieJar.maximumCookies)
        let header = jar.cookieHeader(forPath: "/", now: 0) ?? ""
        #expect(!header.contains("c9=") && header.hasPrefix("c10=10; ") && header.hasSuffix("c59=59"))

        jar.removeAll()
        let large = String(repeating: "v", count: CookieJar.maximumCookieBytes)
        jar.store(setCookieHeaders: ["big=\(large)", "fits=\(large.dropFirst(4))"], requestPath: "/", now: 0)
        #expect(jar.count == 1)
        #expect(jar.cookieHeader(forPath: "/", now: 0)?.hasPrefix("fits=") == true)
    }

    @Test func cookiesThatWouldBreakARequestAreRefused() {
        var jar = CookieJar()
        jar.store(setCookieHeaders: ["a=1\r\nX-Injected: yes", "b\n=2", "c=3\u{7F}", "d=4; Path=/\r\nX: y", "e=tab\tok"],
                  requestPath: "/", now: 0)
        #expect(jar.cookieHeader(forPath: "/", now: 0) == "e=tab\tok")
    }

    @Test func cookiesFromAParsedAnswer() throws {
        let parsed = try answer("HTTP/1.1 302 Found\r\nLocation: /home\r\nSet-Cookie: sid=xyz; Path=/; HttpOnly\r\n"
            + "set-cookie: pref=1; Max-Age=3600\r\nContent-Length: 0\r\n\r\n")
        var jar = CookieJar()
        jar.store(setCookieHeaders: parsed.headers(named: "Set-Cookie"), requestPath: "/auth/login", now: 100)
        #expect(jar.cookieHeader(forPath: "/home", now: 100) == "sid=xyz")
        #expect(jar.cookieHeader(forPath: "/auth/x", now: 100) == "pref=1; sid=xyz")
    }
}
