import Foundation
import NIOCore
import Testing
@testable import LoadOpsKit

@Suite struct ResponseReaderTests {
    @Test func contentLengthResponseInOnePiece() throws {
        var reader = ResponseReader()
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello")
        let response = try reader.read(&buffer)
        #expect(response == .init(status: 200, bodyBytes: 5, keepAlive: true))
        #expect(buffer.readableBytes == 0)
    }

    @Test func responseSplitAcrossReads() throws {
        var reader = ResponseReader()
        let whole = "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 11\r\nConnection: close\r\n\r\nunavailable"
        var pending = ByteBuffer()
        var result: ResponseReader.Response?
        for byte in whole.utf8 {
            pending.writeInteger(byte)
            if let done = try reader.read(&pending) { result = done }
        }
        #expect(result == .init(status: 503, bodyBytes: 11, keepAlive: false))
    }

    @Test func chunkedBody() throws {
        var reader = ResponseReader()
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n")
        let response = try reader.read(&buffer)
        #expect(response == .init(status: 200, bodyBytes: 9, keepAlive: true))
    }

    @Test func bodyUntilCloseAndHTTP10() throws {
        var reader = ResponseReader()
        var buffer = ByteBuffer(string: "HTTP/1.0 200 OK\r\n\r\nabc")
        #expect(try reader.read(&buffer) == nil)
        #expect(reader.connectionClosed() == .init(status: 200, bodyBytes: 3, keepAlive: false))
    }

    @Test func headAndNoContentHaveNoBody() throws {
        var reader = ResponseReader()
        reader.reset(expectsNoBody: true)
        var head = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
        #expect(try reader.read(&head)?.bodyBytes == 0)
        reader.reset(expectsNoBody: false)
        var noContent = ByteBuffer(string: "HTTP/1.1 204 No Content\r\n\r\n")
        #expect(try reader.read(&noContent)?.status == 204)
    }

    @Test func hugeContentLengthDoesNotTrap() throws {
        var reader = ResponseReader()
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\nabc")
        #expect(try reader.read(&buffer) == nil)  // waits for a body that never comes; the timeout ends it
    }

    @Test func interimAnswerHeadersDoNotLeak() throws {
        var reader = ResponseReader()
        var buffer = ByteBuffer(string: "HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(try reader.read(&buffer) == .init(status: 200, bodyBytes: 2, keepAlive: true))
    }

    @Test func garbageIsRejected() {
        var reader = ResponseReader()
        var buffer = ByteBuffer(string: "SSH-2.0-OpenSSH_9.2\r\n")
        #expect(throws: ResponseReader.ReadError.self) { try reader.read(&buffer) }
    }
}

@Suite struct RequestTemplateTests {
    let target = TargetAddress(useTLS: false, host: "127.0.0.1", port: 8080)

    private func render(_ endpoint: EndpointConfig, authorizations: [String] = [], credential: Int = 0) throws -> String {
        let template = try RequestTemplate(endpoint: endpoint, target: target, authorizations: authorizations)
        var scratch = ByteBuffer()
        var body = ByteBuffer()
        var random = FastRandom(seed: 42)
        return String(buffer: template.request(credential: credential, scratch: &scratch, bodyScratch: &body,
                                               random: &random, sequence: RunSequence()))
    }

    @Test func fixedRequestIsPreEncoded() throws {
        let text = try render(EndpointConfig(path: "/health"))
        #expect(text.hasPrefix("GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"))
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    @Test func uuidPlaceholderGivesVersion4UUID() throws {
        let text = try render(EndpointConfig(path: "/sessions/{uuid}"))
        let path = text.split(separator: " ")[1]
        let id = path.dropFirst("/sessions/".count)
        let uuid = try #require(UUID(uuidString: String(id)))
        #expect(uuid.uuidString.lowercased() == id)
        #expect(id.count == 36)
        #expect(Array(id)[14] == "4")
    }

    @Test func bodyPlaceholdersSetContentLength() throws {
        let endpoint = EndpointConfig(method: "POST", path: "/items/{int:1-9}", body: #"{"n":"{int:100-999}","s":{seq}}"#)
        let text = try render(endpoint)
        let parts = text.components(separatedBy: "\r\n\r\n")
        #expect(parts.count == 2)
        let body = parts[1]
        #expect(body.hasPrefix(#"{"n":""#) && body.hasSuffix(#","s":1}"#))
        #expect(text.contains("Content-Length: \(body.utf8.count)\r\n"))
        #expect(text.contains("Content-Type: application/json\r\n"))
    }

    @Test func credentialsRotate() throws {
        let endpoint = EndpointConfig(path: "/")
        let first = try render(endpoint, authorizations: ["Basic AAA", "Basic BBB"], credential: 0)
        let second = try render(endpoint, authorizations: ["Basic AAA", "Basic BBB"], credential: 1)
        #expect(first.contains("Authorization: Basic AAA\r\n"))
        #expect(second.contains("Authorization: Basic BBB\r\n"))
    }

    @Test func unknownPlaceholderIsAnError() {
        #expect(throws: GeneratorError.self) { try render(EndpointConfig(path: "/x/{user}")) }
        #expect(throws: GeneratorError.self) { try render(EndpointConfig(path: "/x/{int:9-1}")) }
        #expect(throws: GeneratorError.self) { try render(EndpointConfig(path: "/x/{int:0-9223372036854775807}")) }
    }
}

@Suite struct ScheduleTests {
    @Test func constantRateArrivals() {
        let schedule = ArrivalRateSchedule(rate: 100, duration: 10)
        #expect(schedule.totalArrivals == 1000)
        #expect(abs(schedule.time(ofArrival: 0)) < 1e-9)
        #expect(abs(schedule.time(ofArrival: 500) - 5) < 1e-9)
    }

    @Test func stepStagesOf100Then500RequestsPerMinute() {
        // 100 RPM for 10 min, then 500 RPM for 30 min.
        let schedule = ArrivalRateSchedule(rate: 0, duration: 0, stages: [
            LoadStage(duration: 600, target: 100.0 / 60), LoadStage(duration: 1800, target: 500.0 / 60),
        ])
        #expect(schedule.totalArrivals == 1000 + 15000)
        #expect(abs(schedule.time(ofArrival: 1000) - 600) < 1e-6)
        #expect(abs(schedule.rate(at: 700) - 500.0 / 60) < 1e-9)
    }

    @Test func rampStageIsLinear() {
        let schedule = ArrivalRateSchedule(rate: 0, duration: 0, stages: [LoadStage(duration: 10, target: 100, ramp: true)])
        // 0 → 100/s over 10 s: 500 arrivals; half of them by t = 10/√2.
        #expect(schedule.totalArrivals == 500)
        #expect(abs(schedule.time(ofArrival: 250) - 10 / 2.0.squareRoot()) < 1e-6)
    }

    @Test func usersFollowSpawnRate() {
        let users = UserCountSchedule(users: 10, spawnRate: 5, stages: [])
        var current = 0.0
        for step in 1...10 { current = users.next(current: current, elapsed: Double(step) * 0.1, step: 0.1) }
        #expect(abs(current - 5) < 1e-9)
    }

    @Test func chooserKeepsExactShares() {
        var chooser = EndpointChooser(weights: [3005, 3005, 588])
        var counts = [0, 0, 0]
        for _ in 0..<6598 { counts[chooser.next()] += 1 }
        #expect(counts == [3005, 3005, 588])
    }
}

@Suite struct ResponseReaderSplitTests {
    /// Every way of cutting two chunked answers (and what follows them) into two reads.
    @Test func chunkedAnswersCutAnywhere() throws {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n0\r\n\r\n"
            + "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnopHTTP/1.1"
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var reader = ResponseReader()
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            var answers: [ResponseReader.Response] = []
            while let answer = try reader.read(&buffer) { answers.append(answer) }
            buffer.writeBytes(bytes[cut...])
            while let answer = try reader.read(&buffer) { answers.append(answer) }
            #expect(answers == [.init(status: 200, bodyBytes: 4, keepAlive: true), .init(status: 404, bodyBytes: 3, keepAlive: true)],
                    "cut at \(cut)")
            #expect(String(buffer: buffer) == "HTTP/1.1", "cut at \(cut)")
        }
    }

    @Test func bareLineFeedsAreAccepted() throws {
        var reader = ResponseReader()
        var buffer = ByteBuffer(string: "HTTP/1.1 201 Created\nContent-Length: 2\nconnection: Close\n\nok")
        #expect(try reader.read(&buffer) == .init(status: 201, bodyBytes: 2, keepAlive: false))
    }
}

@Suite struct SuccessPolicyTests {
    @Test func anyAnswerBelow400ByDefault() {
        let policy = SuccessPolicy(expected: [])
        #expect(policy.isSuccess(100) && policy.isSuccess(200) && policy.isSuccess(302) && policy.isSuccess(399))
        #expect(!policy.isSuccess(400) && !policy.isSuccess(503) && !policy.isSuccess(99))
    }

    @Test func onlyTheListedCodes() {
        let policy = SuccessPolicy(expected: [200, 404, 599, 600, -1])
        #expect(policy.isSuccess(200) && policy.isSuccess(404) && policy.isSuccess(599))
        #expect(!policy.isSuccess(201) && !policy.isSuccess(600) && !policy.isSuccess(-1) && !policy.isSuccess(Int.max))
    }
}

@Suite struct EventLoopCountTests {
    private func loops(_ load: LoadSettings, rates: [Double?] = [nil], cores: Int) -> Int {
        let endpoints = rates.map { EndpointConfig(method: "GET", path: "/", rate: $0) }
        return LoadPlan.defaultThreads(load: load, endpoints: endpoints, cores: cores)
    }

    @Test func oneLoopPer256UsersUpToTheCores() {
        #expect(loops(LoadSettings(users: 50), cores: 2) == 1)
        #expect(loops(LoadSettings(users: 256), cores: 8) == 1)
        #expect(loops(LoadSettings(users: 257), cores: 8) == 2)
        #expect(loops(LoadSettings(users: 2000), cores: 2) == 2)
        #expect(loops(LoadSettings(users: 2000), cores: 64) == 8)
        #expect(loops(LoadSettings(users: Int.max), cores: 4) == 4)
        #expect(loops(LoadSettings(users: 0), cores: 4) == 1)
        #expect(loops(LoadSettings(users: 10, stages: [LoadStage(duration: 60, target: 1000)]), cores: 16) == 4)
    }

    @Test func openModelGoesByRate() {
        #expect(loops(LoadSettings(model: .open, rate: 1000), cores: 4) == 1)
        #expect(loops(LoadSettings(model: .open, rate: 120_000), cores: 4) == 3)
        #expect(loops(LoadSettings(model: .open), rates: [40_000, 40_000], cores: 4) == 2)
        #expect(loops(LoadSettings(model: .open, stages: [LoadStage(duration: 10, target: .infinity)]), cores: 4) == 4)
        #expect(loops(LoadSettings(model: .open, rate: 1000), cores: 0) == 1)
    }
}
